"""Writes for bookings: one booking in our JSON (contracts.md), from any door, becomes or
updates a trip through trips' services (product.md, "Bookings: trips that arrive by
themselves"). Everything one call does happens in one transaction: a booking the trip's own
rules refuse (dates that overlap another trip, a stop too far ahead) writes nothing.

The trip is filed, amended and cancelled in the traveller's name (trips' services check that
the one acting may file for the traveller; a feed account is nobody's arranger); who actually
sent the booking is in the booking and in its audit entries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.derive import DerivedStop, stops_derive
from bookings.models import RAW_MAX_CHARS, Booking, BookingState, BookingStatus, Door, Segment
from bookings.validation import BookingData, BookingInvalid, SegmentData, booking_parse
from core import roles
from core.audit import audit_record
from core.errors import InvalidInput, NotAllowed, TransitionNotAllowed
from trips import services as trip_services
from trips.models import Stop, Trip, TripStatus
from trips.services import StopInput, TripInput

__all__ = [
    "BookingInvalid",
    "BookingResult",
    "booking_assign",
    "booking_dismiss",
    "booking_keep_unassigned",
    "booking_receive",
]

DOORS = {door.value for door in Door}
PURPOSE_MAX = 300
# The trips a booking may join: those going ahead, or a draft its traveller is still writing.
JOINABLE = (
    TripStatus.DRAFT,
    TripStatus.SUBMITTED,
    TripStatus.PENDING_APPROVAL,
    TripStatus.APPROVED,
    TripStatus.CLEARED,
)


@dataclass
class BookingResult:
    booking: Booking
    trip: Trip | None
    status: str  # "assigned" | "unassigned" | "dismissed"
    created: bool  # False: a known (reference, source) was updated (or the same input again)


# --- the traveller -----------------------------------------------------------------------


def _user_by_email(email: str) -> User | None:
    if not email:
        return None
    found = list(User.objects.filter(email__iexact=email, is_active=True)[:2])
    # Two accounts with one address: guessing would file a trip for the wrong person.
    return found[0] if len(found) == 1 else None


def _arranges_for(user: User, traveller: User) -> bool:
    return trip_services.may_file_for(user, traveller)


def traveller_resolve(
    *, data: BookingData, by: User | None, door: str, sender_email: str
) -> tuple[User | None, str]:
    """Whose booking this is, or None and why not (product.md: the reservation's e-mail, else
    a user forwarding their own; an arranger may send their travellers'; nobody else's)."""
    named = _user_by_email(data.traveller_email)
    sender = _user_by_email(sender_email) if sender_email else None
    if sender is None and door == Door.MANUAL and by is not None:
        sender = by
    if data.traveller_email and named is None:
        return None, f"No portal user has the e-mail address {data.traveller_email}."
    if named is None:
        if sender is not None:
            return sender, ""
        return None, "The booking names no traveller, and its sender is not a portal user."
    if sender is None or sender == named or _arranges_for(sender, named):
        return named, ""
    return None, (
        f"{sender.email or sender.username} sent a booking for {data.traveller_email}, "
        "and is not their travel arranger."
    )


# --- stops -------------------------------------------------------------------------------


def stop_input_from_derived(stop: DerivedStop, *, activities: Sequence[str] = ()) -> StopInput:
    """The trips' StopInput for a derived stop: the one place bookings build it. A booked stop
    carries its airport's or hotel's coordinates (a curated place's still win: trips'
    services)."""
    return StopInput(
        country=stop.country,
        place=stop.place,
        arrival=stop.arrival,
        departure=stop.departure,
        activities=list(activities),
        transit=stop.transit,
        latitude=stop.latitude,
        longitude=stop.longitude,
    )


def _held_stops(trip: Trip) -> list[StopInput]:
    return [
        StopInput(
            country=stop.country_id,
            place=stop.place_text or (stop.place.name if stop.place else ""),
            arrival=stop.arrival,
            departure=stop.departure,
            activities=list(stop.activities),
            transit=stop.transit,
            # A booking's coordinates stay with its stop; others are found again from the place.
            latitude=stop.latitude if stop.location_source == "booking" else None,
            longitude=stop.longitude if stop.location_source == "booking" else None,
        )
        for stop in Stop.objects.filter(trip=trip).select_related("place").order_by("position")
    ]


def _stop_json(stop: StopInput) -> dict[str, Any]:
    return {
        "country": stop.country.upper(),
        "place": stop.place,
        "arrival": stop.arrival.isoformat(),
        "departure": stop.departure.isoformat(),
        "transit": stop.transit,
    }


def _same_stop(stop: StopInput, recorded: dict[str, Any]) -> bool:
    return _stop_json(stop) | {"place": stop.place.casefold()} == recorded | {
        "place": str(recorded["place"]).casefold()
    }


def stops_take_back(
    held: list[StopInput], given: list[dict[str, Any]]
) -> tuple[list[StopInput], dict[tuple[str, str], list[str]]]:
    """The trip's stops less what one booking gave them last time (`given`, as stops_merge
    recorded it): a stop it added goes, a stop it widened is as it was before. Also the
    activities the traveller had added to the stops that go, for the stops replacing them."""
    kept = list(held)
    activities: dict[tuple[str, str], list[str]] = {}
    for record in reversed(given):
        index = next((i for i, s in enumerate(kept) if _same_stop(s, record["final"])), None)
        if index is None:
            continue  # the traveller changed that stop by hand since: it is theirs now
        stop = kept[index]
        if record["was"] is None:
            activities[(stop.country.upper(), stop.place.casefold())] = stop.activities
            del kept[index]
        else:
            was = record["was"]
            # replace() keeps whatever else the stop carries (its coordinates, once trips'
            # StopInput has them).
            kept[index] = replace(
                stop,
                country=was["country"],
                place=was["place"],
                arrival=dt.date.fromisoformat(was["arrival"]),
                departure=dt.date.fromisoformat(was["departure"]),
                transit=was["transit"],
            )
    return kept, activities


def _overlaps(stop: StopInput, derived: DerivedStop) -> bool:
    if stop.country.upper() != derived.country:
        return False
    if stop.place and derived.place and stop.place.casefold() != derived.place.casefold():
        return False
    return stop.arrival <= derived.departure and derived.arrival <= stop.departure


def stops_merge(
    held: list[StopInput],
    derived: Sequence[DerivedStop],
    activities: dict[tuple[str, str], list[str]] | None = None,
) -> tuple[list[StopInput], list[dict[str, Any]]]:
    """The trip's stops with a booking's, and what the booking gave them (for
    stops_take_back): a derived stop at a place the trip already holds on overlapping dates (a
    hotel booked apart from the flights, a stop filed by hand) widens that stop; any other is
    added."""
    merged = list(held)
    activities = activities or {}
    given: list[dict[str, Any]] = []
    for stop in derived:
        index = next((i for i, s in enumerate(merged) if _overlaps(s, stop)), None)
        if index is None:
            added = stop_input_from_derived(
                stop, activities=activities.get((stop.country, stop.place.casefold()), ())
            )
            merged.append(added)
            given.append({"final": _stop_json(added), "was": None})
            continue
        other = merged[index]
        merged[index] = replace(
            other,
            place=other.place or stop.place,
            arrival=min(other.arrival, stop.arrival),
            departure=max(other.departure, stop.departure),
            transit=other.transit and stop.transit,
        )
        given.append({"final": _stop_json(merged[index]), "was": _stop_json(other)})
    return sorted(merged, key=lambda s: (s.arrival, s.departure)), given


def purpose_for(data: BookingData) -> str:
    """ "Flights LHR-ALA, booking RXJ34P": what the booking is, which the traveller may edit."""
    moves = sorted(
        (s for s in data.segments if s.kind != "hotel"), key=lambda s: (s.departs, s.arrives)
    )
    flights = [s for s in moves if s.kind == "flight"]
    if flights:
        what = "Flights " + _route(flights, codes=True)
    elif moves:
        label = {"rail": "Rail", "bus": "Bus"}[moves[0].kind]
        what = f"{label} {_route(moves, codes=False)}"
    else:
        hotels = [s for s in data.segments if s.kind == "hotel"]
        what = "Hotel " + ", ".join(dict.fromkeys(h.city or h.name for h in hotels))
    if data.reference:
        what += f", booking {data.reference}"
    return what[:PURPOSE_MAX]


def _route(moves: list[SegmentData], *, codes: bool) -> str:
    names: list[str] = []
    for move in moves:
        for end in (move.origin, move.destination):
            assert end is not None
            name = end.code if codes and end.code else end.city
            if not names or names[-1] != name:
                names.append(name)
    if len(names) > 2 and names[-1] == names[0]:
        names.pop()  # the way home says nothing: "Flights LHR-ALA", not "LHR-ALA-LHR"
    return "-".join(names)


# --- the booking and its segments --------------------------------------------------------


def _segment_row(booking: Booking, position: int, segment: SegmentData) -> Segment:
    row = Segment(booking=booking, position=position, kind=segment.kind)
    if segment.kind == "hotel":
        row.name, row.city, row.country_id = segment.name, segment.city, segment.country
        row.latitude, row.longitude = segment.latitude, segment.longitude
        row.check_in, row.check_out = segment.check_in, segment.check_out
        return row
    origin, destination = segment.origin, segment.destination
    assert origin and destination and segment.departs and segment.arrives
    row.carrier, row.number = segment.carrier, segment.number
    row.from_code, row.from_city, row.from_country_id = origin.code, origin.city, origin.country
    row.from_tz, row.from_latitude, row.from_longitude = (
        origin.tz,
        origin.latitude,
        origin.longitude,
    )
    row.to_code, row.to_city, row.to_country_id = (
        destination.code,
        destination.city,
        destination.country,
    )
    row.to_tz, row.to_latitude, row.to_longitude = (
        destination.tz,
        destination.latitude,
        destination.longitude,
    )
    row.departs, row.arrives = segment.departs, segment.arrives
    row.departs_local, row.arrives_local = segment.departs.isoformat(), segment.arrives.isoformat()
    row.departs_on, row.arrives_on = segment.departs.date(), segment.arrives.date()
    return row


def _segments_write(booking: Booking, data: BookingData) -> None:
    booking.segments.all().delete()
    Segment.objects.bulk_create(
        _segment_row(booking, position, segment) for position, segment in enumerate(data.segments)
    )


def digest_of(data: BookingData) -> str:
    text = json.dumps(data.as_json(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _parse(payload: dict[str, Any]) -> tuple[BookingData, Booking | None]:
    today = timezone.localdate()
    # Parsed first as if known, to learn its reference; a new booking for the past is refused.
    data = booking_parse(payload, today=today, allow_past=True)
    bookings = Booking.objects.select_for_update()
    if data.reference:
        known = bookings.filter(source=data.source, reference=data.reference).first()
    else:
        # No reference to know it by: the very same booking again is still the same one.
        known = bookings.filter(reference="", digest=digest_of(data)).first()
    if known is None:
        data = booking_parse(payload, today=today, allow_past=False)
    return data, known


def _check_door(door: str) -> None:
    if door not in DOORS:
        raise ValueError(f"unknown booking door {door!r}")


def _data_of(booking: Booking) -> BookingData:
    return booking_parse(booking.payload, today=timezone.localdate(), allow_past=True)


# --- the trip ----------------------------------------------------------------------------


def _joinable_trip(traveller: User, data: BookingData) -> Trip | None:
    """The traveller's trip, going ahead, that this booking's dates overlap (a shared travel
    day is no overlap, as between trips)."""
    start, end = data.starts_on, data.ends_on
    trips = Trip.objects.filter(traveller=traveller, status__in=JOINABLE)
    if start == end:
        trips = trips.filter(first_arrival__lte=end, last_departure__gte=start)
    else:
        trips = trips.filter(first_arrival__lt=end, last_departure__gt=start)
    return trips.order_by("first_arrival", "id").first()


def _as_booking_error(error: InvalidInput) -> BookingInvalid:
    """A trip rule that refuses the booking's stops, said about the booking's segments."""
    return BookingInvalid({"segments": error.messages()})


def _trip_save(
    *, trip: Trip | None, traveller: User, stops: list[StopInput], purpose: str = ""
) -> Trip:
    try:
        if trip is None:
            trip = trip_services.trip_create(
                by=traveller, traveller=traveller, data=TripInput(purpose=purpose, stops=stops)
            )
            return trip_services.trip_submit(trip=trip, by=traveller)
        data = TripInput(
            purpose=trip.purpose,
            stops=stops,
            passport_nationality=trip.passport_nationality,
            passport_type=trip.passport_type,
            visa_category=trip.visa_category,
        )
        trip = trip_services.trip_update(trip=trip, by=traveller, data=data)
        if trip.status == TripStatus.DRAFT:
            trip = trip_services.trip_submit(trip=trip, by=traveller)
        return trip
    except InvalidInput as error:
        raise _as_booking_error(error) from error


def _held_elsewhere(booking: Booking, trip: Trip) -> bool:
    return (
        Booking.objects.filter(
            trip=trip, status=BookingStatus.CONFIRMED, state=BookingState.ASSIGNED
        )
        .exclude(pk=booking.pk)
        .exists()
    )


def _trip_apply(booking: Booking, data: BookingData, traveller: User) -> Trip | None:
    """Make, update, join or cancel the trip this booking is part of."""
    trip = booking.trip
    if trip is not None and trip.status not in JOINABLE and trip.status != TripStatus.REJECTED:
        trip = None  # cancelled or over: the booking starts a journey of its own
    previous = list(booking.stops)
    if data.status == BookingStatus.CANCELLED:
        booking.stops = []
        if trip is None:
            return booking.trip
        held = _held_stops(trip)
        kept, _ = stops_take_back(held, previous)
        if not kept and not _held_elsewhere(booking, trip):
            try:
                return trip_services.trip_cancel(
                    trip=trip, by=traveller, reason=f"Booking {data.reference} was cancelled."
                )
            except TransitionNotAllowed as error:
                raise BookingInvalid({"status": [str(error)]}) from error
        if kept and kept != held:
            return _trip_save(trip=trip, traveller=traveller, stops=kept)
        return trip
    derived = stops_derive(data.segments)
    if trip is None:
        trip = _joinable_trip(traveller, data)
    if trip is None:
        stops, booking.stops = stops_merge([], derived)
        return _trip_save(trip=None, traveller=traveller, stops=stops, purpose=purpose_for(data))
    kept, activities = stops_take_back(_held_stops(trip), previous)
    stops, booking.stops = stops_merge(kept, derived, activities)
    return _trip_save(trip=trip, traveller=traveller, stops=stops)


def _audit(booking: Booking, *, action: str, by: User | None, **details: Any) -> None:
    audit_record(
        actor=by,
        action=f"booking.{action}",
        obj=booking,
        details={
            "reference": booking.reference,
            "source": booking.source,
            "door": booking.door,
            "status": booking.status,
            "state": booking.state,
            "trip": booking.trip_id,
            **({"traveller": booking.traveller.username} if booking.traveller else {}),
            **details,
        },
    )


# --- the doors' one service --------------------------------------------------------------


def booking_receive(
    *, payload: dict[str, Any], by: User | None, door: str, raw: str = "", sender_email: str = ""
) -> BookingResult:
    """One booking in our JSON (contracts.md), from any door ("feed", "email", "manual").

    Validates it whole (BookingInvalid: a domain InvalidInput whose errors name the JSON path,
    'segments[0].from: unknown airport "XXX"'), then creates or updates the Booking by
    (reference, source), derives or updates its trip, and returns what it did. Nothing is
    half-written."""
    _check_door(door)
    try:
        return _receive(payload=payload, by=by, door=door, raw=raw, sender_email=sender_email)
    except IntegrityError:
        # The same new booking sent twice at once: the other call made it; this one is now an
        # update of it (or the same input again, which changes nothing).
        return _receive(payload=payload, by=by, door=door, raw=raw, sender_email=sender_email)


def _receive(
    *, payload: dict[str, Any], by: User | None, door: str, raw: str, sender_email: str
) -> BookingResult:
    with transaction.atomic():
        data, known = _parse(payload)
        normalised = data.as_json()
        if known is not None and known.payload == normalised:
            # The same booking again (a retried call, the same e-mail twice): nothing changes.
            return BookingResult(known, known.trip, known.state, created=False)
        booking = known or Booking(reference=data.reference, source=data.source, door=door)
        booking.status = data.status
        booking.payload = normalised
        booking.digest = digest_of(data)
        booking.traveller_email = data.traveller_email
        booking.traveller_name = data.traveller_name
        booking.raw = (raw or "")[:RAW_MAX_CHARS]
        booking.sender_email = sender_email[:254]
        booking.received_by = by if by is not None and by.is_authenticated else None
        booking.save()
        _segments_write(booking, data)
        if booking.state == BookingState.DISMISSED:
            booking.save()
            _audit(booking, action="updated", by=by)
            return BookingResult(booking, None, booking.state, created=known is None)
        traveller = booking.traveller
        if traveller is None:
            traveller, reason = traveller_resolve(
                data=data, by=by, door=door, sender_email=sender_email
            )
            if traveller is None:
                booking.state = BookingState.UNASSIGNED
                booking.unassigned_reason = reason[:300]
                booking.save()
                _audit(booking, action="unassigned", by=by, reason=reason)
                return BookingResult(booking, None, booking.state, created=known is None)
        result = _assign(booking, data=data, traveller=traveller)
        _audit(booking, action="received" if known is None else "updated", by=by)
        return BookingResult(result, result.trip, result.state, created=known is None)


def _assign(booking: Booking, *, data: BookingData, traveller: User) -> Booking:
    booking.traveller = traveller
    booking.state = BookingState.ASSIGNED
    booking.unassigned_reason = ""
    booking.trip = _trip_apply(booking, data, traveller)
    booking.save()
    return booking


def booking_keep_unassigned(
    *, raw: str, door: str, by: User | None, sender_email: str, reason: str
) -> Booking:
    """An input with no reservation in it (an e-mail): kept, never dropped, for a manager or
    arranger."""
    _check_door(door)
    with transaction.atomic():
        booking = Booking.objects.create(
            door=door,
            raw=(raw or "")[:RAW_MAX_CHARS],
            sender_email=sender_email[:254],
            received_by=by if by is not None and by.is_authenticated else None,
            state=BookingState.UNASSIGNED,
            unassigned_reason=reason[:300],
        )
        _audit(booking, action="unassigned", by=by, reason=reason)
    return booking


# --- the unassigned queue ----------------------------------------------------------------


def may_handle(user: User, booking: Booking) -> bool:
    """Managers handle any waiting booking; an arranger those they may assign to one of their
    travellers (checked again on the traveller chosen)."""
    return roles.is_manager(user) or roles.is_arranger(user)


def booking_assign(*, booking: Booking, traveller: User, by: User) -> BookingResult:
    """A manager (anyone) or an arranger (their travellers) gives a waiting booking its
    traveller: its trip is made as if the booking had named them."""
    if not roles.is_manager(by) and not (
        roles.is_arranger(by) and trip_services.may_file_for(by, traveller)
    ):
        raise InvalidInput({"traveller": ["You may not assign bookings to this traveller."]})
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.state != BookingState.UNASSIGNED:
            raise TransitionNotAllowed("This booking is not waiting to be assigned.")
        if not locked.payload:
            raise InvalidInput(
                {"traveller": ["This e-mail holds no reservation to make a trip from; dismiss it."]}
            )
        data = _data_of(locked)
        _assign(locked, data=data, traveller=traveller)
        _audit(locked, action="assigned", by=by)
    return BookingResult(locked, locked.trip, locked.state, created=False)


def booking_dismiss(*, booking: Booking, by: User) -> BookingResult:
    if not may_handle(by, booking):
        raise NotAllowed("Only managers and arrangers handle waiting bookings.")
    with transaction.atomic():
        locked = Booking.objects.select_for_update().get(pk=booking.pk)
        if locked.state != BookingState.UNASSIGNED:
            raise TransitionNotAllowed("This booking is not waiting to be assigned.")
        locked.state = BookingState.DISMISSED
        locked.save()
        _audit(locked, action="dismissed", by=by)
    return BookingResult(locked, None, locked.state, created=False)
