"""Due dates that a traveller can meet (product.md, "Due dates"): never after leaving the visit,
lead times counted back from the trip's first arrival, and working days that skip public
holidays. Invented countries as in test_engine.py (1 March 2030 is a Friday), except where a
real country's public holidays are the point: Kazakhstan (KZ), whose calendar the ``holidays``
library knows (Nauryz, 21-23 March; 19 March 2027 is a Friday).
"""

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import holidays
import pytest

from core.lib.dates import WorkingCalendar, working_deadline
from tests.trips.engine_world import (
    ADVISORIES,
    COUNTRY_NAMES,
    DRIVING,
    FOREIGNER,
    HARBOUR,
    PERMIT,
    RE_REGISTRATION,
    REGISTRATION,
    SALT_FLATS,
    VISA_FREE,
    XA,
    XB,
    Line,
    checklist,
    d,
    stop,
)
from trips.engine import Assessment, Content, Rule, Stop, assess

KZ = "KZ"
DEMO_PACK = Path(__file__).resolve().parents[2] / "advisories" / "content" / "demo-pack.json"
WORKING = replace(REGISTRATION, deadline_days=3, deadline_unit="working", threshold_days=1)
KZ_REGISTRATION = replace(WORKING, key="kz-registration", country=KZ)


def run(
    stops: list[Stop],
    rules: tuple[Rule, ...],
    *,
    calendars: dict[str, WorkingCalendar] | None = None,
    today: str | None = None,
) -> Assessment:
    by_country: dict[str, tuple[Rule, ...]] = {}
    for rule in rules:
        by_country[rule.country] = (*by_country.get(rule.country, ()), rule)
    content = Content(
        advisories=ADVISORIES,
        rules=by_country,
        country_names={**COUNTRY_NAMES, KZ: "Kazakhstan"},
        calendars=calendars or {},
    )
    return assess(
        stops=stops, traveller=FOREIGNER, content=content, today=d(today) if today else None
    )


def details(assessment: Assessment) -> list[str]:
    return [req.detail for req in assessment.requirements]


@pytest.mark.parametrize(
    ("rules", "stops", "calendars", "expected", "said"),
    [
        pytest.param(
            (KZ_REGISTRATION,),
            [stop("2027-03-19", "2027-04-05", country=KZ)],
            None,
            [("registration", "2027-03-26", "", "kz-registration")],
            "Counting working days skips Nowruz Holiday (22 and 23 March), "
            "Nowruz Holiday (observed) (24 March).",
            id="3 working days from a Friday before Nauryz end the next Friday",
        ),
        pytest.param(
            (KZ_REGISTRATION,),
            [stop("2027-12-15", "2028-01-10", country=KZ)],
            None,
            [("registration", "2027-12-20", "", "kz-registration")],
            "Counting working days skips Independence Day (16 December).",
            id="Independence Day is not a working day",
        ),
        pytest.param(
            (WORKING,),
            [stop("2030-03-01", "2030-03-20")],
            {XA: WorkingCalendar(XA, non_working_days=frozenset({d("2030-03-04")}))},
            [("registration", "2030-03-06", "", "xa-registration")],
            "Counting working days skips a non-working day (4 March).",
            id="a non-working day the content lists is skipped and named",
        ),
        pytest.param(
            (WORKING,),
            [stop("2030-03-01", "2030-03-20")],
            {XA: WorkingCalendar(XA, working_days=frozenset({d("2030-03-02")}))},
            [("registration", "2030-03-04", "", "xa-registration")],
            None,
            id="a saturday the content lists as a working day counts",
        ),
        pytest.param(
            (WORKING,),
            [stop("2030-03-01", "2030-03-04")],
            None,
            [("registration", "2030-03-04", "", "xa-registration")],
            "The deadline, 5 March, falls after you leave Xanadu on 4 March: "
            "do it before you leave.",
            id="a Friday arrival with a Monday departure is due on the Monday",
        ),
        pytest.param(
            (REGISTRATION, RE_REGISTRATION),
            [
                stop("2030-03-01", "2030-03-09", HARBOUR),
                stop("2030-03-09", "2030-03-11", SALT_FLATS),
                stop("2030-03-11", "2030-03-20", country=XB),
            ],
            None,
            [
                ("registration", "2030-03-05", "Harbour Town", "xa-registration"),
                ("re_registration", "2030-03-11", "Salt Flats", "xa-re-registration"),
            ],
            "The deadline, 13 March, falls after you leave Xanadu on 11 March: "
            "do it before you leave.",
            id="a re-registration is due by the day the traveller leaves for another country",
        ),
    ],
)
def test_working_days_skip_holidays_and_nothing_is_due_after_leaving(
    rules: tuple[Rule, ...],
    stops: list[Stop],
    calendars: dict[str, WorkingCalendar] | None,
    expected: list[Line],
    said: str | None,
) -> None:
    assessment = run(stops, rules, calendars=calendars)
    assert checklist(assessment) == expected
    if said is None:
        assert not any("skips" in detail for detail in details(assessment))
    else:
        assert any(said in detail for detail in details(assessment)), details(assessment)


ELSEWHERE_FIRST = [
    stop("2030-03-01", "2030-03-04", country=XB),
    stop("2030-03-04", "2030-03-10", SALT_FLATS, activities=("driving",)),
]


@pytest.mark.parametrize(
    ("rules", "today", "expected", "said"),
    [
        pytest.param(
            (replace(DRIVING, lead_days=1),),
            "2030-02-01",
            [("activity", "2030-02-28", "Salt Flats", "xa-driving")],
            "Needed before you leave home: it normally takes 1 day.",
            id="a driving permit bought at home is due the day before the trip starts",
        ),
        pytest.param(
            (replace(PERMIT, lead_days=30),),
            "2030-01-15",
            [("permit", "2030-01-30", "Salt Flats", "xa-permits")],
            "Needed before you leave home: it normally takes 30 days.",
            id="a permit that takes weeks is due that long before the trip starts",
        ),
        pytest.param(
            (replace(PERMIT, lead_days=30),),
            "2030-02-15",
            [("permit", "2030-01-30", "Salt Flats", "xa-permits")],
            "Apply now: this normally needs 30 days before the trip starts on 1 March.",
            id="a lead time already past says apply now",
        ),
        pytest.param(
            (replace(PERMIT, lead_days=30),),
            None,
            [("permit", "2030-01-30", "Salt Flats", "xa-permits")],
            "Needed before you leave home: it normally takes 30 days.",
            id="without an assessment date nothing is said of lateness",
        ),
        pytest.param(
            (replace(VISA_FREE, lead_days=0),),
            "2030-02-01",
            [("visa", "2030-03-01", "", "xa-visa-free")],
            "Needed before you leave home.",
            id="a visa is due on the trip's first arrival, not the country's",
        ),
    ],
)
def test_a_lead_time_counts_back_from_the_trip_s_first_arrival(
    rules: tuple[Rule, ...], today: str | None, expected: list[Line], said: str
) -> None:
    assessment = run(ELSEWHERE_FIRST, rules, today=today)
    assert checklist(assessment) == expected
    assert said in assessment.requirements[0].detail
    if today is None or "Apply now" not in said:
        assert "Apply now" not in assessment.requirements[0].detail


@pytest.mark.parametrize(
    ("rules", "stops", "expected", "said"),
    [
        pytest.param(
            (VISA_FREE,),
            ELSEWHERE_FIRST,
            [("visa", "2030-03-01", "", "xa-visa-free")],
            "Needed before you leave home on 1 March.",
            id="a second country's visa is due on the trip's first arrival",
        ),
        pytest.param(
            (replace(VISA_FREE, lead_days=14),),
            ELSEWHERE_FIRST,
            [("visa", "2030-02-15", "", "xa-visa-free")],
            "Needed before you leave home: it normally takes 14 days.",
            id="a second country's visa with a lead time is due that long before the trip",
        ),
        pytest.param(
            (VISA_FREE,),
            [stop("2030-03-01", "2030-03-10")],
            [("visa", "2030-03-01", "", "xa-visa-free")],
            None,
            id="the first country's visa is due on its own arrival, said no more",
        ),
        pytest.param(
            (PERMIT,),
            ELSEWHERE_FIRST,
            [("permit", "2030-03-01", "Salt Flats", "xa-permits")],
            "Needed before you leave home on 1 March.",
            id="a permit for a later stop is due on the trip's first arrival",
        ),
        pytest.param(
            (PERMIT,),
            [stop("2030-03-01", "2030-03-05"), stop("2030-03-05", "2030-03-10", SALT_FLATS)],
            [("permit", "2030-03-01", "Salt Flats", "xa-permits")],
            "Needed before you leave home on 1 March.",
            id="a permit for a later stop of the same visit is due on the trip's first arrival",
        ),
        pytest.param(
            (replace(PERMIT, lead_days=30),),
            ELSEWHERE_FIRST,
            [("permit", "2030-01-30", "Salt Flats", "xa-permits")],
            "Needed before you leave home: it normally takes 30 days.",
            id="a permit's lead time counts back from the trip's first arrival",
        ),
        pytest.param(
            (REGISTRATION,),
            ELSEWHERE_FIRST,
            [("registration", "2030-03-08", "Salt Flats", "xa-registration")],
            None,
            id="a registration is still due from the visit's own arrival",
        ),
    ],
)
def test_a_visa_or_permit_is_due_before_the_traveller_leaves_home(
    rules: tuple[Rule, ...], stops: list[Stop], expected: list[Line], said: str | None
) -> None:
    assessment = run(stops, rules, today="2030-01-01")
    assert checklist(assessment) == expected
    if said is None:
        assert "leave home" not in assessment.requirements[0].detail
    else:
        assert said in assessment.requirements[0].detail


def test_a_lead_time_wins_over_the_kind_s_own_deadline() -> None:
    assessment = run(
        [stop("2030-03-01", "2030-03-20")], (replace(WORKING, lead_days=2),), today="2030-01-01"
    )
    assert checklist(assessment) == [("registration", "2030-02-27", "", "xa-registration")]


# --- the holidays calendar, walked for every country with a working-day rule in the demo ----


def demo_working_day_countries() -> list[tuple[str, int, WorkingCalendar]]:
    pack = json.loads(DEMO_PACK.read_text())
    found = []
    for entry in pack["countries"]:
        calendar = WorkingCalendar(
            entry["code"],
            non_working_days=frozenset(map(d, entry.get("non_working_days") or [])),
            working_days=frozenset(map(d, entry.get("working_days") or [])),
        )
        found += [
            (entry["code"], rule["deadline_days"], calendar)
            for rule in entry.get("rules") or []
            if rule.get("deadline_unit") == "working"
        ]
    return found


def test_the_demo_content_has_a_working_day_rule_to_walk() -> None:
    assert demo_working_day_countries()


@pytest.mark.parametrize(
    ("code", "days", "calendar"),
    [
        pytest.param(*row, id=f"{row[0]}, {row[1]} working days")
        for row in demo_working_day_countries()
    ],
)
def test_every_working_day_deadline_of_the_demo_content_skips_exactly_the_holidays(
    code: str, days: int, calendar: WorkingCalendar
) -> None:
    """From every day of two years: the deadline is a working day, exactly ``days`` working
    days are counted, and every weekday skipped is a public holiday or a listed one."""
    public = holidays.country_holidays(code, years=range(2027, 2030))

    def working(day: dt.date) -> bool:
        if day in calendar.working_days:
            return True
        return day.weekday() < 5 and day not in public and day not in calendar.non_working_days

    start = dt.date(2027, 1, 1)
    while start < dt.date(2029, 1, 1):
        deadline = working_deadline(start, days, calendar)
        walked = [start + dt.timedelta(n) for n in range((deadline.day - start).days + 1)]
        assert working(deadline.day), (start, deadline)
        assert sum(map(working, walked)) == days, (start, deadline)
        assert [day for day, _ in deadline.skipped] == [
            day for day in walked if day.weekday() < 5 and not working(day)
        ]
        start += dt.timedelta(days=1)
