"""Calendar arithmetic for deadlines, ages and seasons.

Framework-free on purpose: the matching engine (``trips.engine``) is pure and imports these.
Days are calendar dates; the arrival day is day 1 of a stay (see ``product.md``, "Rule
semantics"). Working days are Monday to Friday, less a country's public holidays (from the
``holidays`` library, itself framework-free) as a ``WorkingCalendar`` corrects them with the
dates a content admin lists.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

SATURDAY = 5  # date.weekday(): Monday is 0, so Saturday and Sunday are 5 and 6
NON_WORKING_DAY = "a non-working day"


def is_working_day(day: date) -> bool:
    return day.weekday() < SATURDAY


@lru_cache(maxsize=512)
def public_holidays(country: str, year: int) -> dict[date, str]:
    """The public holidays of a country in a year, by date, named in English where the
    library can; none for a code the library does not know (the calendar is then weekdays)."""
    try:
        calendar = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        return {}
    if "en_US" in getattr(calendar, "supported_languages", ()):
        calendar = holidays.country_holidays(country, years=year, language="en_US")
    return dict(calendar.items())


@dataclass(frozen=True)
class WorkingCalendar:
    """Which dates are working days in one country: Monday to Friday, less the public holidays
    of ``country``, less ``non_working_days``, plus ``working_days`` (a Saturday worked in
    exchange for a bridge day). The two lists are the content admin's corrections."""

    country: str = ""
    non_working_days: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    def holiday(self, day: date) -> str | None:
        """Why a date that would be a weekday working day is not one, or None."""
        if day in self.working_days:
            return None
        if day in self.non_working_days:
            return public_holidays(self.country, day.year).get(day) or NON_WORKING_DAY
        return public_holidays(self.country, day.year).get(day) if self.country else None

    def is_working_day(self, day: date) -> bool:
        if day in self.working_days:
            return True
        return is_working_day(day) and self.holiday(day) is None


@dataclass(frozen=True)
class WorkingDeadline:
    day: date
    # The weekdays skipped because they are holidays (or listed as non-working), by name.
    skipped: tuple[tuple[date, str], ...] = ()


def working_deadline(start: date, n: int, calendar: WorkingCalendar) -> WorkingDeadline:
    """The ``n``-th working day of ``calendar`` counting from ``start`` (day 1 when it is a
    working day), with the holidays skipped on the way."""
    if n < 1:
        raise ValueError(f"a period of working days must be at least 1 day long, got {n}")
    skipped: list[tuple[date, str]] = []
    day, counted = start - timedelta(days=1), 0
    while counted < n:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
        elif is_working_day(day):
            skipped.append((day, calendar.holiday(day) or NON_WORKING_DAY))
    return WorkingDeadline(day=day, skipped=tuple(skipped))


def day_month(day: date) -> str:
    """ "21 March": a date as the requirements' details write it."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]}"


def holidays_in_words(skipped: Iterable[tuple[date, str]]) -> str:
    """ "Nauryz (21, 22 and 23 March), Independence Day (16 December)": consecutive dates of one
    holiday named once."""
    groups: list[tuple[str, list[date]]] = []
    for day, name in skipped:
        if groups and groups[-1][0] == name and groups[-1][1][-1] + timedelta(days=7) >= day:
            groups[-1][1].append(day)
        else:
            groups.append((name, [day]))
    parts = []
    for name, days in groups:
        if all(day.month == days[0].month for day in days):
            numbers = [str(day.day) for day in days]
            when = f"{_and(numbers)} {MONTH_NAMES[days[0].month - 1]}"
        else:
            when = _and([day_month(day) for day in days])
        parts.append(f"{name} ({when})")
    return ", ".join(parts)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def add_calendar_days(start: date, n: int) -> date:
    """The last day of a period of ``n`` calendar days starting on ``start``.

    ``start`` is day 1, so "within 5 calendar days" of 1 March is due by 5 March.
    """
    if n < 1:
        raise ValueError(f"a period of days must be at least 1 day long, got {n}")
    return start + timedelta(days=n - 1)


def nth_working_day(start: date, n: int, calendar: WorkingCalendar | None = None) -> date:
    """The ``n``-th Monday-to-Friday date counting from ``start`` (not a holiday of
    ``calendar`` when one is given).

    ``start`` itself counts when it is a weekday: 3 working days from a Friday end on the
    Tuesday; from a Saturday they start on the Monday and end on the Wednesday.
    """
    if calendar is not None:
        return working_deadline(start, n, calendar).day
    if n < 1:
        raise ValueError(f"a period of working days must be at least 1 day long, got {n}")
    day = start
    while not is_working_day(day):
        day += timedelta(days=1)
    # Whole weeks hold exactly five working days, so only the remainder needs walking.
    full_weeks, remaining = divmod(n - 1, 5)
    day += timedelta(weeks=full_weeks)
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def age_on(born: date, on: date) -> int:
    """Age in full years on the date ``on``.

    Someone born on 29 February becomes a year older on 1 March in common years (the
    birthday has not yet come on 28 February), as most jurisdictions count it.
    """
    if on < born:
        raise ValueError(f"{on.isoformat()} is before the date of birth {born.isoformat()}")
    birthday_not_yet_reached = (on.month, on.day) < (born.month, born.day)
    return on.year - born.year - int(birthday_not_yet_reached)


def months_overlapped(start: date, end: date) -> set[int]:
    """The months (1-12) that the period from ``start`` to ``end`` (inclusive) touches.

    A period from 28 December to 3 January overlaps months 12 and 1.
    """
    if end < start:
        raise ValueError(f"{end.isoformat()} is before {start.isoformat()}")
    months: set[int] = set()
    year, month = start.year, start.month
    # A period of a year or more touches every month: stop as soon as all twelve are in.
    while (year, month) <= (end.year, end.month) and len(months) < 12:
        months.add(month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def parse_iso_date(text: str, *, today: date | None = None) -> date:
    """A date written exactly as YYYY-MM-DD (contracts.md) within the portal's horizon
    (``portal_dates``), else ValueError with a message for the user.

    ``date.fromisoformat`` also takes "20261211" and "2026-W50-5" since Python 3.11: a query
    string in another shape should be an error the user sees, not a guess. Every caller reads
    a query parameter (``?date=``, ``?on=``), whose day is then shifted by lookaheads and
    windows: a year 9999 would overflow them.
    """
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"{text!r} is not a date written as YYYY-MM-DD.")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date written as YYYY-MM-DD.") from None
    if problem := portal_dates(today or date.today()).problem(day):
        raise ValueError(problem)
    return day


# --- the dates the portal accepts ---------------------------------------------------------
# One policy for every date that comes in (forms, the API, query parameters, feeds), so no
# record holds a date that date arithmetic cannot shift (date.max + 1 day is an OverflowError)
# and no typo (2206 for 2026) hides a trip or an incident for a century:
#
# - events (incidents, filters, ``?date=``/``?on=``, requirement ticks, bookings to come):
#   from 1 January 2000 to five years after today (``portal_dates``);
# - trips: their own stricter rule on top (trips.services.itinerary_validate): no earlier than
#   today, or two years back for a trip a manager records, and at most two years ahead;
# - dates of birth: from 1 January 1900 to today (``birth_dates``).
#
# What is already stored beyond these (an old row, a feed written straight to the database)
# must still display: arithmetic on stored dates goes through ``add_days``, which stops at
# the calendar's ends instead of overflowing.

EARLIEST_DATE = date(2000, 1, 1)
HORIZON_YEARS = 5
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def years_later(day: date, years: int) -> date:
    """The same day ``years`` later (or earlier, for a negative number); 29 February becomes
    28 February in a common year. Clamped to the calendar's ends."""
    year = min(max(day.year + years, date.min.year), date.max.year)
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def add_days(day: date, n: int) -> date:
    """``day`` shifted by ``n`` days, stopping at ``date.min`` and ``date.max`` instead of
    raising OverflowError: a window around a stored extreme date still has an end."""
    try:
        return day + timedelta(days=n)
    except OverflowError:
        return date.max if n > 0 else date.min


@dataclass(frozen=True)
class DateBounds:
    """The first and last dates a kind of input may take, both included."""

    earliest: date
    latest: date
    # What to say instead of the general "Give a date from ... to ...", when a kind of date
    # has a plainer way to say it.
    too_late: str = ""
    too_early: str = ""

    def __contains__(self, day: date) -> bool:
        return self.earliest <= day <= self.latest

    def problem(self, day: date) -> str | None:
        """What is wrong with ``day`` for the user to read, or None when it is within."""
        if day in self:
            return None
        if day > self.latest and self.too_late:
            return self.too_late
        if day < self.earliest and self.too_early:
            return self.too_early
        return f"Give a date from {long_date(self.earliest)} to {long_date(self.latest)}."


def portal_dates(today: date) -> DateBounds:
    """The dates of events the portal accepts: 1 January 2000 to five years after today."""
    return DateBounds(EARLIEST_DATE, years_later(today, HORIZON_YEARS))


def birth_dates(today: date) -> DateBounds:
    """The dates of birth the portal accepts: 1 January 1900 to today."""
    return DateBounds(
        EARLIEST_BIRTH_DATE,
        today,
        too_late="A date of birth cannot be in the future.",
        too_early=f"A date of birth is on or after {long_date(EARLIEST_BIRTH_DATE)}.",
    )


def long_date(day: date) -> str:
    """ "8 December 2031": a date as error messages write it."""
    return f"{day_month(day)} {day.year}"


# --- months, for text about seasons (a section's months, the months a stay touches) --------
# A season may run across the year end, so months are named in calendar order starting after
# the longest gap of the year: {1, 12} reads "December, January", not "January, December".

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def months_in_order(months: Iterable[int]) -> list[int]:
    """The distinct months in calendar order, a run across the year end kept together.

    The list starts after the longest gap between consecutive months (counting the gap from
    the last month round to the first); when the gap across the year end is among the longest,
    it starts with the earliest month, as a plain calendar would.
    """
    ordered = sorted(set(months))
    wrong = [month for month in ordered if not 1 <= month <= 12]
    if wrong:
        raise ValueError(f"months are 1-12, got {', '.join(map(str, wrong))}")
    if len(ordered) < 2:
        return ordered
    gaps = [b - a for a, b in pairwise(ordered)]
    year_end_gap = ordered[0] + 12 - ordered[-1]
    longest = max(gaps)
    if year_end_gap >= longest:
        return ordered
    start = gaps.index(longest) + 1
    return ordered[start:] + ordered[:start]


def months_in_words(months: Iterable[int]) -> str:
    """The months' names in that order: "December, January" for {12, 1}; "" for none."""
    return ", ".join(MONTH_NAMES[month - 1] for month in months_in_order(months))


# --- dates and times as people read them -----------------------------------------------------
# One format on every page, e-mail, PDF and message: "Tue 8 Dec 2026", a time "Tue 8 Dec 2026,
# 14:05 CET" in the reader's zone with its abbreviation (core.templatetags.days gives the same
# to templates; settings' DATE_FORMAT and DATETIME_FORMAT, for the admin, match it).

WEEKDAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def day_text(day: date) -> str:
    """ "Tue 8 Dec 2026"."""
    month = MONTH_NAMES[day.month - 1][:3]
    return f"{WEEKDAY_ABBREVIATIONS[day.weekday()]} {day.day} {month} {day.year}"


def span_text(start: date, end: date) -> str:
    """ "Mon 14 Dec - Sun 20 Dec 2026" with an en dash (the year once when both ends share it)."""
    if start.year != end.year:
        return f"{day_text(start)} – {day_text(end)}"
    return f"{day_text(start).rsplit(' ', 1)[0]} – {day_text(end)}"


def moment_text(when: datetime, zone: tzinfo | None = None, *, seconds: bool = False) -> str:
    """ "Tue 8 Dec 2026, 14:05 CET": an aware time in ``zone`` (its own zone when None), with
    the zone's abbreviation so that a reader abroad knows which clock it is; a naive time as
    it is, without one."""
    local = when.astimezone(zone) if zone is not None and when.tzinfo is not None else when
    clock = f"{local.hour:02d}:{local.minute:02d}" + (f":{local.second:02d}" if seconds else "")
    abbreviation = local.tzname() if local.tzinfo is not None else None
    return f"{day_text(local.date())}, {clock}" + (f" {abbreviation}" if abbreviation else "")


def time_zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA zone called ``name`` ("Asia/Almaty"), or None for an empty or unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def stored_date(value: object) -> date | None:
    """A date as the portal stored it in JSON (an assessment's due dates, a content snapshot's
    retrieval day, a briefing's inputs): "YYYY-MM-DD", a date already, or nothing. Anything
    else reads as no date: a stored record shows what it can rather than failing a page."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
