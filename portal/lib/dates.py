"""Calendar arithmetic for deadlines, ages and seasons.

Framework-free on purpose: the matching engine (``trips.engine``) is pure and imports these.
Days are calendar dates; the arrival day is day 1 of a stay (see ``product.md``, "Rule
semantics"). Working days are Monday to Friday: public holidays differ per country and are
not part of the rule data, so they are not counted here.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from itertools import pairwise

SATURDAY = 5  # date.weekday(): Monday is 0, so Saturday and Sunday are 5 and 6


def is_working_day(day: date) -> bool:
    return day.weekday() < SATURDAY


def add_calendar_days(start: date, n: int) -> date:
    """The last day of a period of ``n`` calendar days starting on ``start``.

    ``start`` is day 1, so "within 5 calendar days" of 1 March is due by 5 March.
    """
    if n < 1:
        raise ValueError(f"a period of days must be at least 1 day long, got {n}")
    return start + timedelta(days=n - 1)


def nth_working_day(start: date, n: int) -> date:
    """The ``n``-th Monday-to-Friday date counting from ``start``.

    ``start`` itself counts when it is a weekday: 3 working days from a Friday end on the
    Tuesday; from a Saturday they start on the Monday and end on the Wednesday.
    """
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


def parse_iso_date(text: str) -> date:
    """A date written exactly as YYYY-MM-DD (contracts.md), else ValueError.

    ``date.fromisoformat`` also takes "20261211" and "2026-W50-5" since Python 3.11: a query
    string in another shape should be an error the user sees, not a guess.
    """
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"{text!r} is not a date written as YYYY-MM-DD")
    return date.fromisoformat(text)


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
