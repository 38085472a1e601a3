"""Filing a trip: create (idempotent by submission key), edit or amend, delete a draft."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from advisories.models import Place
from advisories.selectors import place_matcher, places_for
from core.audit import audit_record
from core.errors import TransitionNotAllowed
from core.lib.gazetteer import locate_city
from trips.models import (
    AMENDABLE,
    EDITABLE,
    LocationSource,
    Stop,
    Trip,
    TripStatus,
)
from trips.services.lifecycle import trip_assess_and_route, trip_lock, trip_move, trip_refuse_clash
from trips.services.validation import (
    NOT_YOUR_TRAVELLER,
    ItineraryInvalid,
    StopInput,
    TripInput,
    itinerary_earliest_start,
    itinerary_validate,
    may_file_for,
)


@dataclass(frozen=True)
class StopLocation:
    latitude: float | None = None
    longitude: float | None = None
    source: str = ""
    approximate: bool = False


def stop_location(*, stop: StopInput, place: Place | None) -> StopLocation:
    """Where a stop is on the map (product.md, "Places on the map"): its curated place's
    coordinates; else the ones its booking gave (an airport, a hotel); else, for a typed
    place, the one city of that country the gazetteer knows by that name (approximate: a
    city's centre); else nowhere, and the pages say so."""
    if place is not None and place.latitude is not None and place.longitude is not None:
        return StopLocation(place.latitude, place.longitude, LocationSource.PLACE)
    if stop.latitude is not None and stop.longitude is not None:
        return StopLocation(stop.latitude, stop.longitude, LocationSource.BOOKING)
    if stop.place.strip():
        city = locate_city(stop.country, stop.place)
        if city is not None:
            return StopLocation(city.latitude, city.longitude, LocationSource.GAZETTEER, True)
    return StopLocation()


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


def trip_input_apply(trip: Trip, data: TripInput) -> None:
    trip.purpose = data.purpose.strip()
    trip.passport_nationality = data.passport_nationality.upper()
    trip.passport_type = data.passport_type
    trip.visa_category = data.visa_category.strip()


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
        trip_input_apply(trip, data)
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
        locked = trip_lock(trip)
        if locked.status in EDITABLE:
            trip_input_apply(locked, data)
            _write_stops(locked, data.stops)
            locked.save()
            return locked
        if drafts_only:
            raise TransitionNotAllowed(DRAFTS_ONLY)
        if locked.status not in AMENDABLE:
            raise TransitionNotAllowed(
                f"A {locked.get_status_display().lower()} trip cannot be edited."
            )
        trip_input_apply(locked, data)
        _write_stops(locked, data.stops)
        locked.save()
        trip_refuse_clash(locked)  # inside the transaction: a refused amendment writes nothing
        trip_move(locked, by=by, to=TripStatus.SUBMITTED, comment="Itinerary amended")
        return trip_assess_and_route(locked, by=by, amended=True)


def trip_delete(*, trip: Trip, by: User) -> None:
    with transaction.atomic():
        locked = trip_lock(trip)
        if locked.status != TripStatus.DRAFT:
            raise TransitionNotAllowed("Only a draft can be deleted; cancel the trip instead.")
        audit_record(
            actor=by,
            action="trip.deleted",
            obj=locked,
            details={"traveller": locked.traveller.username, "purpose": locked.purpose},
        )
        locked.delete()
