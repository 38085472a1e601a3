"""Writes for briefings: request, render (claimed once), acknowledge, retry, remind.

The lifecycle of one briefing row::

    queued --claim--> rendering --> ready
       ^                  |
       +---(transient)----+--(retries exhausted / permanent error)--> failed --retry--> queued
    queued --(a newer version is requested, or the trip is no longer approved)--> skipped

A claim is a conditional UPDATE (queued -> rendering, or a rendering whose heartbeat stopped,
i.e. whose worker died): whichever delivery of the task wins it renders, any duplicate finds
nothing to claim and renders nothing. While it renders, the worker refreshes the briefing's
heartbeat every few seconds; the sweeper (every 30 s) re-queues a render whose heartbeat is
older than HEARTBEAT_STALE, so a render lost with its worker is re-queued within a minute.

Renders and e-mails are recorded in the transaction that needs them (core.outbox) and sent
to the broker after it commits, by the relay if the broker is down at the time.

Every new version says what changed since the last one the traveller could read (its
assessment against theirs, after whatever the caller said; see _what_changed), and a briefing
is acknowledged only while its trip is approved or cleared: once an amendment or a content
change sends the trip back for a decision, the briefing describes a trip that no longer exists.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from briefings import rendering, selectors
from briefings.inputs import (
    Inputs,
    briefing_inputs,
    inputs_changes,
    inputs_digest,
    trip_briefing_inputs,
    trip_nationality,
)
from briefings.models import Acknowledgement, Briefing, BriefingReason, BriefingStatus
from core import roles
from core.audit import audit_record
from core.errors import Conflict, NotAllowed, TransitionNotAllowed
from core.mail import send_templated
from core.outbox import outbox_enqueue, outbox_run_once
from trips.models import Assessment, Transition, Trip, TripStatus
from trips.requirements import advisory_versions
from trips.services import (
    assessment_changes,
    trip_briefing_acknowledged,
    trip_briefing_superseded,
    trips_reassess_outdated,
)

logger = logging.getLogger(__name__)

# A rendering worker refreshes its heartbeat this often; one silent for HEARTBEAT_STALE (five
# missed beats) died, and its render is taken over. With the sweeper every 30 s, a render
# lost with its worker is queued again within 25 + 30 s.
HEARTBEAT_EVERY = dt.timedelta(seconds=5)
HEARTBEAT_STALE = dt.timedelta(seconds=25)
QUEUED_GRACE = dt.timedelta(minutes=2)
BRIEFABLE = {TripStatus.APPROVED, TripStatus.CLEARED}


def _render_after_commit(*, briefing_id: int, queued_at: dt.datetime) -> None:
    # Recorded with the briefing's new state and sent when it commits, broker or not; one
    # message per time the briefing is queued.
    outbox_enqueue(
        task="briefings.tasks.render_briefing",
        kwargs={"briefing_id": briefing_id},
        key=f"briefings.render:{briefing_id}:{queued_at.isoformat()}",
    )


# --- request --------------------------------------------------------------------------------


def briefing_request(
    *,
    trip: Trip,
    reason: str,
    changes: Sequence[str] = (),
    by: User | None = None,
    inputs: Inputs | None = None,
) -> Briefing:
    """Queue a new version of the trip's briefing; the previous one is superseded (kept).

    A cleared trip goes back to approved until the new version is acknowledged. The render is
    enqueued when the transaction commits. The new version records what it is built from
    (briefings.inputs; `inputs` when the caller has just worked them out for the trip's
    latest assessment).
    """
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
        if inputs is None:
            inputs = trip_briefing_inputs(trip=locked, assessment=assessment)
        what_changed = _what_changed(
            trip=locked, reason=reason, assessment=assessment, given=changes, inputs=inputs
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
            inputs=inputs,
            inputs_digest=inputs_digest(inputs) if inputs else "",
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
        _render_after_commit(briefing_id=briefing.pk, queued_at=now)
    return briefing


def briefing_recheck(
    *, trip: Trip, checked_against: str, changes: Sequence[str] = ()
) -> Briefing | None:
    """After a content change re-assessed the trip: a new version only when what its briefing
    says changed (its level, requirements, or the sections, places, contacts and sources of
    its stops; product.md, "Rule semantics"). Otherwise its current briefing stands (a cleared
    trip stays cleared, nobody is e-mailed) and the audit trail says it was checked against
    `checked_against` ("KZ v5"). `changes` are the caller's sentences (the content change's
    reason) that a new version's "what changed" starts with. Returns the new version, or None
    when the trip was only checked.
    """
    with transaction.atomic():
        # Only the trip's row is locked (the profile is a nullable join on PostgreSQL).
        locked = (
            Trip.objects.select_for_update(of=("self",))
            .select_related("traveller__profile")
            .get(pk=trip.pk)
        )
        current = (
            Briefing.objects.current().filter(trip=locked).select_related("assessment").first()
        )
        inputs = trip_briefing_inputs(trip=locked, assessment=locked.assessments.first())
        if (
            current is not None
            and current.status in STANDING
            and briefing_digest(current, trip=locked) == inputs_digest(inputs)
        ):
            note = f"checked against {checked_against}: no change to this trip's briefing"
            audit_record(
                actor=None,
                action="briefing.checked",
                obj=current,
                details={
                    "trip": locked.pk,
                    "version": current.version,
                    "checked_against": checked_against,
                    "result": note,
                },
            )
            return None
        return briefing_request(
            trip=locked,
            reason=BriefingReason.CONTENT_CHANGED,
            changes=changes,
            inputs=inputs,
        )


# A current briefing in one of these states stands when its inputs did not change: it is (or
# will be) the one the traveller reads. A failed or skipped one is replaced.
STANDING = {BriefingStatus.QUEUED, BriefingStatus.RENDERING, BriefingStatus.READY}


def briefing_digest(briefing: Briefing, *, trip: Trip) -> str:
    """What `briefing` was built from; worked out from its assessment and content versions for
    a version rendered before briefings recorded it."""
    if briefing.inputs_digest:
        return briefing.inputs_digest
    if briefing.assessment is None:
        return ""
    stops = list(trip.stops.select_related("place").order_by("position"))
    inputs = briefing_inputs(
        assessment=briefing.assessment,
        stops=stops,
        nationality=trip_nationality(trip),
        versions=advisory_versions(briefing.content_versions or {}),
    )
    return inputs_digest(inputs) if inputs else ""


AMENDED_SENTENCE = "Your itinerary was amended."


def _what_changed(
    *,
    trip: Trip,
    reason: str,
    assessment: Assessment | None,
    given: Sequence[str],
    inputs: Inputs | None = None,
) -> list[str]:
    """The "what changed" note of a new version, measured against the last version the
    traveller could read (the newest one rendered; queued, skipped or failed ones were never
    seen). A first briefing has none; the caller's sentences come first (a content change
    passes its reason), then what changed for this trip: between the two briefings' inputs
    (briefings.inputs: its level, sections, places, requirements, contacts and sources), or,
    for a version rendered before briefings recorded them, their assessments; each sentence
    once. An itinerary amended since then, whether the new version comes from an automatic or
    a manager's approval, starts with a sentence saying so.
    """
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
    if seen.inputs and inputs:
        differences = inputs_changes(seen.inputs, inputs)
        if assessment is not None:
            # These name this trip's changes since the briefing the traveller read; a
            # caller's differences between assessments would say some of them again.
            measured: set[str] = set()
            prior = trip.assessments.exclude(pk=assessment.pk).first()
            for earlier in (seen.assessment, prior):
                if earlier is not None:
                    measured |= set(assessment_changes(earlier, assessment))
            given = [change for change in given if change not in measured]
    elif (
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


def _silent_since(moment: dt.datetime) -> Q:
    """Renders whose worker has given no sign of life since `moment` (before heartbeats, the
    claim's time stood for it)."""
    return Q(status=BriefingStatus.RENDERING) & (
        Q(heartbeat_at__lt=moment) | Q(heartbeat_at__isnull=True, claimed_at__lt=moment)
    )


def _claim(briefing_id: int, now: dt.datetime) -> bool:
    return bool(
        Briefing.objects.filter(pk=briefing_id, superseded=False, trip__status__in=BRIEFABLE)
        .filter(Q(status=BriefingStatus.QUEUED) | _silent_since(now - HEARTBEAT_STALE))
        .update(
            status=BriefingStatus.RENDERING,
            claimed_at=now,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
        )
    )


class _Heartbeat:
    """While a render runs, a thread refreshes the claim's heartbeat every HEARTBEAT_EVERY, so
    the sweeper can tell a long render from a dead worker."""

    def __init__(self, briefing_id: int, claimed_at: dt.datetime) -> None:
        self.mine = Briefing.objects.filter(
            pk=briefing_id, status=BriefingStatus.RENDERING, claimed_at=claimed_at
        )
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"heartbeat-{briefing_id}")

    def __enter__(self) -> _Heartbeat:
        # Inside a transaction (a test, a render called from a service) the claim is not
        # visible to anyone else, and another connection's beat would wait on its row lock.
        if not connection.in_atomic_block:
            self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=HEARTBEAT_EVERY.total_seconds())

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(HEARTBEAT_EVERY.total_seconds()):
                try:
                    self.mine.update(heartbeat_at=timezone.now())
                except Exception:
                    # A missed beat only risks a takeover, which the render's end detects.
                    logger.exception("Briefing render heartbeat failed")
        finally:
            connection.close()  # this thread's own database connection


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
        with _Heartbeat(briefing_id, claimed_at):
            rendered = rendering.render_briefing_pdf(document, use_cache=use_cache)
        digest = rendering.sha256_hex(rendered.pdf)
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
                status=BriefingStatus.QUEUED, queued_at=timezone.now(), error=describe_failure(exc)
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
    # Its own task: a mail server hiccup must not undo the render, and is retried.
    key = f"briefings.email.ready:{briefing_id}"
    outbox_enqueue(
        task="briefings.tasks.send_briefing_ready",
        kwargs={"briefing_id": briefing_id, "key": key},
        key=key,
    )
    return briefing


def describe_failure(exc: BaseException) -> str:
    """How a failed render is described to the managers on the failed-renders page."""
    return f"{type(exc).__name__}: {exc}"[:2000]


def briefing_fail(*, briefing_id: int, error: str) -> bool:
    """Give up on a render: managers see the error and may retry."""
    failed = bool(
        Briefing.objects.filter(
            pk=briefing_id, status__in=[BriefingStatus.QUEUED, BriefingStatus.RENDERING]
        ).update(
            status=BriefingStatus.FAILED, error=error[:2000], claimed_at=None, heartbeat_at=None
        )
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
        now = timezone.now()
        requeued = Briefing.objects.filter(
            pk=briefing.pk, status=BriefingStatus.FAILED, superseded=False
        ).update(status=BriefingStatus.QUEUED, queued_at=now, error="")
        if not requeued:
            raise Conflict("Only the current briefing, when its render failed, can be retried.")
        audit_record(actor=by, action="briefing.retried", obj=briefing)
        _render_after_commit(briefing_id=briefing.pk, queued_at=now)
    briefing.refresh_from_db()
    return briefing


def briefings_requeue_stuck(
    *,
    now: dt.datetime | None = None,
    queued_for: dt.timedelta = QUEUED_GRACE,
    rendering_for: dt.timedelta = HEARTBEAT_STALE,
) -> list[int]:
    """The sweeper (beat, every 30 s). Re-enqueues briefings nobody is working on: queued for
    longer than `queued_for` (their message was lost), or rendering with no heartbeat for
    `rendering_for` (the worker died). Then re-assesses the upcoming trips a lost or failed
    fan-out left on older content (trips.services.trips_reassess_outdated).

    Safe to run any time: the render's claim makes an extra delivery harmless.
    """
    now = now or timezone.now()
    ids: list[int] = []
    stuck_renders = (
        Briefing.objects.filter(superseded=False)
        .filter(_silent_since(now - rendering_for))
        .values_list("pk", "claimed_at")
    )
    for pk, claimed_at in stuck_renders:
        # Release the dead worker's claim, unless it finished (or was released) meanwhile.
        if Briefing.objects.filter(
            pk=pk, status=BriefingStatus.RENDERING, claimed_at=claimed_at
        ).update(status=BriefingStatus.QUEUED, queued_at=now, heartbeat_at=None):
            ids.append(pk)
    waiting = Briefing.objects.filter(
        superseded=False, status=BriefingStatus.QUEUED, queued_at__lt=now - queued_for
    ).exclude(pk__in=ids)
    for pk in list(waiting.values_list("pk", flat=True)):
        if Briefing.objects.filter(pk=pk, status=BriefingStatus.QUEUED).update(queued_at=now):
            ids.append(pk)
    for pk in ids:
        _render_after_commit(briefing_id=pk, queued_at=now)
    if ids:
        logger.warning("Re-enqueued stuck briefings: %s", ids)
    trips_reassess_outdated(now=now)
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


def briefing_ready_email_send(*, briefing_id: int, key: str) -> bool:
    """Send the "briefing ready" e-mail recorded after a render, once per key."""
    return outbox_run_once(key=key, work=lambda: notify_briefing_ready(briefing_id))


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
            roles.manager_emails(),
        )
    return {"travellers": travellers, "urgent_trips": len(urgent)}
