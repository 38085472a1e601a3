"""schema.org reservations (as kitinerary or extruct give them) -> the booking JSON of
contracts.md, one payload per booking: reservations are grouped by their reservation number
(and traveller, when one number holds several people).

What the markup does not say is not invented: a missing field stays missing and the bookings
service names it (``segments[0].arrives: ...``). Times without an offset are local times at
the airport (or station) and get its offset from airportsdata's time zone; kitinerary gives
the zone itself when it knows it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import zoneinfo
from collections.abc import Iterable
from typing import Any

import airportsdata
from django.utils.text import slugify

FLIGHT, HOTEL, RAIL, BUS = "flight", "hotel", "rail", "bus"
SEGMENT_TYPES = {
    "FlightReservation": FLIGHT,
    "LodgingReservation": HOTEL,
    "TrainReservation": RAIL,
    "BusReservation": BUS,
}
CANCELLED = {"ReservationCancelled", "Cancelled", "ReservationCanceled"}
REFERENCE_MAX_LENGTH = 64
# The longest scheduled flights (Singapore-New York) take under 19 hours.
MAX_FLIGHT = dt.timedelta(hours=20)


@functools.cache
def _airports() -> dict[str, Any]:
    return airportsdata.load("IATA")


@functools.cache
def _city_zones() -> dict[tuple[str, str], str]:
    """(city, country) -> a time zone, from the airports serving that city."""
    zones: dict[tuple[str, str], str] = {}
    for airport in _airports().values():
        key = (airport["city"].casefold(), airport["country"])
        zones.setdefault(key, airport["tz"])
    return zones


def payloads_from_reservations(
    reservations: Iterable[dict], *, sender_email: str, message_id: str
) -> list[dict]:
    """One contract payload per booking found, in the order first seen."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for reservation in reservations:
        number = _text(reservation.get("reservationNumber"))
        traveller = _traveller(reservation)
        groups.setdefault((number, traveller.get("email", "")), []).append(reservation)
    people_per_number: dict[str, int] = {}
    for number, _email in groups:
        people_per_number[number] = people_per_number.get(number, 0) + 1
    payloads = []
    for (number, email), members in groups.items():
        reference = number or _reference_from_message(message_id, members)
        if number and people_per_number[number] > 1 and email:
            reference = f"{number}/{email}"
        payloads.append(
            _payload(
                members,
                reference=reference[:REFERENCE_MAX_LENGTH],
                sender_email=sender_email,
            )
        )
    return payloads


def _payload(members: list[dict], *, reference: str, sender_email: str) -> dict:
    segments: list[dict] = []
    for reservation in members:
        segment = _segment(reservation)
        if segment is not None and segment not in segments:
            segments.append(segment)
    cancelled = all(_status(reservation) == "cancelled" for reservation in members)
    return {
        "reference": reference,
        "source": _source(members, sender_email=sender_email),
        "status": "cancelled" if cancelled else "confirmed",
        "traveller": _traveller(members[0]),
        "segments": sorted(segments, key=_segment_start),
    }


def _segment_start(segment: dict) -> str:
    # ISO strings with offsets do not sort as instants; good enough to order the segments of
    # one booking for reading, and the bookings service orders stops by instant itself.
    start = segment.get("departs") or segment.get("check_in") or ""
    try:
        return dt.datetime.fromisoformat(start).astimezone(dt.UTC).isoformat()
    except (TypeError, ValueError):
        return start


def _status(reservation: dict) -> str:
    status = _text(reservation.get("reservationStatus")).rsplit("/", 1)[-1]
    return "cancelled" if status in CANCELLED else "confirmed"


def _source(members: list[dict], *, sender_email: str) -> str:
    """The provider or broker that issued the booking, else the sender's domain: with the
    reference, it names the booking (the same booking again updates it)."""
    for reservation in members:
        for key in ("broker", "provider"):
            name = _name(reservation.get(key))
            if name:
                return slugify(name)[:64]
    domain = sender_email.rpartition("@")[2].lower()
    return domain[:64] or "e-mail"


def _traveller(reservation: dict) -> dict:
    person = reservation.get("underName")
    if isinstance(person, list):
        person = person[0] if person else None
    if not isinstance(person, dict):
        return {}
    traveller = {}
    email = _text(person.get("email")).removeprefix("mailto:").strip()
    if email:
        traveller["email"] = email
    name = _text(person.get("name")) or " ".join(
        part for part in (_text(person.get("givenName")), _text(person.get("familyName"))) if part
    )
    if name:
        traveller["name"] = name
    return traveller


def _segment(reservation: dict) -> dict | None:
    kind = SEGMENT_TYPES.get(_type(reservation))
    subject = reservation.get("reservationFor")
    if isinstance(subject, list):
        subject = subject[0] if subject else None
    if kind is None or not isinstance(subject, dict):
        return None
    if kind == FLIGHT:
        return _flight(subject)
    if kind == HOTEL:
        return _hotel(reservation, subject)
    return _ground(kind, subject)


def _flight(flight: dict) -> dict:
    airline = flight.get("airline") or flight.get("provider") or {}
    carrier = _text(airline.get("iataCode")) if isinstance(airline, dict) else ""
    number = _text(flight.get("flightNumber")).replace(" ", "")
    if carrier and number.upper().startswith(carrier.upper()) and len(number) > len(carrier):
        number = number[len(carrier) :]
    origin = _airport_code(flight.get("departureAirport"))
    destination = _airport_code(flight.get("arrivalAirport"))
    segment = {"type": FLIGHT, "carrier": carrier.upper(), "number": number}
    segment["from"], segment["to"] = origin, destination
    _put_time(segment, "departs", flight.get("departureTime"), zone=_airport_zone(origin))
    _put_time(segment, "arrives", flight.get("arrivalTime"), zone=_airport_zone(destination))
    _undo_day_overflow(segment)
    return segment


def _undo_day_overflow(segment: dict) -> None:
    """Across the date line a flight may land on the calendar day before it took off
    (Auckland 21:35 -> Honolulu 07:30 the same date). Given local times without offsets,
    kitinerary moves such an arrival to the next day, making an 8-hour flight last 32: no
    flight is scheduled for more than 20 hours, so a day too many is taken back off."""
    try:
        departs = dt.datetime.fromisoformat(segment["departs"])
        arrives = dt.datetime.fromisoformat(segment["arrives"])
        if arrives - departs > MAX_FLIGHT and arrives - dt.timedelta(days=1) > departs:
            segment["arrives"] = (arrives - dt.timedelta(days=1)).isoformat()
    except (KeyError, TypeError, ValueError):
        return


def _hotel(reservation: dict, lodging: dict) -> dict:
    address = _mapping(lodging.get("address"))
    segment: dict = {
        "type": HOTEL,
        "name": _text(lodging.get("name")),
        "city": _text(address.get("addressLocality")),
        "country": _country(address.get("addressCountry")),
    }
    for field, keys in (
        ("check_in", ("checkinTime", "checkinDate")),
        ("check_out", ("checkoutTime", "checkoutDate")),
    ):
        value = next((reservation[key] for key in keys if reservation.get(key)), None)
        day = _date(value)
        if day:
            segment[field] = day
    geo = lodging.get("geo")
    if isinstance(geo, dict):
        try:
            segment["latitude"] = round(float(geo["latitude"]), 5)
            segment["longitude"] = round(float(geo["longitude"]), 5)
        except (KeyError, TypeError, ValueError):
            segment.pop("latitude", None)
    return segment


def _ground(kind: str, trip: dict) -> dict:
    if kind == RAIL:
        origin, destination = trip.get("departureStation"), trip.get("arrivalStation")
    else:
        origin, destination = trip.get("departureBusStop"), trip.get("arrivalBusStop")
    segment: dict = {"type": kind, "from": _place(origin), "to": _place(destination)}
    _put_time(segment, "departs", trip.get("departureTime"), zone=_place_zone(segment["from"]))
    _put_time(segment, "arrives", trip.get("arrivalTime"), zone=_place_zone(segment["to"]))
    return segment


def _place(stop) -> dict | str:
    """A station as the contract takes it: an IATA code when it has one, else city and
    country (the station's town, or its name when the markup gives no address)."""
    if not isinstance(stop, dict):
        return {}
    code = _text(stop.get("iataCode"))
    if code:
        return code.upper()
    address = _mapping(stop.get("address"))
    city = _text(address.get("addressLocality")) or _text(stop.get("name"))
    return {"city": city, "country": _country(address.get("addressCountry"))}


def _airport_code(airport) -> str:
    if isinstance(airport, dict):
        return _text(airport.get("iataCode")).upper()
    return ""


def _airport_zone(code: str) -> str:
    airport = _airports().get(code)
    return airport["tz"] if airport else ""


def _place_zone(place: dict | str) -> str:
    if isinstance(place, str):
        return _airport_zone(place)
    key = (place.get("city", "").casefold(), place.get("country", ""))
    return _city_zones().get(key, "")


def _put_time(segment: dict, field: str, value, *, zone: str) -> None:
    moment = _datetime(value, zone=zone)
    if moment:
        segment[field] = moment


def _datetime(value, *, zone: str) -> str:
    """An ISO 8601 time with its offset: kitinerary's {"@value", "timezone"} or a plain
    string; a local time without offset gets the place's zone."""
    if isinstance(value, dict):
        zone = _text(value.get("timezone")) or zone
        value = value.get("@value")
    text = _text(value)
    if not text:
        return ""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text  # left as written: the bookings service names it
    if moment.tzinfo is None and zone:
        try:
            moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return moment.isoformat()
    return moment.isoformat()


def _date(value) -> str:
    if isinstance(value, dict):
        value = value.get("@value")
    text = _text(value)
    match = re.match(r"\d{4}-\d{2}-\d{2}", text)
    return match.group(0) if match else text


def _country(value) -> str:
    if isinstance(value, dict):
        value = value.get("identifier") or value.get("name")
    return _text(value).upper() if len(_text(value)) == 2 else _text(value)


def _name(value) -> str:
    if isinstance(value, dict):
        return _text(value.get("name"))
    return _text(value)


def _type(item: dict) -> str:
    kind = item.get("@type")
    if isinstance(kind, list):
        kind = next((each for each in kind if str(each).endswith("Reservation")), "")
    return _text(kind).rsplit("/", 1)[-1]


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _reference_from_message(message_id: str, members: list[dict]) -> str:
    """A booking without a reservation number is named by the e-mail that carried it, so the
    same e-mail twice is still the same booking."""
    seed = message_id or repr(sorted(repr(member) for member in members))
    return "mail-" + hashlib.sha256(seed.encode()).hexdigest()[:16]
