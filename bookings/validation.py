"""A booking in our JSON (contracts.md), checked whole and understood: airports resolved,
times made aware and read as local dates at each place. Pure: no ORM, no Django.

Every problem is reported at once, keyed by its JSON path, so an integrator fixes a feed call in
one go: {"segments[0].from": ['unknown airport "XXX"']}.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import airportsdata

from core.errors import InvalidInput
from core.lib.countries import is_country_code
from core.lib.dates import portal_dates
from core.lib.text import text_problem

MAX_SEGMENTS = 40
MAX_REFERENCE = 64
MAX_SOURCE = 100
MAX_NAME = 200
MAX_CITY = 120
MAX_EMAIL = 254
STATUSES = ("confirmed", "cancelled")
KINDS = ("flight", "hotel", "rail", "bus")
CARRIER = re.compile(r"^[A-Z0-9]{2,3}$")
FLIGHT_NUMBER = re.compile(r"^[0-9]{1,4}[A-Z]?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class BookingInvalid(InvalidInput):
    """A booking that cannot be taken: `errors` maps a JSON path to its messages
    ({"segments[0].from": ['unknown airport "XXX"']})."""


@cache
def airports() -> dict[str, dict[str, Any]]:
    """Every airport by IATA code (airportsdata), loaded once per process."""
    return {code: dict(airport) for code, airport in airportsdata.load("IATA").items()}


@dataclass(frozen=True)
class Location:
    """Where a segment starts or ends: an airport (code set) or a city in a country."""

    city: str
    country: str
    code: str = ""
    tz: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class SegmentData:
    kind: str
    carrier: str = ""
    number: str = ""
    origin: Location | None = None
    destination: Location | None = None
    departs: dt.datetime | None = None  # aware, in the local time of `origin`
    arrives: dt.datetime | None = None  # aware, in the local time of `destination`
    name: str = ""
    city: str = ""
    country: str = ""
    latitude: float | None = None
    longitude: float | None = None
    check_in: dt.date | None = None
    check_out: dt.date | None = None

    @property
    def starts_on(self) -> dt.date:
        day = self.check_in if self.kind == "hotel" else self.departs and self.departs.date()
        assert day is not None
        return day

    @property
    def ends_on(self) -> dt.date:
        day = self.check_out if self.kind == "hotel" else self.arrives and self.arrives.date()
        assert day is not None
        return day

    def as_json(self) -> dict[str, Any]:
        """The segment in our JSON, normalised: what is stored and compared."""
        if self.kind == "hotel":
            assert self.check_in is not None and self.check_out is not None
            hotel: dict[str, Any] = {
                "type": "hotel",
                "name": self.name,
                "city": self.city,
                "country": self.country,
                "check_in": self.check_in.isoformat(),
                "check_out": self.check_out.isoformat(),
            }
            if self.latitude is not None:
                hotel |= {"latitude": self.latitude, "longitude": self.longitude}
            return hotel
        assert self.origin and self.destination and self.departs and self.arrives
        moving: dict[str, Any] = {"type": self.kind}
        if self.carrier or self.number:
            moving |= {"carrier": self.carrier, "number": self.number}
        return moving | {
            "from": _location_json(self.origin),
            "to": _location_json(self.destination),
            "departs": self.departs.isoformat(),
            "arrives": self.arrives.isoformat(),
        }


def _location_json(location: Location) -> str | dict[str, str]:
    if location.code:
        return location.code
    return {"city": location.city, "country": location.country}


@dataclass(frozen=True)
class BookingData:
    reference: str
    source: str
    status: str
    traveller_email: str
    traveller_name: str
    segments: tuple[SegmentData, ...]

    @property
    def starts_on(self) -> dt.date:
        return min(segment.starts_on for segment in self.segments)

    @property
    def ends_on(self) -> dt.date:
        return max(segment.ends_on for segment in self.segments)

    def as_json(self) -> dict[str, Any]:
        traveller = {"email": self.traveller_email, "name": self.traveller_name}
        return {
            "reference": self.reference,
            "source": self.source,
            "status": self.status,
            "traveller": {key: value for key, value in traveller.items() if value},
            "segments": [segment.as_json() for segment in self.segments],
        }


class _Errors:
    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.found.setdefault(path, []).append(message)


def _text(value: Any, path: str, errors: _Errors, *, limit: int, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            errors.add(path, "This field is required.")
        return ""
    if not isinstance(value, str):
        errors.add(path, "Give a string.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors.add(path, f"At most {limit} characters.")
        return ""
    if problem := text_problem(value):
        errors.add(path, problem)
        return ""
    if required and not value:
        errors.add(path, "This field is required.")
    return value


def _country(value: Any, path: str, errors: _Errors) -> str:
    code = _text(value, path, errors, limit=2, required=True)
    if code and not is_country_code(code):
        errors.add(path, f'unknown country "{code}"')
        return ""
    return code.upper()


def _coordinate(value: Any, path: str, errors: _Errors, *, bound: float) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not -bound <= value <= bound
    ):
        errors.add(path, f"Give a number from -{bound:g} to {bound:g}.")
        return None
    return float(value)


def _location(value: Any, path: str, errors: _Errors, *, kind: str) -> Location | None:
    if isinstance(value, dict) and "code" in value:
        value = value["code"]
    if isinstance(value, str):
        code = value.strip().upper()
        airport = airports().get(code) if len(code) == 3 else None
        if airport is None:
            errors.add(path, f'unknown airport "{value.strip()[:10]}"')
            return None
        return Location(
            code=code,
            # A few are written "district, city" ("Arnavutköy, Istanbul"): the city is the
            # place a traveller and a stop's advisory mean.
            city=(airport["city"] or airport["name"]).split(",")[-1].strip(),
            country=airport["country"],
            tz=airport["tz"],
            latitude=float(airport["lat"]),
            longitude=float(airport["lon"]),
        )
    if kind == "flight" or not isinstance(value, dict):
        errors.add(
            path,
            "Give an IATA airport code."
            if kind == "flight"
            else 'Give an IATA code or {"city", "country"}.',
        )
        return None
    city = _text(value.get("city"), f"{path}.city", errors, limit=MAX_CITY, required=True)
    country = _country(value.get("country"), f"{path}.country", errors)
    latitude = _coordinate(value.get("latitude"), f"{path}.latitude", errors, bound=90)
    longitude = _coordinate(value.get("longitude"), f"{path}.longitude", errors, bound=180)
    if not city or not country:
        return None
    return Location(city=city, country=country, latitude=latitude, longitude=longitude)


def _moment(value: Any, path: str, errors: _Errors, *, tz: str) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        errors.add(path, "Give a time as ISO 8601 with its offset (2027-03-04T20:15:00+00:00).")
        return None
    text = value.strip()
    if len(text) > 40:
        errors.add(path, "At most 40 characters.")
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        errors.add(path, f'"{text}" is not an ISO 8601 time.')
        return None
    if moment.tzinfo is None:
        errors.add(path, f'"{text}" has no offset: write it as local time with its offset.')
        return None
    # An airport's own zone says what the local time there was, whatever offset (UTC, say)
    # the sender wrote it in.
    if tz:
        try:
            return moment.astimezone(ZoneInfo(tz))
        except ZoneInfoNotFoundError:
            pass
    return moment


def _date(value: Any, path: str, errors: _Errors) -> dt.date | None:
    if not isinstance(value, str) or len(value) != 10:
        errors.add(path, "Give a date as YYYY-MM-DD.")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.add(path, f'"{value}" is not a date written as YYYY-MM-DD.')
        return None


def _hotel(item: dict[str, Any], path: str, errors: _Errors) -> SegmentData | None:
    before = len(errors.found)
    name = _text(item.get("name"), f"{path}.name", errors, limit=MAX_NAME, required=True)
    city = _text(item.get("city"), f"{path}.city", errors, limit=MAX_CITY)
    country = _country(item.get("country"), f"{path}.country", errors)
    latitude = _coordinate(item.get("latitude"), f"{path}.latitude", errors, bound=90)
    longitude = _coordinate(item.get("longitude"), f"{path}.longitude", errors, bound=180)
    if (latitude is None) != (longitude is None):
        errors.add(f"{path}.latitude", "Give both latitude and longitude, or neither.")
    check_in = _date(item.get("check_in"), f"{path}.check_in", errors)
    check_out = _date(item.get("check_out"), f"{path}.check_out", errors)
    if check_in and check_out and check_out < check_in:
        errors.add(
            f"{path}.check_out", "The stay ends before it starts (check-out before check-in)."
        )
    if len(errors.found) > before:
        return None
    return SegmentData(
        kind="hotel",
        name=name,
        city=city,
        country=country,
        latitude=latitude,
        longitude=longitude,
        check_in=check_in,
        check_out=check_out,
    )


def _moving(item: dict[str, Any], kind: str, path: str, errors: _Errors) -> SegmentData | None:
    before = len(errors.found)
    carrier = _text(item.get("carrier"), f"{path}.carrier", errors, limit=3).upper()
    # "0942" and "942" are one flight: kept without leading zeros, as it is looked up.
    number = _text(item.get("number"), f"{path}.number", errors, limit=5).upper().lstrip("0")
    if kind == "flight":
        if not CARRIER.match(carrier):
            errors.add(f"{path}.carrier", "Give the airline's two- or three-character code.")
        if not FLIGHT_NUMBER.match(number):
            errors.add(f"{path}.number", "Give the flight number (up to four digits).")
    origin = _location(item.get("from"), f"{path}.from", errors, kind=kind)
    destination = _location(item.get("to"), f"{path}.to", errors, kind=kind)
    departs = _moment(
        item.get("departs"), f"{path}.departs", errors, tz=origin.tz if origin else ""
    )
    arrives = _moment(
        item.get("arrives"), f"{path}.arrives", errors, tz=destination.tz if destination else ""
    )
    if departs and arrives and arrives < departs:
        errors.add(
            f"{path}.arrives", "The segment ends before it starts (arrives before it departs)."
        )
    elif departs and arrives and arrives - departs > dt.timedelta(days=3):
        errors.add(f"{path}.arrives", "A segment longer than three days is not a journey we know.")
    if len(errors.found) > before:
        return None
    return SegmentData(
        kind=kind,
        carrier=carrier,
        number=number,
        origin=origin,
        destination=destination,
        departs=departs,
        arrives=arrives,
    )


def _dates_in_bounds(
    segment: SegmentData, path: str, errors: _Errors, *, today: dt.date, allow_past: bool
) -> None:
    bounds = portal_dates(today)
    fields = ("check_in", "check_out") if segment.kind == "hotel" else ("departs", "arrives")
    for name, day in zip(fields, (segment.starts_on, segment.ends_on), strict=True):
        if problem := bounds.problem(day):
            errors.add(f"{path}.{name}", problem)
            return
    if not allow_past and segment.ends_on < today:
        errors.add(
            f"{path}.{fields[1]}",
            f"The reservation is for a past date ({segment.ends_on.isoformat()}).",
        )


def booking_parse(payload: Any, *, today: dt.date, allow_past: bool = False) -> BookingData:
    """The booking understood, or BookingInvalid naming every problem by its JSON path.

    `allow_past`: segments already over are accepted (an update of a journey under way, whose
    outbound flight has flown); a new booking for the past is refused."""
    errors = _Errors()
    if not isinstance(payload, dict):
        raise BookingInvalid({"non_field_errors": ["Send one booking as a JSON object."]})
    reference = _text(payload.get("reference"), "reference", errors, limit=MAX_REFERENCE)
    source = _text(payload.get("source"), "source", errors, limit=MAX_SOURCE)
    status = payload.get("status") or "confirmed"
    if status not in STATUSES:
        errors.add("status", f'"{str(status)[:20]}" is not a status: confirmed or cancelled.')
    traveller = payload.get("traveller") or {}
    if not isinstance(traveller, dict):
        errors.add("traveller", 'Give {"email", "name"}.')
        traveller = {}
    email = _text(traveller.get("email"), "traveller.email", errors, limit=MAX_EMAIL)
    if email and not EMAIL.match(email):
        errors.add("traveller.email", f'"{email}" is not an e-mail address.')
    name = _text(traveller.get("name"), "traveller.name", errors, limit=MAX_NAME)
    items = payload.get("segments")
    segments: list[SegmentData] = []
    if not isinstance(items, list) or not items:
        errors.add("segments", "Give at least one segment.")
    elif len(items) > MAX_SEGMENTS:
        errors.add("segments", f"A booking has at most {MAX_SEGMENTS} segments.")
    else:
        for index, item in enumerate(items):
            path = f"segments[{index}]"
            if not isinstance(item, dict):
                errors.add(path, "Give the segment as a JSON object.")
                continue
            kind = item.get("type")
            if kind not in KINDS:
                errors.add(f"{path}.type", f'"{str(kind)[:20]}" is not flight, hotel, rail or bus.')
                continue
            segment = (
                _hotel(item, path, errors) if kind == "hotel" else _moving(item, kind, path, errors)
            )
            if segment is not None:
                _dates_in_bounds(segment, path, errors, today=today, allow_past=allow_past)
                segments.append(segment)
    if errors.found:
        raise BookingInvalid(errors.found)
    return BookingData(
        reference=reference,
        source=source,
        status=status,
        traveller_email=email.lower(),
        traveller_name=name,
        segments=tuple(segments),
    )
