"""Signing in and staying signed in: API tokens (django-rest-knox), the login lockout
(django-axes) with its per-account limit, and what a password change ends.

Tokens are stored hashed (knox keeps a SHA-512 digest, never the token), expire after
settings.API_TOKEN_TTL_HOURS, and are listed and revoked by their owner on the profile page and
through the API. A token's public id is the start of its digest: it names the token without
giving away any of the secret.
"""

from __future__ import annotations

import datetime as dt

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from knox.models import AuthToken

from core.audit import audit_record

TOKEN_ID_LENGTH = 16
# A script that asks for a token on every run would otherwise pile up thousands; past this
# many live tokens the oldest are revoked (audited) as a new one is made.
TOKENS_PER_USER = 20


def token_id(token: AuthToken) -> str:
    return token.digest[:TOKEN_ID_LENGTH]


# --- selectors ------------------------------------------------------------------------------


def tokens_of(*, user) -> QuerySet[AuthToken]:
    """The user's tokens that still work, newest first."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")


def token_of(*, user, token_id: str) -> AuthToken:
    """One of the user's live tokens by its public id; anyone else's is a 404."""
    if len(token_id) != TOKEN_ID_LENGTH:
        raise Http404("No such token.")
    token = tokens_of(user=user).filter(digest__startswith=token_id.lower()).first()
    if token is None:
        raise Http404("No such token.")
    return token


# --- services -------------------------------------------------------------------------------


def token_create(*, user) -> tuple[AuthToken, str]:
    """A new API token for `user`, valid for settings.API_TOKEN_TTL_HOURS. Returns the row
    and the token itself, which is shown this once and never stored."""
    with transaction.atomic():
        AuthToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
        instance, key = AuthToken.objects.create(user=user)
        for old in tokens_of(user=user)[TOKENS_PER_USER:]:
            _token_delete(old, by=user, reason="too many tokens")
        audit_record(
            actor=user,
            action="auth.token_created",
            obj=user,
            details={"token": token_id(instance), "expiry": instance.expiry.isoformat()},
        )
    return instance, key


def token_revoke(*, user, token_id: str) -> None:
    """The owner revokes one of their tokens: it stops working at once."""
    _token_delete(token_of(user=user, token_id=token_id), by=user, reason="revoked")


def _token_delete(token: AuthToken, *, by, reason: str) -> None:
    ident = token_id(token)
    token.delete()
    audit_record(
        actor=by,
        action="auth.token_revoked",
        obj=token.user,
        details={"token": ident, "reason": reason},
    )


def credentials_changed(*, user) -> None:
    """A new password ends every API token of the user. Their sessions end by themselves:
    Django checks each session against a hash of the password (the one that changed it is
    carried over by the password change page)."""
    count, _ = AuthToken.objects.filter(user=user).delete()
    if count:
        audit_record(
            actor=None,
            action="auth.tokens_revoked",
            obj=user,
            details={"count": count, "reason": "password changed"},
        )


def rate_allows(*, key: str, limit: int, period_seconds: int) -> bool:
    """Count one more event under `key` and say whether it is within `limit` per period (a
    fixed window in the cache; settings.CACHES names a shared one for several processes)."""
    cache_key = f"portal-rate:{key}"
    cache.add(cache_key, 0, timeout=period_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr: this is the first of a new window
        cache.set(cache_key, 1, timeout=period_seconds)
        count = 1
    return count <= limit


# --- the login lockout ----------------------------------------------------------------------


class PortalAxesHandler(AxesDatabaseHandler):
    """django-axes' lockout per account and address (AXES_FAILURE_LIMIT), plus a limit per
    account over every address together (AXES_USERNAME_FAILURE_LIMIT): an attack spread over
    many machines is stopped too."""

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self._account_locked(request, credentials)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if (
            request is not None
            and not getattr(request, "axes_locked_out", False)
            and self._account_locked(request, credentials)
        ):
            request.axes_locked_out = True
            request.axes_credentials = credentials

    def _account_locked(self, request, credentials) -> bool:
        username = get_client_username(request, credentials)
        if not username:
            return False
        attempts = AccessAttempt.objects.filter(username=username)
        if get_cool_off(request) is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        return failures >= settings.AXES_USERNAME_FAILURE_LIMIT


LOCKED_OUT = "Too many failed log-in attempts: log-in is locked for a while. Try again later."


def lockout_response(request, original_response=None, credentials=None):
    """The API answers a lockout in its JSON error shape, with when to try again; the pages
    show the locked-out template."""
    cool_off = get_cool_off(request) or dt.timedelta(0)
    if request.path_info.startswith("/api/"):
        response = JsonResponse({"detail": LOCKED_OUT}, status=429)
        response["Retry-After"] = str(int(cool_off.total_seconds()))
        return response
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        {"cooloff_timedelta": cool_off},
        status=429,
    )
