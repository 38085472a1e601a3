"""Booking e-mails through django-anymail's inbound webhook, for the provider named by
``BOOKINGS_INBOUND``. Anymail checks the webhook's secret (its own settings, ANYMAIL_*) before
the signal is sent; the receiver only queues the raw message for a worker to read, so the
provider gets its 200 at once."""

from __future__ import annotations

import logging

from anymail.signals import inbound
from django.conf import settings
from django.dispatch import receiver

from bookings.mail.reader import MAX_MESSAGE_BYTES
from bookings.mail.receive import DOOR_WEBHOOK, booking_email_queue

logger = logging.getLogger(__name__)


@receiver(inbound, dispatch_uid="bookings.mail.inbound")
def booking_email_arrived(sender, event, esp_name: str, **kwargs) -> None:
    if not settings.BOOKINGS_INBOUND or esp_name.lower().replace(" ", "") != _provider_label():
        return
    message = event.message
    if message is None:
        return
    raw = message.as_bytes()
    if len(raw) > MAX_MESSAGE_BYTES:
        # Logged and dropped: the provider would only deliver it again and again.
        logger.warning("A booking e-mail of %s bytes was refused (too large)", len(raw))
        return
    booking_email_queue(raw=raw, door=DOOR_WEBHOOK, by=None, via=f"webhook {esp_name}")


def _provider_label() -> str:
    # anymail's esp_name is the provider's display name ("Mailgun", "Amazon SES", "SendGrid").
    return settings.BOOKINGS_INBOUND.replace("_", "")
