"""A booking e-mail received: each booking in it handed to the bookings service, the same
one behind `POST /api/bookings/`; an e-mail with none (or none that can be filed) is kept with
the unassigned bookings, never lost; its sender is told when it waits for the travel desk.

Reading happens here, so never on a web request's thread: the API and the webhook queue
``bookings.tasks.receive_booking_email`` (``booking_email_queue``, below); `import_bookings`
calls this directly.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass, field
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from bookings.mail.reader import BookingEmail, booking_email_read, parse_message
from bookings.models import RAW_MAX_CHARS, Booking, BookingState, Door
from bookings.services import (
    BookingResult,
    booking_keep_unassigned,
    booking_receive,
)
from core.errors import DomainError
from core.mail import send_templated
from core.outbox import outbox_enqueue, outbox_run_once

logger = logging.getLogger(__name__)

# The bookings service knows one door for e-mails, however they arrived (API, webhook,
# import_bookings); the log says which (``via``).
DOOR_EMAIL_API = DOOR_WEBHOOK = DOOR_COMMAND = Door.EMAIL.value
REPLY_TASK = "bookings.tasks.send_booking_unassigned_reply"
# Senders that never read replies, or whose replies would loop (RFC 3834).
REASON_MAX_LENGTH = 300
NO_REPLY_MARKERS = ("noreply", "no-reply", "donotreply", "do-not-reply", "mailer-daemon")


@dataclass
class EmailOutcome:
    """What one e-mail became: a result per booking filed, and the e-mail itself when it was
    kept unassigned (no booking in it, or none that could be filed: ``errors`` says why)."""

    sender_email: str
    results: list[BookingResult] = field(default_factory=list)
    kept: Booking | None = None  # the unassigned booking holding the e-mail
    problem: str = ""
    errors: dict = field(default_factory=dict)

    @property
    def created(self) -> bool:
        return any(result.created for result in self.results)


def booking_email_receive(
    *, raw: bytes, door: str, by: User | None, keep_invalid: bool = True, via: str = ""
) -> EmailOutcome:
    """File every booking in the e-mail ``raw``. A booking the service refuses (an unknown
    airport, a past date) raises BookingInvalid when ``keep_invalid`` is off (the API names
    the field), else the e-mail is kept unassigned with the reason."""
    return booking_email_file(
        read=booking_email_read(raw), door=door, by=by, keep_invalid=keep_invalid, via=via
    )


def booking_email_file(
    *, read: BookingEmail, door: str, by: User | None, keep_invalid: bool = True, via: str = ""
) -> EmailOutcome:
    """File the bookings of an e-mail already read (import_bookings reads several at once)."""
    outcome = EmailOutcome(sender_email=read.sender_email, problem=read.problem)
    for index, payload in enumerate(read.payloads):
        try:
            result = booking_receive(
                payload=payload,
                by=by,
                door=door,
                raw=read.raw,
                sender_email=read.sender_email,
            )
        except DomainError as exc:
            # BookingInvalid names the field; a trip the booking cannot make (a clash) says
            # why in its message.
            if not keep_invalid:
                raise
            errors = getattr(exc, "errors", None) or {"booking": [str(exc)]}
            outcome.errors[payload.get("reference") or str(index)] = errors
            continue
        outcome.results.append(result)
        if result.status == "unassigned" and result.created:
            _reply_unassigned(read, booking_id=result.booking.pk, reference=payload["reference"])
    if not outcome.results:
        reason = read.problem or _errors_text(outcome.errors)
        outcome.problem = reason
        outcome.kept = _keep(read, door=door, by=by, reason=reason)
    logger.info(
        "Booking e-mail %s via %s (%s): %s booking(s) filed, %s",
        read.message_id or "without Message-ID",
        via or door,
        read.extractor,
        len(outcome.results),
        f"kept unassigned: {outcome.problem}" if outcome.kept is not None else "none kept",
    )
    return outcome


def _keep(read: BookingEmail, *, door: str, by: User | None, reason: str) -> Booking:
    """Keep the e-mail with the unassigned bookings, once: the same e-mail again finds the
    one kept before (and its sender is not told twice)."""
    with transaction.atomic():
        known = _kept_before(read)
        if known is not None:
            return known
        kept = booking_keep_unassigned(
            raw=read.raw,
            door=door,
            by=by,
            sender_email=read.sender_email,
            reason=reason[:REASON_MAX_LENGTH],
        )
        _reply_unassigned(read, booking_id=kept.pk, reference="")
    return kept


def _kept_before(read: BookingEmail) -> Booking | None:
    return (
        Booking.objects.filter(
            reference="",
            door=Door.EMAIL,
            sender_email=read.sender_email,
            raw=read.raw[:RAW_MAX_CHARS],
        )
        .exclude(state=BookingState.ASSIGNED)
        .order_by("pk")
        .first()
    )


def _errors_text(errors: dict) -> str:
    lines = []
    for reference, fields in errors.items():
        for name, messages in _flatten_errors(fields):
            lines.append(f"{reference}: {name}: {' '.join(messages)}")
    return "; ".join(lines)[:2000] or "No booking could be filed from the e-mail."


def _flatten_errors(fields, prefix: str = "") -> list[tuple[str, list[str]]]:
    if isinstance(fields, dict):
        found = []
        for name, value in fields.items():
            found.extend(_flatten_errors(value, f"{prefix}.{name}" if prefix else str(name)))
        return found
    messages = fields if isinstance(fields, list) else [fields]
    return [(prefix, [str(message) for message in messages])]


def _may_reply(read: BookingEmail) -> bool:
    sender = read.sender_email
    if not sender or any(marker in sender.split("@")[0] for marker in NO_REPLY_MARKERS):
        return False
    own = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower()
    if sender == own:
        return False
    message = parse_message(read.raw.encode("utf-8", "replace"))
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return auto in ("", "no") and precedence not in ("bulk", "list", "junk")


def _reply_unassigned(read: BookingEmail, *, booking_id: int, reference: str) -> None:
    """Tell the sender their e-mail waits for the travel desk: once per kept booking, after
    the commit, through the outbox (retried while the mail server is down)."""
    if not _may_reply(read):
        return
    key = f"bookings.reply.unassigned:{booking_id}"
    outbox_enqueue(
        task=REPLY_TASK,
        kwargs={
            "key": key,
            "to": read.sender_email,
            "subject": read.subject,
            "reference": reference,
        },
        key=key,
    )


def booking_unassigned_reply_send(*, key: str, to: str, subject: str, reference: str) -> bool:
    context = {"subject": subject, "reference": reference}
    return outbox_run_once(
        key=key, work=lambda: send_templated("booking-unassigned", context, [to])
    )


# --- the queue: the API and the webhook hand the e-mail to a worker -----------------------

READ_TASK = "bookings.tasks.receive_booking_email"


def booking_email_queue(
    *,
    raw: bytes,
    door: str,
    by: User | None,
    via: str,
    ticket: str = "",
    keep_invalid: bool = True,
) -> str:
    """Keep the e-mail in the outbox (its row commits with the caller's transaction and
    survives a broker outage) and have a worker read it. Returns the outbox key: the same
    e-mail queued twice is read once while its row is kept. With a ``ticket`` (the API, which
    waits for the answer: bookings.mail.answers), each request is its own and the worker
    leaves its answer under that ticket; ``keep_invalid`` False answers a refused booking
    with its errors instead of keeping the e-mail unassigned."""
    key = f"bookings.email:{via}:{ticket or hashlib.sha256(raw).hexdigest()}"
    kwargs = {
        "raw": base64.b64encode(raw).decode("ascii"),
        "door": door,
        "by_id": by.pk if by is not None else None,
        "via": via,
    }
    if ticket:
        kwargs.update(ticket=ticket, keep_invalid=keep_invalid)
    outbox_enqueue(task=READ_TASK, kwargs=kwargs, key=key)
    return key
