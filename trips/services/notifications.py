"""Trip e-mails, recorded in the outbox inside the transaction that needs them and sent by a
worker after the commit; and a security manager's message to the travellers listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from core import roles
from core.audit import audit_record
from core.errors import InvalidInput, NotAllowed
from core.lib.text import text_problem
from core.mail import send_templated
from core.outbox import outbox_enqueue, outbox_run_once
from trips import selectors
from trips.models import (
    Decision,
    Trip,
)


def trip_email_after_commit(trip: Trip, *, email: str, key: str, **params: Any) -> None:
    """Record a trip e-mail in the current transaction (core.outbox): a worker sends it
    after the commit, once per `key` however often the message is delivered, and retries
    while the mail server is down. `params` are the e-mail function's JSON arguments."""
    key = f"trips.email.{key}"
    outbox_enqueue(
        task="trips.tasks.send_trip_email",
        kwargs={"email": email, "trip_id": trip.pk, "key": key, "params": params},
        key=key,
    )


def notify_managers_decision_needed(trip_id: int, *, reassessed: str = "") -> None:
    """Tell the managers who may still decide (not the traveller, not a manager who already
    approved in this round) that a trip awaits them; after a first approval, that only the
    second is missing and who gave the first."""
    trip = Trip.objects.select_related("traveller").get(pk=trip_id)
    approvals = list(
        trip.decisions.filter(
            approval_round=trip.approval_round, outcome=Decision.Outcome.APPROVE
        ).select_related("manager")
    )
    recipients = roles.manager_emails(
        excluding=[trip.traveller_id, *(decision.manager_id for decision in approvals)]
    )
    assessment = trip.assessments.first()
    send_templated(
        "approval-needed",
        {
            "trip": trip,
            "assessment": assessment,
            "first_approval": approvals[0] if approvals else None,
            "reassessed": reassessed,
        },
        recipients,
    )


def notify_traveller_reopened(trip_id: int, *, reason: str, changes: Sequence[str]) -> None:
    """An approved trip that a content change sends back for a decision: the traveller must
    not go on relying on the briefing they have."""
    trip = Trip.objects.select_related("traveller").get(pk=trip_id)
    send_templated(
        "trip-reopened",
        {"trip": trip, "reason": reason, "changes": list(changes)},
        [trip.traveller.email],
    )


def notify_traveller_message(trip_id: int, *, subject: str, message: str, sender: int) -> None:
    """A security manager's message to the travellers listed on who-is-where."""
    trip = Trip.objects.select_related("traveller").get(pk=trip_id)
    send_templated(
        "travellers-message",
        {
            "trip": trip,
            "subject": subject,
            "message": message,
            "sender": User.objects.filter(pk=sender).first(),
        },
        [trip.traveller.email],
    )


def notify_traveller_decision(trip_id: int) -> None:
    trip = Trip.objects.select_related("traveller").get(pk=trip_id)
    decision = trip.decisions.order_by("-created_at", "-id").first()
    send_templated("decision", {"trip": trip, "decision": decision}, [trip.traveller.email])


DECISION_NEEDED, DECISION, REOPENED = "decision-needed", "decision", "reopened"
TRAVELLERS_MESSAGE = "travellers-message"
TRIP_EMAILS: dict[str, Callable[..., None]] = {
    DECISION_NEEDED: notify_managers_decision_needed,
    DECISION: notify_traveller_decision,
    REOPENED: notify_traveller_reopened,
    TRAVELLERS_MESSAGE: notify_traveller_message,
}


def trip_email_send(*, email: str, trip_id: int, key: str, params: dict[str, Any]) -> bool:
    """Send one trip e-mail recorded by trip_email_after_commit, once per key (True if sent now)."""
    notify = TRIP_EMAILS[email]
    return outbox_run_once(key=key, work=lambda: notify(trip_id, **params))


# --- who is where: writing to the travellers listed --------------------------------------

MESSAGE_SUBJECT_MAX_LENGTH = 150
MESSAGE_MAX_LENGTH = 5000


def travellers_message(
    *,
    by: User,
    on: dt.date,
    country: str | None = None,
    place: str | None = None,
    subject: str,
    message: str,
) -> int:
    """E-mail everyone who-is-where lists for `on` (in `country`, at `place`): one e-mail each,
    so nobody sees the others' addresses, sent after the commit through the outbox. Audited
    with whom it reached and whom it could not (no address). Returns how many it goes to."""
    if not roles.is_manager(by):
        raise NotAllowed("Only a security manager can write to the travellers listed.")
    subject, message = (subject or "").strip(), (message or "").strip()
    errors: dict[str, list[str]] = {}
    if not subject:
        errors["subject"] = ["Give the e-mail a subject."]
    elif len(subject) > MESSAGE_SUBJECT_MAX_LENGTH:
        errors["subject"] = [f"Keep the subject to {MESSAGE_SUBJECT_MAX_LENGTH} characters."]
    elif problem := text_problem(subject):
        errors["subject"] = [problem]
    if not message:
        errors["message"] = ["Write the message."]
    elif len(message) > MESSAGE_MAX_LENGTH:
        errors["message"] = [f"Keep the message to {MESSAGE_MAX_LENGTH} characters."]
    elif problem := text_problem(message, multiline=True):
        errors["message"] = [problem]
    if errors:
        raise InvalidInput(errors)
    listed = list(selectors.whereabouts(on=on, country=country, place=place))
    reachable = [stop for stop in listed if stop.trip.traveller.email]
    if not reachable:
        raise InvalidInput({"non_field_errors": ["No one listed has an e-mail address."]})
    with transaction.atomic():
        entry = audit_record(
            actor=by,
            action="travellers.messaged",
            details={
                "date": on.isoformat(),
                "country": (country or "").upper(),
                "place": place or "",
                "subject": subject,
                "recipients": [stop.trip.traveller.username for stop in reachable],
                "without_email": [
                    stop.trip.traveller.username for stop in listed if not stop.trip.traveller.email
                ],
            },
        )
        for stop in reachable:
            trip_email_after_commit(
                stop.trip,
                email=TRAVELLERS_MESSAGE,
                key=f"message:{entry.pk}:{stop.trip.traveller_id}",
                subject=subject,
                message=message,
                sender=by.pk,
            )
    return len(reachable)
