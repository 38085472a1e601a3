"""core.lib.dates: the calendar arithmetic behind every deadline.

1 March 2030 is a Friday.
"""

from collections.abc import Callable
from datetime import date

import pytest

from core.lib.dates import add_calendar_days, age_on, months_overlapped, nth_working_day


def d(iso: str) -> date:
    return date.fromisoformat(iso)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        pytest.param("2030-03-01", 1, "2030-03-01", id="one calendar day is the start day itself"),
        pytest.param(
            "2030-03-01", 5, "2030-03-05", id="five calendar days from 1 March end 5 March"
        ),
        pytest.param("2030-02-25", 5, "2030-03-01", id="calendar days run across a month end"),
        pytest.param("2030-12-30", 3, "2031-01-01", id="calendar days run across a year end"),
        pytest.param("2028-02-27", 3, "2028-02-29", id="calendar days include 29 February"),
    ],
)
def test_add_calendar_days_counts_the_start_day_as_day_one(start: str, n: int, due: str) -> None:
    assert add_calendar_days(d(start), n) == d(due)


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        pytest.param("2030-03-04", 1, "2030-03-04", id="a monday is its own first working day"),
        pytest.param("2030-03-04", 5, "2030-03-08", id="five working days from monday end friday"),
        pytest.param("2030-03-01", 3, "2030-03-05", id="from a friday three days end tuesday"),
        pytest.param("2030-03-02", 3, "2030-03-06", id="from a saturday they count from monday"),
        pytest.param("2030-03-03", 1, "2030-03-04", id="from a sunday the first is monday"),
        pytest.param("2030-03-04", 10, "2030-03-15", id="ten working days span two weeks"),
        pytest.param("2030-03-07", 6, "2030-03-14", id="six working days from thursday"),
        pytest.param("2030-03-01", 11, "2030-03-15", id="eleven working days from a friday"),
    ],
)
def test_nth_working_day_counts_monday_to_friday(start: str, n: int, due: str) -> None:
    assert nth_working_day(d(start), n) == d(due)


@pytest.mark.parametrize("helper", [add_calendar_days, nth_working_day])
def test_a_period_of_no_days_is_refused(helper: Callable[[date, int], date]) -> None:
    with pytest.raises(ValueError, match="at least 1 day"):
        helper(d("2030-03-01"), 0)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        pytest.param("2014-03-01", "2030-03-01", 16, id="on the birthday the new year counts"),
        pytest.param("2014-03-02", "2030-03-01", 15, id="the day before the birthday it does not"),
        pytest.param("2014-02-28", "2030-03-01", 16, id="the day after the birthday it does"),
        pytest.param("2030-03-01", "2030-03-01", 0, id="on the day of birth the age is zero"),
        pytest.param("2012-02-29", "2028-02-29", 16, id="a leap day birthday in a leap year"),
        pytest.param("2012-02-29", "2030-02-28", 17, id="a leap day birthday is not yet on feb 28"),
        pytest.param("2012-02-29", "2030-03-01", 18, id="a leap day birthday comes on 1 march"),
    ],
)
def test_age_on_counts_full_years(born: str, on: str, age: int) -> None:
    assert age_on(d(born), d(on)) == age


def test_age_on_refuses_a_date_before_birth() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_on(d("2030-03-02"), d("2030-03-01"))


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        pytest.param("2030-03-01", "2030-03-01", {3}, id="a single day touches its month"),
        pytest.param("2030-03-30", "2030-04-02", {3, 4}, id="a stay across a month end"),
        pytest.param("2030-12-28", "2031-01-03", {12, 1}, id="a stay across a year end"),
        pytest.param("2030-11-15", "2031-02-01", {11, 12, 1, 2}, id="a winter spans four months"),
        pytest.param("2030-03-01", "2031-06-01", set(range(1, 13)), id="a long stay touches all"),
    ],
)
def test_months_overlapped(start: str, end: str, months: set[int]) -> None:
    assert months_overlapped(d(start), d(end)) == months


def test_months_overlapped_refuses_a_period_that_ends_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before"):
        months_overlapped(d("2030-03-02"), d("2030-03-01"))
