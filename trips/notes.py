"""Why a trip stands where it does, in the traveller's words: the reason it was rejected, or
the advisory change that sent it back for a decision and what that change did to the trip.
Read from the trip's transitions and its last two assessments (prefetched or two queries)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from trips.models import Assessment, Transition, Trip, TripStatus
from trips.requirements import assessment_changes

# trips.services writes these comments on the automatic transitions of a re-assessment.
REASSESSED_PREFIX = "Re-assessed: "


@dataclass(frozen=True)
class StatusNote:
    kind: str  # "rejected" or "content_changed"
    headline: str
    reason: str
    by: str
    changes: tuple[str, ...] = ()


def _latest_into(trip: Trip, status: str) -> Transition | None:
    into = [t for t in trip.transitions.all() if t.to_status == status]
    return into[-1] if into else None


def trip_status_note(*, trip: Trip, with_changes: bool = True) -> StatusNote | None:
    """The note for a rejected trip, or for one awaiting a new decision because its content
    changed; None otherwise."""
    if trip.status == TripStatus.REJECTED:
        transition = _latest_into(trip, TripStatus.REJECTED)
        reason = transition.comment if transition else ""
        actor = transition.actor if transition else None
        return StatusNote(
            kind="rejected",
            headline="Rejected" + (f": {reason}" if reason else ""),
            reason=reason,
            by=(actor.get_full_name() or actor.username) if actor else "",
        )
    if trip.status == TripStatus.PENDING_APPROVAL:
        transition = _latest_into(trip, TripStatus.PENDING_APPROVAL)
        if transition is None or not transition.comment.startswith(REASSESSED_PREFIX):
            return None
        reason = transition.comment.removeprefix(REASSESSED_PREFIX)
        changes: tuple[str, ...] = ()
        if with_changes:
            latest = list(trip.assessments.all()[:2])
            if len(latest) == 2:
                changes = tuple(assessment_changes(latest[1], latest[0]))
        return StatusNote(
            kind="content_changed",
            # The reason names the advisory and its version ("The Kazakhstan advisory was
            # updated (version 3): ...").
            headline=f"{reason.rstrip('.')}. The trip awaits a new decision.",
            reason=reason,
            by="",
            changes=changes,
        )
    return None


def transitions_prefetch() -> Prefetch:
    return Prefetch("transitions", queryset=Transition.objects.select_related("actor"))


def assessments_prefetch() -> Prefetch:
    return Prefetch("assessments", queryset=Assessment.objects.order_by("-created_at", "-id"))
