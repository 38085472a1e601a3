"""Writes for a trip's checklist: ticking a requirement off (or back on), and the e-mail the
day before an open requirement falls due.

A tick is stored apart from the assessment, keyed by the requirement's stable id
(trips.requirements), so re-assessing the trip keeps it while the requirement is the same; a
requirement that disappears takes its tick out of sight, and it comes back with it.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from core.errors import DomainError, InvalidInput, NotAllowed, TransitionNotAllowed
from core.lib.text import text_problem
from core.mail import send_templated
from trips.models import Assessment, RequirementReminder, RequirementTick, Trip, TripStatus
from trips.notes import assessments_prefetch
from trips.requirements import RequirementRow, requirement_rows

logger = logging.getLogger(__name__)

TICK_NOTE_MAX_LENGTH = 2000


class RequirementNotFound(DomainError):
    """The trip's current assessment has no requirement with this id."""

    status_code = 404


def _note_clean(note: str | None) -> str:
    text = (note or "").strip()
    if len(text) > TICK_NOTE_MAX_LENGTH:
        raise InvalidInput(
            {"note": [f"Keep the note to {TICK_NOTE_MAX_LENGTH} characters ({len(text)} now)."]}
        )
    if problem := text_problem(text, multiline=True):
        raise InvalidInput({"note": [problem]})
    return text


def requirement_tick(
    *, trip: Trip, requirement_id: str, done: bool, by: User, note: str | None = None
) -> RequirementRow:
    """Tick a requirement of `trip` off (`done`) or back on, with an optional note (kept when
    none is given), as the traveller or their arranger; audited. Returns the requirement as
    the pages show it now."""
    if not Trip.objects.editable_by(by).filter(pk=trip.pk).exists():
        raise NotAllowed("Only the traveller or their arranger can tick off requirements.")
    if trip.status == TripStatus.CANCELLED:
        raise TransitionNotAllowed("A cancelled trip has nothing left to do.")
    text = None if note is None else _note_clean(note)
    with transaction.atomic():
        assessment = Assessment.objects.filter(trip=trip).first()
        rows = requirement_rows(requirements=assessment.requirements if assessment else [])
        row = next((r for r in rows if r.id == requirement_id), None)
        if row is None:
            raise RequirementNotFound("This trip has no such requirement.")
        if done and not row.doable:
            # Ticking it back on stays allowed: a tick given before the kind was known to be a
            # behaviour can still be taken back.
            raise InvalidInput(
                {
                    "done": [
                        f"“{row.title}” is something to keep to throughout the stay, "
                        "not a step to tick off."
                    ]
                }
            )
        tick, _ = RequirementTick.objects.select_for_update().get_or_create(
            trip=trip, requirement_id=requirement_id
        )
        was_done = tick.done_at is not None
        if done and not was_done:
            tick.done_at = timezone.now()
        elif not done:
            tick.done_at = None
        if text is not None:
            tick.note = text
        tick.by = by
        tick.save()
        audit_record(
            actor=by,
            action="trip.requirement_done" if done else "trip.requirement_reopened",
            obj=trip,
            details={
                "requirement": requirement_id,
                "title": row.title,
                "note": tick.note,
                "changed": was_done != done,
            },
        )
    fresh = requirement_rows(
        requirements=assessment.requirements if assessment else [], ticks=[tick]
    )
    return next(r for r in fresh if r.id == requirement_id)


# --- reminders -----------------------------------------------------------------------------


def trips_with_requirements_due(*, on: dt.date):
    """Trips going ahead (or under way) whose current assessment may hold a requirement due
    on `on`: not cancelled, rejected, draft or over."""
    return (
        Trip.objects.filter(last_departure__gte=on - dt.timedelta(days=1))
        .exclude(
            status__in=[
                TripStatus.DRAFT,
                TripStatus.CANCELLED,
                TripStatus.REJECTED,
                TripStatus.COMPLETED,
            ]
        )
        .select_related("traveller")
        .prefetch_related("requirement_ticks", assessments_prefetch())
        .order_by("first_arrival", "id")
    )


def requirement_reminders_send(*, today: dt.date | None = None) -> int:
    """E-mail each traveller about every open requirement due tomorrow (during the trip too).
    One e-mail per requirement and day: the reminder row is claimed first, so a second run,
    or a second worker, sends nothing. Returns how many were sent."""
    today = today or timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    sent = 0
    for trip in trips_with_requirements_due(on=tomorrow):
        latest = trip.assessments.all()[:1]
        if not latest:
            continue
        assessment = latest[0]
        rows = requirement_rows(
            requirements=assessment.requirements or [],
            ticks=trip.requirement_ticks.all(),
            today=today,
        )
        for row in rows:
            if row.done or row.due != tomorrow:
                continue
            try:
                with transaction.atomic():
                    RequirementReminder.objects.create(
                        trip=trip, requirement_id=row.id, sent_on=today
                    )
            except IntegrityError:
                continue  # already sent today
            try:
                send_templated(
                    "requirement-due",
                    {
                        "trip": trip,
                        "requirement": row,
                        "traveller": trip.traveller,
                        "trip_path": reverse("trip-detail", args=[trip.pk]),
                    },
                    [trip.traveller.email],
                )
            except Exception:
                # Let the next run try again rather than believe it was sent.
                RequirementReminder.objects.filter(
                    trip=trip, requirement_id=row.id, sent_on=today
                ).delete()
                logger.exception("Reminder for trip %s requirement %s failed", trip.pk, row.id)
                continue
            sent += 1
    return sent
