"""Writes for the trips app: filing, the lifecycle, decisions and re-assessment.

Every state change goes through `_transition`, which locks the trip row, checks the state it
expects, records the Transition and the audit entry, all in one transaction. On SQLite the
portal opens transactions IMMEDIATE, so the lock is the database's write lock; on PostgreSQL it
is SELECT ... FOR UPDATE. Either way two managers acting at once produce one decision.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from advisories.models import Activity, AdvisoryVersion, Country, Place
from advisories.selectors import place_matcher, places_for
from core import roles
from core.audit import audit_record
from core.errors import Conflict, InvalidInput, NotAllowed, TransitionNotAllowed
from core.lib.countries import is_country_code
from core.lib.dates import years_later
from core.lib.gazetteer import locate_city
from core.lib.text import ONE_LINE_MESSAGE, has_visible_text, text_problem
from core.mail import send_templated
from core.models import PASSPORT_TYPES, OutboxMessage
from core.outbox import outbox_enqueue, outbox_run_once
from trips import engine, selectors
from trips.models import (
    AMENDABLE,
    CANCELLABLE,
    EDITABLE,
    NOTE_MAX_LENGTH,
    Assessment,
    CalendarFeed,
    Decision,
    LocationSource,
    Stop,
    Transition,
    Trip,
    TripQuerySet,
    TripStatus,
)
from trips.requirements import with_ids
from trips.signals import briefing_needed

logger = logging.getLogger(__name__)

MAX_STOPS = 50
PASSPORT_TYPE_CODES = {code for code, _ in PASSPORT_TYPES}


class ItineraryInvalid(InvalidInput):
    """Bad trip input; `errors` is shaped like DRF's: {"stops": {"1": {"departure": [...]}}}
    for a stop's field, {"stops": ["..."]} for the itinerary as a whole."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(errors, "The itinerary is not valid.")


def note_clean(value: str | None, *, field: str, required: str = "") -> str:
    """A decision's comment, a rejection's reason or a cancellation's note, checked the same
    way whichever page or endpoint sent it: stripped, at most NOTE_MAX_LENGTH characters, and
    present when `required` (the message to give when it is missing)."""
    text = (value or "").strip()
    if required and not has_visible_text(text):
        raise InvalidInput({field: [required]})
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidInput(
            {field: [f"Keep it to {NOTE_MAX_LENGTH} characters (this has {len(text)})."]}
        )
    problem = text_problem(text, multiline=True)
    if problem:
        raise InvalidInput({field: [problem]})
    return text


def may_cancel(trip: Trip, user: User) -> bool:
    """The traveller, their arranger or a security manager may cancel a trip."""
    return roles.is_manager(user) or Trip.objects.editable_by(user).filter(pk=trip.pk).exists()


@dataclass
class StopInput:
    country: str
    arrival: dt.date
    departure: dt.date
    place: str = ""
    activities: list[str] = field(default_factory=list)
    transit: bool = False
    # Where the stop is when its booking says so (an airport's or a hotel's coordinates, in
    # degrees): used when the stop's place is not a curated place with coordinates.
    latitude: float | None = None
    longitude: float | None = None


@dataclass
class TripInput:
    purpose: str
    stops: list[StopInput]
    passport_nationality: str = ""
    passport_type: str = ""
    visa_category: str = ""


# --- validation --------------------------------------------------------------------------


PURPOSE_ONE_LINE = "Write the purpose on one line, without control characters."
# How far back a security manager may record a trip that has already started or happened.
PAST_RECORD_YEARS = 2
TRIP_HORIZON_YEARS = 2


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def itinerary_validate(
    data: TripInput, *, today: dt.date | None = None, earliest_start: dt.date | None = None
) -> None:
    """Raise ItineraryInvalid naming every problem; nothing is saved before this passes.

    No stop may arrive before `earliest_start` (default today): a trip is planned ahead. A
    manager recording a past trip, and an amendment of a trip already under way, pass an
    earlier day (see itinerary_earliest_start)."""
    today = today or timezone.localdate()
    earliest = earliest_start or today
    # Stricter than the portal's horizon for events (core.lib.dates.portal_dates): a trip is
    # planned at most two years ahead, and starts no earlier than `earliest`.
    horizon = years_later(today, TRIP_HORIZON_YEARS)
    errors: dict[str, Any] = {}
    if not has_visible_text(data.purpose):
        errors["purpose"] = ["Say what the trip is for."]
    elif problem := text_problem(data.purpose):
        # It heads e-mails, lists and the briefing: one line of plain text.
        errors["purpose"] = [PURPOSE_ONE_LINE if problem == ONE_LINE_MESSAGE else problem]
    if problem := text_problem(data.visa_category):
        errors["visa_category"] = [problem]
    if data.passport_nationality and not is_country_code(data.passport_nationality):
        errors["passport_nationality"] = [f"Unknown country code {data.passport_nationality!r}."]
    if data.passport_type and data.passport_type not in PASSPORT_TYPE_CODES:
        errors["passport_type"] = [
            f"Unknown passport type {data.passport_type!r}: ordinary, diplomatic or service."
        ]
    if not data.stops:
        errors["stops"] = ["Add at least one stop."]
    elif len(data.stops) > MAX_STOPS:
        errors["stops"] = [f"A trip has at most {MAX_STOPS} stops; this one has {len(data.stops)}."]
    else:
        known_activities = set(
            Activity.objects.filter(
                code__in={code for stop in data.stops for code in stop.activities}
            ).values_list("code", flat=True)
        )
        stop_errors: list[dict[str, list[str]]] = []
        for stop in data.stops:
            problems: dict[str, list[str]] = {}
            if not is_country_code(stop.country):
                problems["country"] = [f"Unknown country code {stop.country!r}."]
            if stop.departure < stop.arrival:
                problems["departure"] = ["Departure is before arrival."]
            if stop.arrival < earliest:
                problems.setdefault("arrival", []).append(
                    "A trip cannot start in the past (before today, "
                    f"{today.day} {today:%b %Y}); a security manager can record a past trip."
                    if earliest >= today
                    else f"The earliest arrival possible is {earliest.day} {earliest:%b %Y}."
                )
            if problem := text_problem(stop.place):
                problems["place"] = [problem]
            problems.update(_coordinate_problems(stop))
            for name in ("arrival", "departure"):
                if getattr(stop, name) > horizon:
                    problems.setdefault(name, []).append(
                        f"Dates more than 2 years ahead (after {horizon:%d %B %Y}) cannot be "
                        "planned yet."
                    )
                    break
            unknown = [code for code in stop.activities if code not in known_activities]
            if unknown:
                problems["activities"] = [f"Unknown activity code {code!r}." for code in unknown]
            stop_errors.append(problems)
        ordered = sorted(
            range(len(data.stops)), key=lambda i: (data.stops[i].arrival, data.stops[i].departure)
        )
        for before, after in pairwise(ordered):
            previous, current = data.stops[before], data.stops[after]
            # Sharing a date is the travel day; arriving before the previous departure overlaps.
            if current.arrival < previous.departure:
                stop_errors[after].setdefault("arrival", []).append(
                    f"Overlaps the stop from {previous.arrival.day} {previous.arrival:%b} "
                    f"to {previous.departure.day} {previous.departure:%b}."
                )
        if any(stop_errors):
            errors["stops"] = {
                str(i): problems for i, problems in enumerate(stop_errors) if problems
            }
    if errors:
        raise ItineraryInvalid(errors)


def _coordinate_problems(stop: StopInput) -> dict[str, list[str]]:
    """Both coordinates or neither, each in its range."""
    problems: dict[str, list[str]] = {}
    for name, limit, message in (
        ("latitude", 90, "Latitude is in degrees from -90 (south) to 90 (north)."),
        ("longitude", 180, "Longitude is in degrees from -180 (west) to 180 (east)."),
    ):
        value = getattr(stop, name)
        if value is not None and not (math.isfinite(value) and -limit <= value <= limit):
            problems[name] = [message]
    if (stop.latitude is None) != (stop.longitude is None):
        missing = "longitude" if stop.longitude is None else "latitude"
        problems.setdefault(missing, ["Give both the latitude and the longitude, or neither."])
    return problems


@dataclass(frozen=True)
class _Location:
    latitude: float | None = None
    longitude: float | None = None
    source: str = ""
    approximate: bool = False


def stop_location(*, stop: StopInput, place: Place | None) -> _Location:
    """Where a stop is on the map (product.md, "Places on the map"): its curated place's
    coordinates; else the ones its booking gave (an airport, a hotel); else, for a typed
    place, the one city of that country the gazetteer knows by that name (approximate: a
    city's centre); else nowhere, and the pages say so."""
    if place is not None and place.latitude is not None and place.longitude is not None:
        return _Location(place.latitude, place.longitude, LocationSource.PLACE)
    if stop.latitude is not None and stop.longitude is not None:
        return _Location(stop.latitude, stop.longitude, LocationSource.BOOKING)
    if stop.place.strip():
        city = locate_city(stop.country, stop.place)
        if city is not None:
            return _Location(city.latitude, city.longitude, LocationSource.GAZETTEER, True)
    return _Location()


def stops_locate_from_place(*, place: Place) -> int:
    """Give the stops of a curated place its coordinates when the place gets or changes
    them (an admin's edit, a content pack's import: trips.receivers), as the place comes
    before a booking or the gazetteer; a place that loses them takes them from its stops
    that had them from it. One query; returns how many stops changed."""
    stops = Stop.objects.filter(place=place)
    if place.latitude is not None and place.longitude is not None:
        return (
            stops.exclude(
                latitude=place.latitude,
                longitude=place.longitude,
                location_source=LocationSource.PLACE,
            )
            .order_by()
            .update(
                latitude=place.latitude,
                longitude=place.longitude,
                location_source=LocationSource.PLACE,
                location_approximate=False,
            )
        )
    return (
        stops.filter(location_source=LocationSource.PLACE)
        .order_by()
        .update(latitude=None, longitude=None, location_source="", location_approximate=False)
    )


def _write_stops(trip: Trip, stops: Sequence[StopInput]) -> None:
    trip.stops.all().delete()
    codes = {stop.country.upper() for stop in stops}
    # The one matcher (core.lib.places) the engine's loader uses too.
    by_country: dict[str, list[Place]] = {}
    for place in places_for(codes):
        by_country.setdefault(place.country_id, []).append(place)
    matchers = {code: place_matcher(places) for code, places in by_country.items()}
    ordered = sorted(stops, key=lambda s: (s.arrival, s.departure))
    rows = []
    for position, stop in enumerate(ordered):
        code = stop.country.upper()
        curated = matchers[code].match(stop.place) if stop.place and code in matchers else None
        location = stop_location(stop=stop, place=curated)
        rows.append(
            Stop(
                trip=trip,
                position=position,
                country_id=code,
                place=curated,
                place_text=stop.place.strip(),
                arrival=stop.arrival,
                departure=stop.departure,
                activities=sorted(set(stop.activities)),
                transit=stop.transit,
                latitude=location.latitude,
                longitude=location.longitude,
                location_source=location.source,
                location_approximate=location.approximate,
            )
        )
    Stop.objects.bulk_create(rows)
    trip.first_arrival = ordered[0].arrival
    trip.last_departure = max(stop.departure for stop in ordered)


def _apply(trip: Trip, data: TripInput) -> None:
    trip.purpose = data.purpose.strip()
    trip.passport_nationality = data.passport_nationality.upper()
    trip.passport_type = data.passport_type
    trip.visa_category = data.visa_category.strip()


NOT_YOUR_TRAVELLER = "You may not file trips for this traveller."


def may_file_for(user: User, traveller: User) -> bool:
    if user == traveller:
        return True
    return roles.is_arranger(user) and traveller.profile.arrangers.filter(pk=user.pk).exists()


# --- filing ------------------------------------------------------------------------------


def itinerary_earliest_start(*, by: User, trip: Trip | None = None) -> dt.date:
    """The earliest arrival `by` may give a trip: today; the trip's own start when it is
    already under way (an amendment keeps its past stops); PAST_RECORD_YEARS back for a
    security manager, who records trips after the fact (Trip.recorded_after_start)."""
    today = timezone.localdate()
    if roles.is_manager(by):
        return _years_before(today, PAST_RECORD_YEARS)
    if trip is not None and trip.first_arrival is not None:
        return min(today, trip.first_arrival)
    return today


def trip_filed_with(*, by: User, submission_key: uuid.UUID | None) -> Trip | None:
    """The trip `by` already filed with this submission key, if any."""
    if submission_key is None:
        return None
    return Trip.objects.filter(created_by=by, submission_key=submission_key).first()


def trip_create(
    *,
    by: User,
    data: TripInput,
    traveller: User | None = None,
    submission_key: uuid.UUID | None = None,
) -> Trip:
    """File a draft trip for `traveller` (default: the user themself). A security manager may
    record a trip that has started or ended; it is marked so (Trip.recorded_after_start) and
    audited.

    Idempotent by `submission_key` (the filing form's own key, or an API client's
    Idempotency-Key): the same form sent again (the back button, a double click, a retried
    request) files no second trip. The trip that key filed is returned, with what was sent
    this time applied while it is still a draft (the traveller went back to correct it)."""
    traveller = traveller or by
    if not may_file_for(by, traveller):
        raise ItineraryInvalid({"traveller": [NOT_YOUR_TRAVELLER]})
    if (filed := trip_filed_with(by=by, submission_key=submission_key)) is not None:
        if filed.status == TripStatus.DRAFT and filed.traveller_id == traveller.pk:
            return trip_update(trip=filed, by=by, data=data, drafts_only=True)
        return filed
    itinerary_validate(data, earliest_start=itinerary_earliest_start(by=by))
    try:
        return _create(by=by, data=data, traveller=traveller, submission_key=submission_key)
    except IntegrityError:
        # The same key sent twice at once: the other request filed it.
        filed = trip_filed_with(by=by, submission_key=submission_key)
        if filed is None:
            raise
        return filed


def _create(
    *, by: User, data: TripInput, traveller: User, submission_key: uuid.UUID | None
) -> Trip:
    with transaction.atomic():
        trip = Trip(traveller=traveller, created_by=by, submission_key=submission_key)
        _apply(trip, data)
        trip.save()
        _write_stops(trip, data.stops)
        trip.save()
        if trip.first_arrival is not None and trip.first_arrival < timezone.localdate():
            audit_record(
                actor=by,
                action="trip.recorded_after_start",
                obj=trip,
                details={"first_arrival": trip.first_arrival.isoformat()},
            )
    return trip


DRAFTS_ONLY = "Only a draft can be changed through PATCH."


def trip_update(*, trip: Trip, by: User, data: TripInput, drafts_only: bool = False) -> Trip:
    """Edit a draft; an approved, cleared, pending or rejected trip is amended instead: its new
    itinerary is re-assessed and, if needed, goes back for approval. With `drafts_only` (the
    API's PATCH) anything but a draft is refused, checked again under the lock."""
    itinerary_validate(data, earliest_start=itinerary_earliest_start(by=by, trip=trip))
    with transaction.atomic():
        locked = _lock(trip)
        if locked.status in EDITABLE:
            _apply(locked, data)
            _write_stops(locked, data.stops)
            locked.save()
            return locked
        if drafts_only:
            raise TransitionNotAllowed(DRAFTS_ONLY)
        if locked.status not in AMENDABLE:
            raise TransitionNotAllowed(
                f"A {locked.get_status_display().lower()} trip cannot be edited."
            )
        _apply(locked, data)
        _write_stops(locked, data.stops)
        locked.save()
        _refuse_clash(locked)  # inside the transaction: a refused amendment writes nothing
        _move(locked, by=by, to=TripStatus.SUBMITTED, comment="Itinerary amended")
        return _assess_and_route(locked, by=by, amended=True)


def trip_delete(*, trip: Trip, by: User) -> None:
    with transaction.atomic():
        locked = _lock(trip)
        if locked.status != TripStatus.DRAFT:
            raise TransitionNotAllowed("Only a draft can be deleted; cancel the trip instead.")
        audit_record(
            actor=by,
            action="trip.deleted",
            obj=locked,
            details={"traveller": locked.traveller.username, "purpose": locked.purpose},
        )
        locked.delete()


# --- the lifecycle -----------------------------------------------------------------------


def _lock(trip: Trip) -> Trip:
    return Trip.objects.select_for_update().select_related("traveller").get(pk=trip.pk)


def _move(trip: Trip, *, by: User | None, to: TripStatus, comment: str = "") -> None:
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


def _assessment_values(result: engine.Assessment) -> dict[str, Any]:
    """What an Assessment row stores of an engine result."""
    return {
        "risk_level": result.risk_level,
        "known_level": result.known_level,
        "requires_approval": result.requires_approval,
        "approvals_needed": result.approvals_needed,
        "approval_reasons": list(result.approval_reasons),
        "requirements": with_ids([_requirement_json(r) for r in result.requirements]),
        "sections": [
            {
                "stop_index": s.stop_index,
                "country": s.country,
                "place": s.place,
                "key": s.key,
                "topic": s.topic,
                "heading": s.heading,
                "level": s.level,
            }
            for s in result.sections
        ],
        "explanation": list(result.explanation),
        "content_versions": dict(result.content_versions),
        "incidents": [incident_json(incident) for incident in result.incidents],
    }


def _store(trip: Trip, result: engine.Assessment) -> Assessment:
    trip.risk_level = result.risk_level
    trip.approvals_needed = result.approvals_needed
    return Assessment.objects.create(trip=trip, **_assessment_values(result))


def _same_assessment(previous: Assessment | None, result: engine.Assessment) -> bool:
    """Whether the stored assessment already says all that the result says."""
    if previous is None:
        return False
    return all(
        getattr(previous, name) == value for name, value in _assessment_values(result).items()
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


def incident_json(incident: engine.MatchedIncident) -> dict[str, Any]:
    """An incident of an assessment as it is stored (and previewed)."""
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "starts_on": incident.starts_on.isoformat(),
        "ends_on": incident.ends_on.isoformat() if incident.ends_on else None,
        "match": incident.match,
        "stop_indexes": list(incident.stop_indexes),
        "where": list(incident.where),
    }


def _requirement_json(requirement: engine.Requirement) -> dict[str, Any]:
    source = requirement.source
    return {
        "kind": requirement.kind,
        "title": requirement.title,
        "detail": requirement.detail,
        "due_date": requirement.due_date.isoformat() if requirement.due_date else None,
        "country": requirement.country,
        "place": requirement.place,
        "rule": requirement.rule,
        "citation": requirement.citation,
        "authority": requirement.authority,
        "source": None
        if source is None
        else {
            "key": source.key,
            "publisher": source.publisher,
            "title": source.title,
            "url": source.url,
            "retrieved": source.retrieved.isoformat() if source.retrieved else None,
        },
    }


def _assess_and_route(trip: Trip, *, by: User | None, amended: bool = False) -> Trip:
    """From `submitted`: assess, then either await a decision or approve automatically."""
    result = selectors.trip_assess(trip)
    _store(trip, result)
    if result.requires_approval:
        trip.approval_round += 1
        _move(
            trip, by=by, to=TripStatus.PENDING_APPROVAL, comment="; ".join(result.approval_reasons)
        )
        _email_after_commit(
            trip, email=DECISION_NEEDED, key=f"decision-needed:{trip.pk}:{trip.approval_round}"
        )
    else:
        _move(
            trip, by=None, to=TripStatus.APPROVED, comment="Automatic: below the approval threshold"
        )
        _request_briefing(trip, reason="amended" if amended else "approved", by=by)
    return trip


def _request_briefing(
    trip: Trip, *, reason: str, by: User | None, changes: Sequence[str] = (), recheck: str = ""
) -> None:
    # Inside the transaction that approved the trip: the briefing (and its render, through
    # the outbox) is recorded with the approval, so no broker outage or crash after the
    # commit can lose it.
    fresh = Trip.objects.get(pk=trip.pk)
    briefing_needed.send(
        sender=Trip, trip=fresh, reason=reason, changes=list(changes), by=by, recheck=recheck
    )


def _email_after_commit(trip: Trip, *, email: str, key: str, **params: Any) -> None:
    """Record a trip e-mail in the current transaction (core.outbox): a worker sends it
    after the commit, once per `key` however often the message is delivered, and retries
    while the mail server is down. `params` are the e-mail function's JSON arguments."""
    key = f"trips.email.{key}"
    outbox_enqueue(
        task="trips.tasks.send_trip_email",
        kwargs={"email": email, "trip_id": trip.pk, "key": key, "params": params},
        key=key,
    )


def trip_submit(*, trip: Trip, by: User) -> Trip:
    """Submit a draft: assess it and route it to approval or approve it automatically."""
    with transaction.atomic():
        locked = _lock(trip)
        if locked.status != TripStatus.DRAFT:
            raise TransitionNotAllowed(
                "Only a draft can be submitted; "
                f"this trip is {locked.get_status_display().lower()}."
            )
        if not locked.stops.exists():
            raise ItineraryInvalid({"stops": ["Add at least one stop before submitting."]})
        _refuse_clash(locked)
        _move(locked, by=by, to=TripStatus.SUBMITTED)
        return _assess_and_route(locked, by=by)


def _refuse_clash(trip: Trip) -> None:
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
        locked = _lock(trip)
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
        _move(locked, by=by, to=TripStatus.CANCELLED, comment=reason)
        return locked


def trip_approve(*, trip: Trip, by: User, comment: str = "") -> Trip:
    """A manager approves. At the dual-approval level the trip stays pending until a second,
    different manager approves too."""
    comment = note_clean(comment, field="comment")
    with transaction.atomic():
        locked = _lock(trip)
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
            _email_after_commit(
                locked,
                email=DECISION_NEEDED,
                key=f"second-approval-needed:{locked.pk}:{locked.approval_round}",
            )
            return locked
        _move(locked, by=by, to=TripStatus.APPROVED, comment=comment)
        _request_briefing(locked, reason="approved", by=by)
        _email_after_commit(
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
        locked = _lock(trip)
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
        _move(locked, by=by, to=TripStatus.REJECTED, comment=reason)
        _email_after_commit(
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
        locked = _lock(trip)
        if locked.status == TripStatus.APPROVED:
            _move(locked, by=by, to=TripStatus.CLEARED, comment="Briefing acknowledged")
        return locked


def trip_briefing_superseded(*, trip: Trip) -> Trip:
    """A new briefing replaces the acknowledged one: not cleared until it is acknowledged."""
    with transaction.atomic():
        locked = _lock(trip)
        if locked.status == TripStatus.CLEARED:
            _move(locked, by=None, to=TripStatus.APPROVED, comment="New briefing to acknowledge")
        return locked


# --- content changes and the calendar ----------------------------------------------------


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
        locked = _lock(trip)
        previous = locked.assessments.first()
        if (
            previous is not None
            and country_code is not None
            and version is not None
            and previous.content_versions.get(country_code, 0) >= version
        ):
            return False
        result = selectors.trip_assess(locked)
        if unless_unchanged and _same_assessment(previous, result):
            return False
        new_critical = _new_critical_incidents(previous, result)
        changes = assessment_changes(previous, _store(locked, result))
        approvals_had = locked.decisions.filter(
            approval_round=locked.approval_round, outcome=Decision.Outcome.APPROVE
        ).count()
        decided = not result.requires_approval or (
            approvals_had >= result.approvals_needed and not new_critical
        )
        if locked.status == TripStatus.PENDING_APPROVAL and decided:
            # The content no longer asks for the decision it was waiting for (or for the
            # second approval it lacked): approved as on submit, and briefed.
            _move(
                locked,
                by=None,
                to=TripStatus.APPROVED,
                comment=f"Automatic: re-assessed ({reason}); no further decision is needed",
            )
            # The traveller hears of it with the new briefing, which says what changed for
            # their trip (measured by the briefings app against the one they read).
            _request_briefing(locked, reason="content_changed", by=None, changes=[reason])
            return True
        if locked.status not in {TripStatus.APPROVED, TripStatus.CLEARED}:
            locked.save(update_fields=["risk_level", "approvals_needed", "updated_at"])
            return True
        if not decided:
            locked.approval_round += 1
            _move(locked, by=None, to=TripStatus.PENDING_APPROVAL, comment=f"Re-assessed: {reason}")
            _email_after_commit(
                locked,
                email=DECISION_NEEDED,
                key=f"decision-needed:{locked.pk}:{locked.approval_round}",
                reassessed=reason,
            )
            _email_after_commit(
                locked,
                email=REOPENED,
                key=f"reopened:{locked.pk}:{locked.approval_round}",
                reason=reason,
                changes=list(changes),
            )
            return True
        locked.save(update_fields=["risk_level", "approvals_needed", "updated_at"])
        # Re-briefed only if what this trip's own briefing says changed; otherwise its
        # acknowledged briefing stands and the audit trail says it was checked.
        checked_against = (
            f"{country_code} v{version}" if country_code and version is not None else reason
        )
        _request_briefing(
            locked,
            reason="content_changed",
            by=None,
            changes=[reason],
            recheck=checked_against,
        )
        return True


def assessment_unsaved(*, trip: Trip, result: engine.Assessment) -> Assessment:
    """The engine's result as an assessment row, not saved: what a content change would store
    for the trip (the admin's publish step compares it with the trip's briefing)."""
    return Assessment(trip=trip, **_assessment_values(result))


def assessment_changes(previous: Assessment | None, current: Assessment | None) -> list[str]:
    """What changed for the traveller between two stored assessments, in plain words, for the
    "what changed" note of a new briefing (a re-brief after a content change or an amendment).
    """
    if previous is None or current is None:
        return []
    changes: list[str] = []
    if previous.risk_level != current.risk_level:
        changes.append(
            f"Risk level changed from {previous.risk_level or 'unknown'} "
            f"to {current.risk_level or 'unknown'}."
        )
    before = {(r["kind"], r["title"], r["due_date"]) for r in previous.requirements}
    after = {(r["kind"], r["title"], r["due_date"]) for r in current.requirements}
    for _kind, title, due in sorted(after - before, key=str):
        changes.append(f"New requirement: {title}" + (f" (due {due})." if due else "."))
    for _kind, title, _due in sorted(before - after, key=str):
        changes.append(f"No longer required: {title}.")
    had = {item.get("id"): item for item in previous.incidents or []}
    has = {item.get("id"): item for item in current.incidents or []}
    for key, item in has.items():
        if key not in had or had[key].get("severity") != item.get("severity"):
            changes.append(f"Incident where you are going: {item['title']} ({item['severity']}).")
    for key, item in had.items():
        if key not in has:
            changes.append(f"No longer an incident for this trip: {item['title']}.")
    return changes


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


def trips_complete_past(*, today: dt.date | None = None) -> int:
    """Trips whose last departure has passed are completed (cancelled and drafts aside)."""
    today = today or timezone.localdate()
    count = 0
    for trip in Trip.objects.filter(
        last_departure__lt=today,
        status__in=[TripStatus.APPROVED, TripStatus.CLEARED],
    ):
        with transaction.atomic():
            locked = _lock(trip)
            if locked.status in {TripStatus.APPROVED, TripStatus.CLEARED}:
                _move(locked, by=None, to=TripStatus.COMPLETED, comment="Returned")
                count += 1
    return count


# --- e-mail ------------------------------------------------------------------------------


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
    managers = (
        User.objects.filter(groups__name=roles.MANAGER, is_active=True)
        .exclude(pk=trip.traveller_id)
        .exclude(pk__in=[decision.manager_id for decision in approvals])
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
        list(managers.values_list("email", flat=True)),
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
    """Send one trip e-mail recorded by _email_after_commit, once per key (True if sent now)."""
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
            _email_after_commit(
                stop.trip,
                email=TRAVELLERS_MESSAGE,
                key=f"message:{entry.pk}:{stop.trip.traveller_id}",
                subject=subject,
                message=message,
                sender=by.pk,
            )
    return len(reachable)


# --- the personal calendar feed's secret (trips.calendar writes the feed itself) -------------

CALENDAR_OWNER_ONLY = "Only the owner of a calendar address can change it."


def calendar_feed_renew(*, user: User, by: User) -> CalendarFeed:
    """Give ``user`` a calendar address with a new secret; any previous one stops working at
    once. Only its owner takes one. Audited as ``calendar.created`` or ``calendar.renewed``."""
    if by.pk != user.pk:
        raise NotAllowed(CALENDAR_OWNER_ONLY)
    with transaction.atomic():
        had = CalendarFeed.objects.filter(user=user).delete()[0] > 0
        feed = CalendarFeed.objects.create(user=user, token=secrets.token_urlsafe(32))
        audit_record(actor=by, action="calendar.renewed" if had else "calendar.created", obj=feed)
    return feed


def calendar_feed_revoke(*, user: User, by: User | None, reason: str = "") -> bool:
    """Stop ``user``'s calendar address from working; True if there was one. By its owner
    (the profile page), or by the portal itself (``by`` None) when their password changes, as
    their API tokens end. Audited as ``calendar.revoked`` with the reason."""
    if by is not None and by.pk != user.pk:
        raise NotAllowed(CALENDAR_OWNER_ONLY)
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            return False
        # Recorded against the owner: the feed's row goes, and whose address it was is what
        # the trail (and the owner's "download my data") must find.
        audit_record(
            actor=by,
            action="calendar.revoked",
            obj=user,
            details={"reason": reason} if reason else {},
        )
        feed.delete()
    return True
