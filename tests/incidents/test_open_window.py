"""An open incident stays open (product.md, "Refined after the first release"): with no end,
its window runs to the day asked about plus the lookahead, so a traveller arriving next week
into a crisis that began last month is listed as arriving and alerted (issue 22). Windows never
overflow, however far the end (issue 23)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from incidents.selectors import incident_impacted, incident_window, travellers_there
from incidents.services import incident_alert_arriving
from tests.factories import IncidentFactory, api_as, country, employee, logged_in, manager
from tests.factories import trip_with_stops as trip

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def last_month(kz):
    """Open, since a month ago, with a week's lookahead, in Almaty."""
    return IncidentFactory(
        title="Unrest in Almaty", places=[kz["almaty"]], starts_on=days(-30), lookahead_days=7
    )


@pytest.fixture
def next_week(kz):
    traveller = employee(username="nextweek")
    return trip(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": days(5), "departure": days(8)},
        traveller=traveller,
        purpose="Arriving next week",
    )


def test_an_open_incidents_window_runs_to_the_day_asked_about_plus_its_lookahead(last_month):
    assert incident_window(last_month) == (days(-30), days(7))
    assert incident_window(last_month, days(3)) == (days(-30), days(10))


def test_a_traveller_arriving_next_week_into_a_crisis_that_began_last_month_is_arriving(
    last_month, next_week
):
    rows = incident_impacted(incident=last_month)
    assert [(row.trip.purpose, row.presence, row.match) for row in rows] == [
        ("Arriving next week", "arriving", "place")
    ]


def test_the_impacted_api_lists_them_too(last_month, next_week):
    response = api_as(manager()).get(f"/api/incidents/{last_month.pk}/impacted/")
    assert response.status_code == 200
    assert [(row["trip"], row["presence"]) for row in response.json()["results"]] == [
        (next_week.pk, "arriving")
    ]


def test_the_traveller_arriving_next_week_is_alerted_once(last_month, next_week):
    assert incident_alert_arriving(incident_id=last_month.pk) == 1
    assert incident_alert_arriving(incident_id=last_month.pk) == 0
    assert [message.to for message in mail.outbox] == [["nextweek@example.com"]]


def test_beyond_the_lookahead_from_today_a_traveller_is_not_listed_yet(last_month, kz):
    trip(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": days(9), "departure": days(12)}
    )
    assert incident_impacted(incident=last_month) == []
    # Asked about a later day, they are arriving.
    assert [row.presence for row in incident_impacted(incident=last_month, on=days(3))] == [
        "arriving"
    ]


def test_an_incident_ended_beyond_the_last_date_there_is_breaks_no_page(kz, next_week):
    far = IncidentFactory(
        title="Forever", places=[kz["almaty"]], starts_on=days(-1), ends_on=dt.date.max
    )
    assert incident_window(far) == (days(-1), dt.date.max)
    assert [row.presence for row in incident_impacted(incident=far)] == ["arriving"]
    assert travellers_there(far) == []
    client = logged_in(manager())
    assert client.get(f"/incidents/{far.pk}/").status_code == 200
    assert client.get("/incidents/").status_code == 200
    assert api_as(manager()).get(f"/api/incidents/{far.pk}/impacted/").status_code == 200
    assert logged_in(next_week.traveller).get(f"/trips/{next_week.pk}/").status_code == 200


def test_an_open_incident_starting_next_month_covers_its_own_lookahead(kz):
    later = IncidentFactory(places=[kz["almaty"]], starts_on=days(30), lookahead_days=3)
    assert incident_window(later) == (days(30), days(33))
