"""Writes for briefings: request, render (claimed once), acknowledge, retry, remind.

The lifecycle of one briefing row::

    queued --claim--> rendering --> ready
       ^                  |
       +---(transient)----+--(retries exhausted / permanent error)--> failed --retry--> queued
    queued --(a newer version is requested, or the trip is no longer approved)--> skipped

A claim is a conditional UPDATE (queued -> rendering, or a rendering whose claim is older
than the task's hard time limit, i.e. whose worker died): whichever delivery of the task wins
it renders, any duplicate finds nothing to claim and renders nothing.

Every new version says what changed since the last one the traveller could read (its
assessment against theirs, after whatever the caller said; see _what_changed), and a briefing
is acknowledged only while its trip is approved or cleared: once an amendment or a content
change sends the trip back for a decision, the briefing describes a trip that no longer exists.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from briefings import selectors
from briefings.models import Acknowledgement, Briefing, BriefingReason, BriefingStatus
from portal import roles
from portal.audit import audit_record
from portal.errors import Conflict, NotAllowed, TransitionNotAllowed
from portal.mail import send_templated
from trips.models import Assessment, Transition, Trip, TripStatus

logger = logging.getLogger(__name__)

# A claim older than the hard time limit (plus a margin) belongs to a worker that died: Celery
# would have killed a live one by then.
CLAIM_MARGIN = dt.timedelta(seconds=30)
QUEUED_GRACE = dt.timedelta(minutes=2)
BRIEFABLE = {TripStatus.APPROVED, TripStatus.CLEARED}


def stale_claim_age() -> dt.timedelta:
    return dt.timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT)) + CLAIM_MARGIN


def _enqueue(briefing_id: int) -> None:
    from briefings.tasks import render_briefing

    render_briefing.delay(briefing_id)


# --- request --------------------------------------------------------------------------------


def briefing_request(
    *,
    trip: Trip,
    reason: str,
    changes: Sequence[str] = (),
    by: User | None = None,
) -> Briefing:
    """Queue a new version of the trip's briefing; the previous one is superseded (kept).

    A cleared trip goes back to approved until the new version is acknowledged. The render is
    enqueued when the transaction commits.
    """
    from trips.services import trip_briefing_superseded

    if reason not in BriefingReason.values:
        reason = BriefingReason.REQUESTED
    with transaction.atomic():
        # The trip row lock serialises version numbers for one trip.
        locked = Trip.objects.select_for_update().get(pk=trip.pk)
        if locked.status not in BRIEFABLE:
            raise TransitionNotAllowed(
                f"Only an approved trip gets a briefing; this one is "
                f"{locked.get_status_display().lower()}."
            )
        previous = Briefing.objects.filter(trip=locked).order_by("-version").first()
        version = (previous.version + 1) if previous else 1
        assessment = locked.assessments.first()
        what_changed = _what_changed(
            trip=locked, reason=reason, assessment=assessment, given=changes
        )
        Briefing.objects.filter(trip=locked, status=BriefingStatus.QUEUED).update(
            status=BriefingStatus.SKIPPED,
            error=f"Superseded by version {version} before it was rendered.",
        )
        Briefing.objects.filter(trip=locked, superseded=False).update(superseded=True)
        now = timezone.now()
        briefing = Briefing.objects.create(
            trip=locked,
            version=version,
            reason=reason,
            changes=what_changed,
            assessment=assessment,
            content_versions=dict(assessment.content_versions) if assessment else {},
            requested_by=by,
            queued_at=now,
        )
        if locked.status == TripStatus.CLEARED:
            trip_briefing_superseded(trip=locked)
        audit_record(
            actor=by,
            action="briefing.requested",
            obj=briefing,
            details={"trip": locked.pk, "version": briefing.version, "reason": reason},
        )
        briefing_id = briefing.pk
        transaction.on_commit(lambda: _enqueue(briefing_id))
    return briefing


AMENDED_SENTENCE = "Your itinerary was amended."


def _what_changed(
    *, trip: Trip, reason: str, assessment: Assessment | None, given: Sequence[str]
) -> list[str]:
    """The "what changed" note of a new version, measured against the last version the
    traveller could read (the newest one rendered; queued, skipped or failed ones were never
    seen). A first briefing has none; the caller's sentences come first (a content change
    passes its reason), then the differences between the two briefings' assessments, each
    sentence once. An itinerary amended since then, whether the new version comes from an
    automatic or a manager's approval, starts with a sentence saying so.
    """
    from trips.services import assessment_changes

    given = [str(change) for change in given]
    seen = (
        Briefing.objects.filter(trip=trip, status=BriefingStatus.READY)
        .select_related("assessment")
        .order_by("-version")
        .first()
    )
    if seen is None:
        return list(dict.fromkeys(given))
    differences: list[str] = []
    if (
        seen.assessment is not None
        and assessment is not None
        and seen.assessment_id != assessment.pk
    ):
        differences = assessment_changes(seen.assessment, assessment)
        # A caller's differences were measured against the trip's previous assessment; when
        # no briefing showed that one (the trip was amended, then re-assessed while it awaited
        # a decision), they would contradict these ("from 4 to 3" beside "from 2 to 3").
        prior = trip.assessments.exclude(pk=assessment.pk).first()
        if prior is not None and prior.pk != seen.assessment_id:
            unseen = set(assessment_changes(prior, assessment)) - set(differences)
            given = [change for change in given if change not in unseen]
    amended = (
        reason == BriefingReason.AMENDED
        or Transition.objects.filter(
            trip=trip, to_status=TripStatus.SUBMITTED, created_at__gt=seen.created_at
        ).exists()
    )
    return list(dict.fromkeys([*([AMENDED_SENTENCE] if amended else []), *given, *differences]))


def briefing_rebrief(*, trip: Trip, by: User) -> Briefing:
    """A security manager asks for a new version now (the API and the trip page's button)."""
    if not roles.is_manager(by):
        raise NotAllowed("Only a security manager can request a new briefing.")
    return briefing_request(trip=trip, reason=BriefingReason.REQUESTED, by=by)


# --- render ---------------------------------------------------------------------------------


def _claim(briefing_id: int, now: dt.datetime) -> bool:
    stale = now - stale_claim_age()
    return bool(
        Briefing.objects.filter(pk=briefing_id, superseded=False, trip__status__in=BRIEFABLE)
        .filter(
            Q(status=BriefingStatus.QUEUED)
            | Q(status=BriefingStatus.RENDERING, claimed_at__lt=stale)
        )
        .update(status=BriefingStatus.RENDERING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _skip_unbriefable(briefing_id: int) -> bool:
    """A queued briefing of a trip that is no longer approved (cancelled, or sent back for a
    decision) is never rendered; its new approval will ask for a new version."""
    return bool(
        Briefing.objects.filter(pk=briefing_id, status=BriefingStatus.QUEUED)
        .exclude(trip__status__in=BRIEFABLE)
        .update(
            status=BriefingStatus.SKIPPED,
            error="Not rendered: the trip was no longer approved when its turn came.",
        )
    )


def briefing_storage_name(briefing: Briefing) -> str:
    return f"briefings/trip-{briefing.trip_id}/briefing-{briefing.pk}-v{briefing.version}.pdf"


def briefing_render(*, briefing_id: int, use_cache: bool = True) -> Briefing | None:
    """Claim, render and store one briefing. Returns None when there was nothing to claim
    (already rendered or being rendered, superseded, failed): a duplicate delivery.

    On an error the claim is released (back to queued, with the error) and the error raised
    for the task to retry or give up (see briefing_fail).
    """
    from briefings.rendering import render_briefing_pdf, sha256_hex

    claimed_at = timezone.now()
    if not _claim(briefing_id, claimed_at):
        if _skip_unbriefable(briefing_id):
            logger.info("Briefing %s: the trip is no longer approved; not rendered", briefing_id)
        else:
            logger.info("Briefing %s: nothing to claim", briefing_id)
        return None
    mine = Briefing.objects.filter(
        pk=briefing_id, status=BriefingStatus.RENDERING, claimed_at=claimed_at
    )
    try:
        briefing = Briefing.objects.get(pk=briefing_id)
        document = selectors.briefing_document(briefing=briefing, today=timezone.localdate())
        rendered = render_briefing_pdf(document, use_cache=use_cache)
        digest = sha256_hex(rendered.pdf)
        name = briefing_storage_name(briefing)
        storage = storages["private"]
        # One file per briefing: a render killed after writing left this very name.
        if storage.exists(name):
            storage.delete(name)
        saved_name = storage.save(name, ContentFile(rendered.pdf))
        updated = mine.update(
            status=BriefingStatus.READY,
            sha256=digest,
            file_name=saved_name,
            size=len(rendered.pdf),
            page_count=rendered.pages,
            rendered_at=timezone.now(),
            error="",
        )
    except BaseException as exc:
        # Release the claim so the retry (or the sweeper) can take it again at once.
        try:
            mine.update(
                status=BriefingStatus.QUEUED, queued_at=timezone.now(), error=_describe(exc)
            )
        except Exception:
            logger.exception("Briefing %s: could not release the claim", briefing_id)
        raise
    if not updated:
        # Our claim was taken over (we were presumed dead); the new owner writes the file.
        logger.warning("Briefing %s: claim lost while rendering", briefing_id)
        return None
    briefing.refresh_from_db()
    logger.info(
        "Briefing %s rendered: %s pages, %s chapters from cache, %s laid out",
        briefing_id,
        rendered.pages,
        rendered.chapters_cached,
        rendered.chapters_rendered,
    )
    try:
        notify_briefing_ready(briefing_id)
    except Exception:
        # The PDF is ready and downloadable; a mail server hiccup must not undo that.
        logger.exception("Briefing %s: the 'ready' e-mail could not be sent", briefing_id)
    return briefing


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def briefing_fail(*, briefing_id: int, error: str) -> bool:
    """Give up on a render: managers see the error and may retry."""
    failed = bool(
        Briefing.objects.filter(
            pk=briefing_id, status__in=[BriefingStatus.QUEUED, BriefingStatus.RENDERING]
        ).update(status=BriefingStatus.FAILED, error=error[:2000], claimed_at=None)
    )
    if failed:
        briefing = Briefing.objects.get(pk=briefing_id)
        audit_record(
            actor=None,
            action="briefing.failed",
            obj=briefing,
            details={"error": error[:500], "attempts": briefing.attempts},
        )
    return failed


def briefing_retry(*, briefing: Briefing, by: User) -> Briefing:
    """A security manager sends a failed render back to the queue."""
    if not roles.is_manager(by):
        raise NotAllowed("Only a security manager can retry a briefing.")
    with transaction.atomic():
        requeued = Briefing.objects.filter(
            pk=briefing.pk, status=BriefingStatus.FAILED, superseded=False
        ).update(status=BriefingStatus.QUEUED, queued_at=timezone.now(), error="")
        if not requeued:
            raise Conflict("Only the current briefing, when its render failed, can be retried.")
        audit_record(actor=by, action="briefing.retried", obj=briefing)
        transaction.on_commit(lambda: _enqueue(briefing.pk))
    briefing.refresh_from_db()
    return briefing


def briefings_requeue_stuck(
    *,
    now: dt.datetime | None = None,
    queued_for: dt.timedelta = QUEUED_GRACE,
    rendering_for: dt.timedelta | None = None,
) -> list[int]:
    """Re-enqueue briefings nobody is working on: queued for longer than `queued_for` (the
    broker was down when they were submitted, or the message was lost), or rendering with a
    claim older than `rendering_for` (default: the hard time limit; the worker died).

    Safe to run any time: the render's claim makes an extra delivery harmless.
    """
    now = now or timezone.now()
    rendering_for = stale_claim_age() if rendering_for is None else rendering_for
    ids: list[int] = []
    stuck_renders = Briefing.objects.filter(
        superseded=False, status=BriefingStatus.RENDERING, claimed_at__lt=now - rendering_for
    ).values_list("pk", "claimed_at")
    for pk, claimed_at in stuck_renders:
        # Release the dead worker's claim, unless it finished (or was released) meanwhile.
        if Briefing.objects.filter(
            pk=pk, status=BriefingStatus.RENDERING, claimed_at=claimed_at
        ).update(status=BriefingStatus.QUEUED, queued_at=now):
            ids.append(pk)
    waiting = Briefing.objects.filter(
        superseded=False, status=BriefingStatus.QUEUED, queued_at__lt=now - queued_for
    ).exclude(pk__in=ids)
    for pk in list(waiting.values_list("pk", flat=True)):
        if Briefing.objects.filter(pk=pk, status=BriefingStatus.QUEUED).update(queued_at=now):
            ids.append(pk)
    for pk in ids:
        _enqueue(pk)
    if ids:
        logger.warning("Re-enqueued stuck briefings: %s", ids)
    return ids


# --- acknowledge ------------------------------------------------------------------------------


def not_acknowledgeable_because(trip: Trip) -> str:
    """Why no briefing of this trip may be acknowledged now ("" when one may): a briefing
    belongs to the itinerary and decision it was made for. Once the trip is amended or
    re-assessed into a new decision, its briefing no longer matches it."""
    if trip.status in BRIEFABLE:
        return ""
    if trip.status in (TripStatus.SUBMITTED, TripStatus.PENDING_APPROVAL):
        return "The trip changed and awaits a new decision; a new briefing will follow."
    if trip.status == TripStatus.REJECTED:
        return "The trip was rejected; this briefing no longer applies."
    if trip.status == TripStatus.CANCELLED:
        return "The trip is cancelled; there is nothing to acknowledge."
    if trip.status == TripStatus.COMPLETED:
        return "The trip is over; there is nothing to acknowledge."
    return "The trip is not approved; there is nothing to acknowledge."


def briefing_acknowledge(
    *, briefing: Briefing, user: User, sha256: str, ip: str | None = None
) -> Acknowledgement:
    """The traveller confirms they read the latest ready briefing, whose digest they quote.

    Records the acknowledgement and an audit entry (user, time, IP, digest); an approved trip
    is then cleared to travel. Refused (Conflict) while the trip is not approved or cleared:
    after an amendment or a re-assessment sent it back for a decision, the briefing describes
    a trip that no longer exists.
    """
    from trips.services import trip_briefing_acknowledged

    if briefing.trip.traveller_id != user.pk:
        raise NotAllowed("Only the traveller can acknowledge their briefing.")
    digest = (sha256 or "").strip().lower()
    with transaction.atomic():
        locked = Trip.objects.select_for_update().get(pk=briefing.trip_id)
        stale = not_acknowledgeable_because(locked)
        if stale:
            raise Conflict(stale)
        current = selectors.briefing_latest_ready(trip=locked)
        if current is None or current.pk != briefing.pk:
            raise Conflict("This is not the latest ready briefing for the trip.")
        if digest != current.sha256:
            raise Conflict("The SHA-256 digest does not match this briefing's PDF.")
        if hasattr(current, "acknowledgement"):
            raise Conflict("This briefing is already acknowledged.")
        acknowledgement = Acknowledgement.objects.create(
            briefing=current, user=user, ip=ip, sha256=digest
        )
        audit_record(
            actor=user,
            action="briefing.acknowledged",
            obj=current,
            ip=ip,
            details={"trip": current.trip_id, "version": current.version, "sha256": digest},
        )
        current.trip = trip_briefing_acknowledged(trip=current.trip, by=user)
    return acknowledgement


# --- e-mail -------------------------------------------------------------------------------------


def _trip_url(trip: Trip) -> str:
    return f"/trips/{trip.pk}/"


def notify_briefing_ready(briefing_id: int) -> None:
    """ "Your briefing is ready" (or "what changed" for a re-brief): a link to the portal, and
    the PDF itself only where BRIEFING_EMAIL_ATTACHMENT is on."""
    briefing = Briefing.objects.select_related("trip__traveller").get(pk=briefing_id)
    if briefing.superseded or briefing.status != BriefingStatus.READY:
        return
    trip = briefing.trip
    template = "briefing-rebrief" if briefing.version > 1 else "briefing-ready"
    attachment = None
    if settings.BRIEFING_EMAIL_ATTACHMENT:
        with storages["private"].open(briefing.file_name, "rb") as handle:
            attachment = (briefing.download_name, handle.read(), "application/pdf")
    send_templated(
        template,
        {
            "briefing": briefing,
            "trip": trip,
            "traveller": trip.traveller,
            "trip_path": _trip_url(trip),
        },
        [trip.traveller.email],
        attachment,
    )


def _managers() -> list[str]:
    return list(
        User.objects.filter(groups__name=roles.MANAGER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def briefing_send_reminders(*, today: dt.date) -> dict[str, int]:
    """Daily: travellers departing within 7 days with an unacknowledged latest briefing are
    reminded; for departures within 2 days the security managers get one digest too.
    Each briefing is reminded about at most once a day, however often this runs."""
    travellers = 0
    urgent: list[dict[str, Any]] = []
    for trip in selectors.trips_needing_acknowledgement(today=today, within_days=7):
        briefing = Briefing.objects.current().filter(trip=trip).first()
        if briefing is None:
            continue
        if (
            not Briefing.objects.filter(pk=briefing.pk)
            .exclude(reminded_on=today)
            .update(reminded_on=today)
        ):
            continue
        days = (trip.first_arrival - today).days if trip.first_arrival else 0
        if briefing.status == BriefingStatus.READY:
            send_templated(
                "briefing-reminder",
                {
                    "trip": trip,
                    "traveller": trip.traveller,
                    "briefing": briefing,
                    "days": days,
                    "trip_path": _trip_url(trip),
                },
                [trip.traveller.email],
            )
            travellers += 1
        if days <= 2:
            urgent.append({"trip": trip, "briefing": briefing, "days": days})
    if urgent:
        send_templated(
            "briefing-reminder-managers",
            {"rows": urgent, "today": today},
            _managers(),
        )
    return {"travellers": travellers, "urgent_trips": len(urgent)}
