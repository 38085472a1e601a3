"""Re-assessment after a content change or an incident: one trip, the trips of a country,
the trips an incident touches, and the sweeper for publications whose fan-out was lost.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from advisories.models import AdvisoryVersion, Country
from core.models import OutboxMessage
from core.outbox import outbox_enqueue
from trips import engine, selectors
from trips.models import (
    Assessment,
    Decision,
    Trip,
    TripQuerySet,
    TripStatus,
)
from trips.requirements import assessment_changes, assessment_values
from trips.services.lifecycle import assessment_store, briefing_request, trip_lock, trip_move
from trips.services.notifications import DECISION_NEEDED, REOPENED, trip_email_after_commit

logger = logging.getLogger(__name__)


def _same_assessment(previous: Assessment | None, result: engine.Assessment) -> bool:
    """Whether the stored assessment already says all that the result says."""
    if previous is None:
        return False
    return all(
        getattr(previous, name) == value for name, value in assessment_values(result).items()
    )


def _new_critical_incidents(previous: Assessment | None, result: engine.Assessment) -> bool:
    """Whether a critical incident touches the trip that its last assessment did not have: no
    decision taken before it was declared (or raised to critical) can have weighed it."""
    seen = {
        item.get("id")
        for item in (previous.incidents if previous is not None else [])
        if item.get("severity") == "critical"
    }
    return any(i.severity == "critical" and i.id not in seen for i in result.incidents)


def trip_reassess(
    *,
    trip: Trip,
    reason: str,
    country_code: str | None = None,
    version: int | None = None,
    unless_unchanged: bool = False,
) -> bool:
    """Re-run the engine after a material content change or an incident's (True if it ran). A
    trip that now needs a decision it has not had goes back to pending approval (a critical
    incident its last assessment did not have needs one, whatever was approved before it); an
    approved or cleared one gets a new briefing only when what its own briefing says changed
    (the briefings app compares; otherwise it records that the trip was checked against the
    new version); one awaiting a decision that is no longer needed is approved and briefed.

    Given the country and version that changed, a trip already assessed against that version
    (or a newer one) is left alone: a trip filed after the publication, or a second delivery
    of the same announcement, must not re-brief anyone. With ``unless_unchanged``, a trip whose
    assessment would come out as it is stored is left alone too (an incident re-sent
    unchanged by its feed, or a second delivery of its re-assessment).
    """
    with transaction.atomic():
        locked = trip_lock(trip)
        previous = locked.assessments.first()
        if _assessed_against(previous, country_code=country_code, version=version):
            return False
        result = selectors.trip_assess(locked)
        if unless_unchanged and _same_assessment(previous, result):
            return False
        new_critical = _new_critical_incidents(previous, result)
        changes = assessment_changes(previous, assessment_store(locked, result))
        approvals_had = locked.decisions.filter(
            approval_round=locked.approval_round, outcome=Decision.Outcome.APPROVE
        ).count()
        decided = not result.requires_approval or (
            approvals_had >= result.approvals_needed and not new_critical
        )
        _route_reassessed(
            locked,
            reason=reason,
            decided=decided,
            changes=changes,
            checked_against=(
                f"{country_code} v{version}" if country_code and version is not None else reason
            ),
        )
        return True


def _assessed_against(
    previous: Assessment | None, *, country_code: str | None, version: int | None
) -> bool:
    """Whether the trip's last assessment already read this version of the country's content
    (or a newer one)."""
    if previous is None or country_code is None or version is None:
        return False
    return previous.content_versions.get(country_code, 0) >= version


def _route_reassessed(
    locked: Trip, *, reason: str, decided: bool, changes: list[str], checked_against: str
) -> None:
    """Where a re-assessed trip goes next (trip_reassess's docstring says why)."""
    if locked.status == TripStatus.PENDING_APPROVAL and decided:
        # The content no longer asks for the decision it was waiting for (or for the
        # second approval it lacked): approved as on submit, and briefed.
        trip_move(
            locked,
            by=None,
            to=TripStatus.APPROVED,
            comment=f"Automatic: re-assessed ({reason}); no further decision is needed",
        )
        # The traveller hears of it with the new briefing, which says what changed for
        # their trip (measured by the briefings app against the one they read).
        briefing_request(locked, reason="content_changed", by=None, changes=[reason])
        return
    if locked.status not in {TripStatus.APPROVED, TripStatus.CLEARED}:
        locked.save(update_fields=["risk_level", "approvals_needed", "updated_at"])
        return
    if not decided:
        locked.approval_round += 1
        trip_move(locked, by=None, to=TripStatus.PENDING_APPROVAL, comment=f"Re-assessed: {reason}")
        trip_email_after_commit(
            locked,
            email=DECISION_NEEDED,
            key=f"decision-needed:{locked.pk}:{locked.approval_round}",
            reassessed=reason,
        )
        trip_email_after_commit(
            locked,
            email=REOPENED,
            key=f"reopened:{locked.pk}:{locked.approval_round}",
            reason=reason,
            changes=list(changes),
        )
        return
    locked.save(update_fields=["risk_level", "approvals_needed", "updated_at"])
    # Re-briefed only if what this trip's own briefing says changed; otherwise its
    # acknowledged briefing stands and the audit trail says it was checked.
    briefing_request(
        locked,
        reason="content_changed",
        by=None,
        changes=[reason],
        recheck=checked_against,
    )


def assessment_unsaved(*, trip: Trip, result: engine.Assessment) -> Assessment:
    """The engine's result as an assessment row, not saved: what a content change would store
    for the trip (the admin's publish step compares it with the trip's briefing)."""
    return Assessment(trip=trip, **assessment_values(result))


def trips_touching(country_code: str, *, today: dt.date) -> TripQuerySet:
    return (
        Trip.objects.upcoming(today)
        .exclude(status=TripStatus.DRAFT)
        .filter(stops__country_id=country_code)
        .distinct()
    )


class ReassessmentIncomplete(RuntimeError):
    """Some trips touched by a content change could not be re-assessed (the others were)."""


def trips_reassess_for_country(
    *, country_code: str, version: int, today: dt.date | None = None
) -> int:
    today = today or timezone.localdate()
    name = (
        Country.objects.filter(code=country_code).values_list("name", flat=True).first()
        or country_code
    )
    # The content admin's change note is written for travellers (the publish form says so).
    note = (
        AdvisoryVersion.objects.filter(country_id=country_code, number=version)
        .values_list("change_note", flat=True)
        .first()
        or ""
    ).strip()
    reason = f"The {name} advisory was updated (version {version})" + (f": {note}" if note else ".")
    count = 0
    failed: list[int] = []
    # Soonest departure first: each trip's re-brief is queued as its re-assessment commits,
    # and the queue is first in, first out, so a traveller flying tomorrow is not left
    # waiting behind one flying in June (make bench: rebrief_soonest_first).
    for trip in trips_touching(country_code, today=today).order_by("first_arrival", "pk"):
        # One trip's failure must not leave every other traveller on the old content: go on,
        # then fail the task (its retry skips the trips already re-assessed).
        try:
            count += trip_reassess(
                trip=trip, reason=reason, country_code=country_code, version=version
            )
        except Exception:
            logger.exception(
                "Re-assessing trip %s for %s v%s failed", trip.pk, country_code, version
            )
            failed.append(trip.pk)
    if failed:
        raise ReassessmentIncomplete(
            f"{len(failed)} trip(s) could not be re-assessed for {country_code} v{version}: "
            f"{failed}"
        )
    return count


def trips_reassess(*, trip_ids: Sequence[int], reason: str, today: dt.date | None = None) -> int:
    """Re-assess these trips (those still upcoming and filed) after an incident where they go
    was declared, changed or closed; a trip whose assessment comes out as stored is left
    alone, so a second delivery re-briefs nobody. Soonest departure first, as for content.
    Returns how many were re-assessed; raises ReassessmentIncomplete after trying them all
    when some failed (a retry skips those already done)."""
    today = today or timezone.localdate()
    trips = (
        Trip.objects.upcoming(today)
        .exclude(status=TripStatus.DRAFT)
        .filter(pk__in=list(trip_ids))
        .order_by("first_arrival", "pk")
    )
    count = 0
    failed: list[int] = []
    for trip in trips:
        try:
            count += trip_reassess(trip=trip, reason=reason, unless_unchanged=True)
        except Exception:
            logger.exception("Re-assessing trip %s for an incident failed", trip.pk)
            failed.append(trip.pk)
    if failed:
        raise ReassessmentIncomplete(f"{len(failed)} trip(s) could not be re-assessed: {failed}")
    return count


# A publication's own fan-out gets this long before the sweeper steps in.
REASSESS_GRACE = dt.timedelta(minutes=2)


def trips_reassess_outdated(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The sweeper's half for content: re-assess the countries where upcoming trips are still
    assessed against an older version than the latest material one published more than
    REASSESS_GRACE ago (the publication's re-assessment was lost, or failed for some trips).

    Recorded in the outbox once per country and version every REASSESS_GRACE, and not while
    an earlier message for it still waits for the broker; the re-assessment skips the trips
    already done, so a repeat re-briefs nobody. Returns {country: version} enqueued.
    """
    now = now or timezone.now()
    outdated = selectors.countries_with_trips_on_older_content(
        today=timezone.localdate(now), published_before=now - REASSESS_GRACE
    )
    window = int(now.timestamp() // REASSESS_GRACE.total_seconds())
    enqueued: dict[str, int] = {}
    for code, version in sorted(outdated.items()):
        prefix = f"trips.reassess:{code}:{version}"
        if OutboxMessage.objects.filter(key__startswith=prefix, sent_at__isnull=True).exists():
            continue
        outbox_enqueue(
            task="trips.tasks.reassess_country",
            kwargs={"country_code": code, "version": version},
            key=f"{prefix}:healed:{window}",
        )
        enqueued[code] = version
    if enqueued:
        logger.warning("Re-assessing trips left on older content: %s", enqueued)
    return enqueued
