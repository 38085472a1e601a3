"""The trip's lifecycle: submit, cancel, approve, reject, the briefing's acknowledgement,
completion. Every state change goes through `trip_move` on a row locked by `trip_lock`, which
records the Transition and the audit entry in one transaction. On SQLite the portal opens
transactions IMMEDIATE, so the lock is the database's write lock; on PostgreSQL it is
SELECT ... FOR UPDATE. Either way two managers acting at once produce one decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import roles
from core.audit import audit_record
from core.errors import Conflict, NotAllowed, TransitionNotAllowed
from trips import engine, selectors
from trips.models import (
    CANCELLABLE,
    Assessment,
    Decision,
    Transition,
    Trip,
    TripStatus,
)
from trips.requirements import assessment_values
from trips.services.notifications import DECISION, DECISION_NEEDED, trip_email_after_commit
from trips.services.validation import ItineraryInvalid, may_cancel, note_clean
from trips.signals import briefing_needed


def trip_lock(trip: Trip) -> Trip:
    return Trip.objects.select_for_update().select_related("traveller").get(pk=trip.pk)


def trip_move(trip: Trip, *, by: User | None, to: TripStatus, comment: str = "") -> None:
    from_status = trip.status
    trip.status = to
    trip.save(
        update_fields=["status", "updated_at", "approval_round", "risk_level", "approvals_needed"]
    )
    Transition.objects.create(
        trip=trip, actor=by, from_status=from_status, to_status=to, comment=comment
    )
    audit_record(
        actor=by,
        action=f"trip.{to}",
        obj=trip,
        details={"from": from_status, "to": str(to), "comment": comment},
    )


def assessment_store(trip: Trip, result: engine.Assessment) -> Assessment:
    trip.risk_level = result.risk_level
    trip.approvals_needed = result.approvals_needed
    return Assessment.objects.create(trip=trip, **assessment_values(result))


def trip_assess_and_route(trip: Trip, *, by: User | None, amended: bool = False) -> Trip:
    """From `submitted`: assess, then either await a decision or approve automatically."""
    result = selectors.trip_assess(trip)
    assessment_store(trip, result)
    if result.requires_approval:
        trip.approval_round += 1
        trip_move(
            trip, by=by, to=TripStatus.PENDING_APPROVAL, comment="; ".join(result.approval_reasons)
        )
        trip_email_after_commit(
            trip, email=DECISION_NEEDED, key=f"decision-needed:{trip.pk}:{trip.approval_round}"
        )
    else:
        trip_move(
            trip, by=None, to=TripStatus.APPROVED, comment="Automatic: below the approval threshold"
        )
        briefing_request(trip, reason="amended" if amended else "approved", by=by)
    return trip


def briefing_request(
    trip: Trip, *, reason: str, by: User | None, changes: Sequence[str] = (), recheck: str = ""
) -> None:
    # Inside the transaction that approved the trip: the briefing (and its render, through
    # the outbox) is recorded with the approval, so no broker outage or crash after the
    # commit can lose it.
    fresh = Trip.objects.get(pk=trip.pk)
    briefing_needed.send(
        sender=Trip, trip=fresh, reason=reason, changes=list(changes), by=by, recheck=recheck
    )


def trip_submit(*, trip: Trip, by: User) -> Trip:
    """Submit a draft: assess it and route it to approval or approve it automatically."""
    with transaction.atomic():
        locked = trip_lock(trip)
        if locked.status != TripStatus.DRAFT:
            raise TransitionNotAllowed(
                "Only a draft can be submitted; "
                f"this trip is {locked.get_status_display().lower()}."
            )
        if not locked.stops.exists():
            raise ItineraryInvalid({"stops": ["Add at least one stop before submitting."]})
        trip_refuse_clash(locked)
        trip_move(locked, by=by, to=TripStatus.SUBMITTED)
        return trip_assess_and_route(locked, by=by)


def trip_refuse_clash(trip: Trip) -> None:
    """One traveller, one place at a time: a trip whose dates overlap another of theirs that is
    going ahead is refused, naming it (a shared travel day is no overlap)."""
    other = selectors.clashing_trips(trip).first()
    if other is None:
        return
    start, end = other.first_arrival, other.last_departure
    assert start is not None and end is not None  # clashing_trips compares both
    raise ItineraryInvalid(
        {
            "stops": [
                f"These dates overlap trip #{other.pk} ({other.purpose}, {start.day} "
                f"{start:%b} to {end.day} {end:%b %Y}), which is "
                f"{other.get_status_display().lower()}: change the dates of one of them or "
                "cancel it first."
            ]
        }
    )


def trip_cancel(*, trip: Trip, by: User, reason: str = "") -> Trip:
    if not may_cancel(trip, by):
        raise NotAllowed("Only the traveller, their arranger or a manager may cancel.")
    reason = note_clean(reason, field="reason")
    with transaction.atomic():
        locked = trip_lock(trip)
        if locked.status not in CANCELLABLE:
            raise TransitionNotAllowed(
                f"A {locked.get_status_display().lower()} trip cannot be cancelled."
            )
        if (
            locked.first_arrival
            and locked.first_arrival <= timezone.localdate()
            and locked.status
            in {
                TripStatus.APPROVED,
                TripStatus.CLEARED,
            }
        ):
            raise TransitionNotAllowed("The trip has started; it can no longer be cancelled.")
        trip_move(locked, by=by, to=TripStatus.CANCELLED, comment=reason)
        return locked


def trip_approve(*, trip: Trip, by: User, comment: str = "") -> Trip:
    """A manager approves. At the dual-approval level the trip stays pending until a second,
    different manager approves too."""
    comment = note_clean(comment, field="comment")
    with transaction.atomic():
        locked = trip_lock(trip)
        _check_decider(locked, by)
        try:
            with transaction.atomic():
                Decision.objects.create(
                    trip=locked,
                    approval_round=locked.approval_round,
                    manager=by,
                    outcome=Decision.Outcome.APPROVE,
                    comment=comment,
                )
        except IntegrityError:
            raise Conflict(
                "You have already approved this trip; a second manager must approve it."
            ) from None
        approvals = locked.decisions.filter(
            approval_round=locked.approval_round, outcome=Decision.Outcome.APPROVE
        ).count()
        if approvals < max(locked.approvals_needed, 1):
            audit_record(
                actor=by,
                action="trip.first_approval",
                obj=locked,
                details={
                    "comment": comment,
                    "approvals": approvals,
                    "needed": locked.approvals_needed,
                },
            )
            trip_email_after_commit(
                locked,
                email=DECISION_NEEDED,
                key=f"second-approval-needed:{locked.pk}:{locked.approval_round}",
            )
            return locked
        trip_move(locked, by=by, to=TripStatus.APPROVED, comment=comment)
        briefing_request(locked, reason="approved", by=by)
        trip_email_after_commit(
            locked, email=DECISION, key=f"decision:{locked.pk}:{locked.approval_round}"
        )
        return locked


def trip_reject(*, trip: Trip, by: User, reason: str) -> Trip:
    """A manager rejects; one rejection is enough, whatever the level.

    A manager who gave the first of two approvals may still reject: a manager has one say per
    round (the decisions' unique constraint), so the rejection replaces their approval. The
    withdrawn approval stays on the audit trail.
    """
    reason = note_clean(reason, field="reason", required="A rejection needs a reason.")
    with transaction.atomic():
        locked = trip_lock(trip)
        _check_decider(locked, by)
        earlier = locked.decisions.filter(approval_round=locked.approval_round, manager=by).first()
        if earlier is None:
            Decision.objects.create(
                trip=locked,
                approval_round=locked.approval_round,
                manager=by,
                outcome=Decision.Outcome.REJECT,
                comment=reason,
            )
        else:
            audit_record(
                actor=by,
                action="trip.approval_withdrawn",
                obj=locked,
                details={"approved_at": earlier.created_at.isoformat(), "comment": earlier.comment},
            )
            earlier.outcome = Decision.Outcome.REJECT
            earlier.comment = reason
            earlier.created_at = timezone.now()
            earlier.save(update_fields=["outcome", "comment", "created_at"])
        trip_move(locked, by=by, to=TripStatus.REJECTED, comment=reason)
        trip_email_after_commit(
            locked, email=DECISION, key=f"decision:{locked.pk}:{locked.approval_round}"
        )
        return locked


def _check_decider(trip: Trip, by: User) -> None:
    if not roles.is_manager(by):
        raise NotAllowed("Only security managers decide on trips.")
    if trip.status != TripStatus.PENDING_APPROVAL:
        raise TransitionNotAllowed(
            f"This trip is not awaiting a decision (it is {trip.get_status_display().lower()})."
        )
    if trip.traveller_id == by.pk:
        raise NotAllowed("You cannot decide on your own trip.")


def trip_briefing_acknowledged(*, trip: Trip, by: User | None) -> Trip:
    """The latest briefing was acknowledged: an approved trip is cleared to travel."""
    with transaction.atomic():
        locked = trip_lock(trip)
        if locked.status == TripStatus.APPROVED:
            trip_move(locked, by=by, to=TripStatus.CLEARED, comment="Briefing acknowledged")
        return locked


def trip_briefing_superseded(*, trip: Trip) -> Trip:
    """A new briefing replaces the acknowledged one: not cleared until it is acknowledged."""
    with transaction.atomic():
        locked = trip_lock(trip)
        if locked.status == TripStatus.CLEARED:
            trip_move(
                locked, by=None, to=TripStatus.APPROVED, comment="New briefing to acknowledge"
            )
        return locked


def trips_complete_past(*, today: dt.date | None = None) -> int:
    """Trips whose last departure has passed are completed (cancelled and drafts aside)."""
    today = today or timezone.localdate()
    count = 0
    for trip in Trip.objects.filter(
        last_departure__lt=today,
        status__in=[TripStatus.APPROVED, TripStatus.CLEARED],
    ):
        with transaction.atomic():
            locked = trip_lock(trip)
            if locked.status in {TripStatus.APPROVED, TripStatus.CLEARED}:
                trip_move(locked, by=None, to=TripStatus.COMPLETED, comment="Returned")
                count += 1
    return count
