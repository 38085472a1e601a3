"""Travellers see an open incident touching their current or upcoming stops on their
dashboard and on that trip's page; nothing for other places, past stops or closed ones."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import IncidentFactory, country, employee, logged_in, trip_with_stops

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def erin():
    return employee(username="erin")


def test_my_dashboard_and_trip_page_show_an_incident_where_i_am_going(kz, erin):
    IncidentFactory(
        title="Explosion at the Green Bazaar", places=[kz["almaty"]], starts_on=days(-1)
    )
    trip = trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": days(1), "departure": days(4)},
        traveller=erin,
        purpose="Customer visit",
    )
    client = logged_in(erin)
    dashboard = client.get("/").content.decode()
    assert "Warning: Explosion at the Green Bazaar" in dashboard
    assert "Customer visit" in dashboard
    page = client.get(f"/trips/{trip.pk}/").content.decode()
    assert "Warning: Explosion at the Green Bazaar" in page


def test_a_stop_with_an_unrecognised_place_is_told_it_may_be_affected(kz, erin):
    IncidentFactory(title="Flooding", places=[kz["almaty"]], starts_on=days(0))
    trip_with_stops(
        {
            "country": country("KZ"),
            "place": None,
            "place_text": "Shymbulak",
            "arrival": days(1),
            "departure": days(2),
        },
        traveller=erin,
    )
    assert (
        "we could not tell whether your place is affected"
        in logged_in(erin).get("/").content.decode()
    )


def test_other_places_past_stops_and_closed_incidents_are_not_shown(kz, erin):
    IncidentFactory(title="Astana protest", places=[kz["astana"]], starts_on=days(0))
    IncidentFactory(title="Old storm", starts_on=days(-20), ends_on=days(-10))
    IncidentFactory(title="Last week", starts_on=days(-8))
    trip_with_stops(
        {
            "country": country("KZ"),
            "place": kz["almaty"],
            "arrival": days(-9),
            "departure": days(-7),
        },
        traveller=erin,
        status="approved",
    )
    trip = trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": days(1), "departure": days(2)},
        traveller=erin,
    )
    client = logged_in(erin)
    for page in (
        client.get("/").content.decode(),
        client.get(f"/trips/{trip.pk}/").content.decode(),
    ):
        assert "Astana protest" not in page
        assert "Old storm" not in page
    # An open incident stays open (product.md, "Refined after the first release"): one that
    # began last week still touches my trip tomorrow, on the dashboard and the trip page.
    assert "Last week" in client.get("/").content.decode()
    assert "Last week" in client.get(f"/trips/{trip.pk}/").content.decode()


def test_a_cancelled_trip_shows_no_incident(kz, erin):
    IncidentFactory(title="Blast", places=[kz["almaty"]], starts_on=days(0))
    trip = trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": days(1), "departure": days(2)},
        traveller=erin,
        status="cancelled",
    )
    assert "Blast" not in logged_in(erin).get(f"/trips/{trip.pk}/").content.decode()
