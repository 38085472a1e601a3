"""``stay_limit`` (product.md, "More rule kinds"): days in a country add up across a
traveller's trips in a rolling window. Invented countries as in test_engine.py; Xanadu allows
90 days in any 180 to every foreigner."""

import pytest

from tests.trips.engine_world import (
    ADVISORIES,
    COUNTRY_NAMES,
    FOREIGNER,
    NATIONAL,
    XA,
    XB,
    d,
    stop,
)
from trips.engine import Assessment, Content, OtherStay, Rule, Stop, Traveller, assess

NINETY_IN_180 = Rule(
    key="xa-90-in-180", kind="stay_limit", country=XA, max_days=90, window_days=180
)


def other(trip: int, arrival: str, departure: str, country: str = XA) -> OtherStay:
    return OtherStay(trip=trip, country=country, arrival=d(arrival), departure=d(departure))


def run(
    stops: list[Stop],
    others: list[OtherStay],
    rule: Rule = NINETY_IN_180,
    who: Traveller = FOREIGNER,
) -> Assessment:
    content = Content(advisories=ADVISORIES, rules={XA: (rule,)}, country_names=COUNTRY_NAMES)
    return assess(stops=stops, traveller=who, content=content, other_stays=others)


JAN_FEB = other(12, "2030-01-01", "2030-02-28")  # 59 days


@pytest.mark.parametrize(
    ("stops", "others", "due", "said"),
    [
        pytest.param(
            [stop("2030-03-01", "2030-03-31")],
            [JAN_FEB],
            None,
            None,
            id="exactly at the limit: 59 + 31 days is no requirement",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-04-01")],
            [JAN_FEB],
            "2030-04-01",
            "91 of 90 days in 180: trip #12, 1 Jan-28 Feb; this trip. Over the limit from 1 April",
            id="one day over the limit: due on the first day over",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-31")],
            [other(12, "2030-01-01", "2030-03-01")],
            None,
            None,
            id="a travel day shared with another trip counts once",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-10")],
            [other(7, "2029-06-01", "2029-08-29")],
            None,
            None,
            id="days outside every window of this visit do not count",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-04-01")],
            [other(12, "2030-01-01", "2030-02-28", country=XB)],
            None,
            None,
            id="days in another country do not count",
        ),
        pytest.param(
            [stop("2030-01-01", "2030-01-31")],
            [other(14, "2030-02-01", "2030-04-01")],
            "2030-04-01",
            "91 of 90 days in 180: this trip; trip #14, 1 Feb-1 Apr.",
            id="a later trip that takes the total over the limit is named",
        ),
        pytest.param(
            [
                stop("2030-03-01", "2030-03-20"),
                stop("2030-03-20", "2030-03-25", country=XB),
                stop("2030-03-25", "2030-04-06"),
            ],
            [JAN_FEB],
            "2030-04-05",
            "92 of 90 days in 180: trip #12, 1 Jan-28 Feb; this trip.",
            id="two visits of one trip add up and are said once",
        ),
    ],
)
def test_days_in_a_country_add_up_across_trips_in_a_rolling_window(
    stops: list[Stop], others: list[OtherStay], due: str | None, said: str | None
) -> None:
    found = [req for req in run(stops, others).requirements if req.kind == "stay_limit"]
    if due is None:
        assert found == []
        return
    assert [(req.due_date, req.rule, req.country) for req in found] == [
        (d(due), "xa-90-in-180", XA)
    ]
    assert said in found[0].detail


def test_a_stay_limit_for_some_nationalities_spares_the_others() -> None:
    rule = Rule(
        key="xa-90-in-180",
        kind="stay_limit",
        country=XA,
        max_days=90,
        window_days=180,
        nationalities=frozenset({"XL"}),
    )
    over = [stop("2030-03-01", "2030-06-01")]
    assert run(over, [], rule).requirements == ()
    assert run(over, [], rule, Traveller(nationality="XL")).requirements[0].kind == "stay_limit"


def test_own_nationals_have_no_stay_limit() -> None:
    assert run([stop("2030-03-01", "2030-12-01")], [], who=NATIONAL).requirements == ()


def test_one_long_stay_alone_can_break_the_limit() -> None:
    (req,) = run([stop("2030-03-01", "2030-06-01")], []).requirements
    assert req.due_date == d("2030-05-30")  # the 91st day
    assert req.title == "No more than 90 days in 180 in Xanadu"
    assert req.detail.startswith("93 of 90 days in 180: this trip.")
