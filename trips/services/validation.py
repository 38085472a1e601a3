"""What a trip's input must be before anything is saved: the itinerary's rules, who may
file for whom, who may cancel, and the notes that go with decisions.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from advisories.models import Activity
from advisories.validation import PASSPORT_TYPE_CODES
from core import roles
from core.errors import InvalidInput
from core.lib.countries import is_country_code
from core.lib.dates import years_later
from core.lib.text import ONE_LINE_MESSAGE, has_visible_text, text_problem
from trips.models import (
    NOTE_MAX_LENGTH,
    Trip,
)

MAX_STOPS = 50


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
        stop_errors = [
            _stop_problems(
                stop,
                known_activities=known_activities,
                earliest=earliest,
                today=today,
                horizon=horizon,
            )
            for stop in data.stops
        ]
        _add_overlaps(data.stops, stop_errors)
        if any(stop_errors):
            errors["stops"] = {
                str(i): problems for i, problems in enumerate(stop_errors) if problems
            }
    if errors:
        raise ItineraryInvalid(errors)


NOT_YOUR_TRAVELLER = "You may not file trips for this traveller."


def _stop_problems(
    stop: StopInput,
    *,
    known_activities: set[str],
    earliest: dt.date,
    today: dt.date,
    horizon: dt.date,
) -> dict[str, list[str]]:
    """What is wrong with one stop on its own, by field."""
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
                f"Dates more than 2 years ahead (after {horizon:%d %B %Y}) cannot be planned yet."
            )
            break
    unknown = [code for code in stop.activities if code not in known_activities]
    if unknown:
        problems["activities"] = [f"Unknown activity code {code!r}." for code in unknown]
    return problems


def _add_overlaps(stops: Sequence[StopInput], stop_errors: list[dict[str, list[str]]]) -> None:
    """Name, on the later stop, each stop that arrives before the one before it departs."""
    ordered = sorted(range(len(stops)), key=lambda i: (stops[i].arrival, stops[i].departure))
    for before, after in pairwise(ordered):
        previous, current = stops[before], stops[after]
        # Sharing a date is the travel day; arriving before the previous departure overlaps.
        if current.arrival < previous.departure:
            stop_errors[after].setdefault("arrival", []).append(
                f"Overlaps the stop from {previous.arrival.day} {previous.arrival:%b} "
                f"to {previous.departure.day} {previous.departure:%b}."
            )


def may_file_for(user: User, traveller: User) -> bool:
    if user == traveller:
        return True
    return roles.is_arranger(user) and traveller.profile.arrangers.filter(pk=user.pk).exists()


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
