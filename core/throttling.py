"""The API's rate limits (settings.REST_FRAMEWORK): per signed-in user, per client address,
and a tighter one on the token endpoint. A module of its own, because DRF imports its default
throttle classes while it is still importing its views.

Rates come from settings.API_THROTTLE_RATES when a request is checked (not when this module
is imported, as DRF's own classes do), so that tests can change them. Over the limit DRF
answers 429 `{"detail": ...}` with a Retry-After header.
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core.audit import client_ip


class PortalRateThrottle(SimpleRateThrottle):
    # Every subclass names its scope (DRF allows None for throttles that set their rate
    # another way; ours never do).
    scope: str

    def get_rate(self) -> str:
        return settings.API_THROTTLE_RATES[self.scope]


class UserThrottle(PortalRateThrottle):
    """Per signed-in user, whichever address or token they come from."""

    scope = "user"

    def get_cache_key(self, request, view) -> str | None:
        if not getattr(request.user, "is_authenticated", False):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AddressThrottle(PortalRateThrottle):
    """Per client address (behind TRUSTED_PROXY_COUNT proxies, the one they saw), signed in or
    not: many accounts driven from one machine are limited together."""

    scope = "ip"

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "-"}


class TokenThrottle(AddressThrottle):
    """POST /api/auth/token/: guessing passwords is slow beside the lockout (django-axes)."""

    scope = "token"
