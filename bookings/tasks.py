"""The bookings' Celery tasks: reading a booking e-mail (off the web request's thread) and
the reply to its sender when it waits for the travel desk."""

from __future__ import annotations

import base64

from celery import shared_task
from django.contrib.auth.models import User
from django.core.cache import cache

from bookings.mail import answers
from bookings.mail.receive import booking_email_receive, booking_unassigned_reply_send
from core.errors import DomainError


@shared_task(
    name="bookings.tasks.receive_booking_email",
    acks_late=True,
    reject_on_worker_lost=True,
)
def receive_booking_email(
    raw: str,
    door: str,
    by_id: int | None,
    ticket: str = "",
    keep_invalid: bool = True,
    via: str = "",
) -> str:
    """Read one queued e-mail and file its bookings; with a ``ticket``, leave the answer for
    the API view that waits for it (bookings.mail.answers). Idempotent: the bookings service
    knows a booking again by its reference."""
    by = User.objects.filter(pk=by_id).first() if by_id else None
    try:
        outcome = booking_email_receive(
            raw=base64.b64decode(raw), door=door, by=by, keep_invalid=keep_invalid, via=via
        )
    except DomainError as exc:
        if ticket:
            cache.set(answers.cache_key(ticket), answers.refused(exc), answers.KEEP_SECONDS)
        return "refused"
    if ticket:
        cache.set(answers.cache_key(ticket), answers.understood(outcome), answers.KEEP_SECONDS)
    return answers.summary(outcome)


@shared_task(
    name="bookings.tasks.send_booking_unassigned_reply",
    acks_late=True,
    reject_on_worker_lost=True,
    # No Celery retries: the outbox delivers a failed e-mail again until it is sent, once
    # per key (core.outbox.outbox_run_once).
)
def send_booking_unassigned_reply(key: str, to: str, subject: str, reference: str) -> bool:
    return booking_unassigned_reply_send(key=key, to=to, subject=subject, reference=reference)
