"""The inbound webhook of the provider named by BOOKINGS_INBOUND, mounted under
/bookings/inbound/ (for example /bookings/inbound/mailgun/inbound_mime/): anymail's own view,
included only when the setting names a provider."""

from __future__ import annotations

from anymail import urls as anymail_urls
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern

# The receiver that queues what the webhook receives: connected with the URL that feeds it.
from bookings.mail import inbound  # noqa: F401


def inbound_patterns(provider: str) -> list[URLPattern]:
    if not provider:
        return []
    names = {f"{provider}_inbound_webhook", f"{provider}_webhook"}
    found = [
        pattern
        for pattern in anymail_urls.urlpatterns
        if isinstance(pattern, URLPattern) and pattern.name in names
    ]
    if not found:
        raise ImproperlyConfigured(
            f"BOOKINGS_INBOUND={provider!r}: django-anymail has no inbound webhook by that name"
        )
    return found


urlpatterns = inbound_patterns(settings.BOOKINGS_INBOUND)
