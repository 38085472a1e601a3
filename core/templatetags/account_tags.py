"""The profile page's list of API tokens, read here so that the profile view (shared with the
data export) stays as it is."""

from __future__ import annotations

from django import template

from core import accounts

register = template.Library()


@register.simple_tag
def api_tokens(user) -> list[dict]:
    return [
        {"id": accounts.token_id(token), "created": token.created, "expiry": token.expiry}
        for token in accounts.tokens_of(user=user)
    ]
