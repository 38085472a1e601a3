"""Dates at the calendar's ends (issue 23): every door that takes a date refuses one outside
the portal's horizon with a field error and writes nothing; records that already hold one (an
old row, a feed written straight to the database) still show on every page and list."""

from __future__ import annotations

import datetime as dt

import pytest

from core.lib.dates import add_days, parse_iso_date, portal_dates, years_later
from incidents.models import Incident
from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    api_as,
    country,
    employee,
    logged_in,
    manager,
    trip_with_stops,
)
from trips.models import Stop, Trip
from trips.services import calendar_feed_renew

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
# Dates a DateField parses but no trip or incident can hold.
OUT_OF_RANGE = ["9999-12-31", "0001-01-01"]
# Dates nothing parses: a five-digit year, a day February lacks.
UNREADABLE = ["10000-01-01", "2026-02-30"]
EXTREMES = [*OUT_OF_RANGE, *UNREADABLE]
SOON = (TODAY + dt.timedelta(days=10)).isoformat()
LATER = (TODAY + dt.timedelta(days=12)).isoformat()


@pytest.fixture
def almaty(db):
    return PlaceFactory(country=country("KZ"), name="Almaty")


# --- the policy itself ---------------------------------------------------------------------


def test_adding_days_stops_at_the_calendars_ends_instead_of_overflowing():
    assert add_days(dt.date.max, 3) == dt.date.max
    assert add_days(dt.date.min, -1) == dt.date.min
    assert add_days(dt.date(2026, 12, 30), 3) == dt.date(2027, 1, 2)


def test_the_horizon_runs_from_2000_to_five_years_ahead_and_says_so():
    bounds = portal_dates(dt.date(2028, 2, 29))
    assert (bounds.earliest, bounds.latest) == (dt.date(2000, 1, 1), dt.date(2033, 2, 28))
    assert bounds.problem(dt.date(2033, 3, 1)) == (
        "Give a date from 1 January 2000 to 28 February 2033."
    )
    assert bounds.problem(dt.date(2033, 2, 28)) is None
    assert years_later(dt.date(9999, 6, 1), 5) == dt.date(9999, 6, 1)


@pytest.mark.parametrize("text", [*EXTREMES, "", "20261211"])
def test_a_query_date_outside_the_horizon_or_badly_written_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_iso_date(text, today=TODAY)


# --- every write door refuses them -----------------------------------------------------------


def _trip_body(arrival: str, departure: str) -> dict:
    return {
        "purpose": "Site visit",
        "stops": [{"country": "KZ", "place": "Almaty", "arrival": arrival, "departure": departure}],
    }


@pytest.mark.parametrize("value", [*EXTREMES, ""])
@pytest.mark.parametrize("field", ["arrival", "departure"])
def test_the_trips_api_refuses_an_extreme_stop_date_and_files_nothing(almaty, value, field):
    dates = {"arrival": SOON, "departure": LATER, field: value}
    response = api_as(employee()).post(
        "/api/trips/", _trip_body(dates["arrival"], dates["departure"]), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["stops"]["0"]
    assert not Trip.objects.exists()


@pytest.mark.parametrize("value", EXTREMES)
def test_the_preview_refuses_an_extreme_date_too(almaty, value):
    response = api_as(employee()).post(
        "/api/trips/preview/", _trip_body(SOON, value), format="json"
    )
    assert response.status_code == 400
    assert "departure" in response.json()["stops"]["0"]


@pytest.mark.parametrize("value", EXTREMES)
def test_patching_a_trip_to_an_extreme_date_is_refused_and_changes_nothing(almaty, value):
    traveller = employee()
    created = api_as(traveller).post("/api/trips/", _trip_body(SOON, LATER), format="json")
    assert created.status_code == 201, created.content
    trip_id = created.json()["id"]
    response = api_as(traveller).patch(
        f"/api/trips/{trip_id}/", {"stops": _trip_body(SOON, value)["stops"]}, format="json"
    )
    assert response.status_code == 400
    assert "departure" in response.json()["stops"]["0"]
    assert [str(stop.departure) for stop in Stop.objects.filter(trip_id=trip_id)] == [LATER]


def _trip_form(arrival: str, departure: str) -> dict:
    return {
        "purpose": "Site visit",
        "passport_nationality": "",
        "passport_type": "",
        "visa_category": "",
        "stops-TOTAL_FORMS": "1",
        "stops-INITIAL_FORMS": "0",
        "stops-MIN_NUM_FORMS": "1",
        "stops-MAX_NUM_FORMS": "50",
        "stops-0-country": "KZ",
        "stops-0-place": "Almaty",
        "stops-0-arrival": arrival,
        "stops-0-departure": departure,
        "action": "draft",
    }


@pytest.mark.parametrize("value", [*EXTREMES, ""])
def test_the_trip_form_refuses_an_extreme_date_beside_the_field(almaty, value):
    response = logged_in(employee()).post("/trips/new/", _trip_form(SOON, value))
    assert response.status_code in (200, 400)
    form = response.context["formset"].forms[0]
    assert form.errors["departure"]
    assert not Trip.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("9999-12-31", "more than 2 years ahead"), ("0001-01-01", "cannot start in the past")],
)
def test_the_trip_form_says_why_a_date_is_out_of_range(almaty, value, message):
    response = logged_in(employee()).post("/trips/new/", _trip_form(value, value))
    assert message in response.content.decode()
    assert not Trip.objects.exists()


def _incident_body(**dates: str) -> dict:
    return {
        "title": "Earthquake",
        "severity": "critical",
        "category": "natural-disaster",
        "country": "KZ",
        "places": ["Almaty"],
        "starts_on": TODAY.isoformat(),
        **dates,
    }


@pytest.mark.parametrize("value", EXTREMES)
@pytest.mark.parametrize("field", ["starts_on", "ends_on"])
def test_the_incidents_api_refuses_an_extreme_date_and_declares_nothing(almaty, field, value):
    response = api_as(manager()).post(
        "/api/incidents/", _incident_body(**{field: value}), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Incident.objects.exists()


def test_an_empty_start_is_refused_by_the_incidents_api(almaty):
    response = api_as(manager()).post(
        "/api/incidents/", _incident_body(starts_on=""), format="json"
    )
    assert response.status_code == 400
    assert "starts_on" in response.json()
    assert not Incident.objects.exists()


@pytest.mark.parametrize("value", EXTREMES)
def test_patching_an_incident_to_an_extreme_end_changes_nothing(almaty, value):
    incident = IncidentFactory(starts_on=TODAY, places=[almaty])
    response = api_as(manager()).patch(
        f"/api/incidents/{incident.pk}/", {"ends_on": value}, format="json"
    )
    assert response.status_code == 400
    assert "ends_on" in response.json()
    incident.refresh_from_db()
    assert incident.ends_on is None


def _incident_form(**overrides: str) -> dict:
    return {
        "title": "Earthquake",
        "severity": "critical",
        "category": "natural-disaster",
        "country": "KZ",
        "places": "Almaty",
        "starts_on": TODAY.isoformat(),
        "ends_on": "",
        "lookahead_days": "3",
        "summary": "",
        "source": "",
        "external_id": "",
        **overrides,
    }


@pytest.mark.parametrize("value", [*EXTREMES, ""])
def test_the_incident_form_refuses_an_extreme_start(almaty, value):
    response = logged_in(manager()).post("/incidents/new/", _incident_form(starts_on=value))
    assert response.status_code in (200, 400)
    assert response.context["form"].errors["starts_on"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize("value", EXTREMES)
def test_editing_an_incident_to_an_extreme_end_changes_nothing(almaty, value):
    incident = IncidentFactory(starts_on=TODAY, places=[almaty])
    response = logged_in(manager()).post(
        f"/incidents/{incident.pk}/edit/", _incident_form(ends_on=value)
    )
    assert response.status_code in (200, 400)
    assert response.context["form"].errors["ends_on"]
    incident.refresh_from_db()
    assert incident.ends_on is None


@pytest.mark.parametrize("value", [*EXTREMES, "1899-12-31"])
def test_the_profile_refuses_an_extreme_date_of_birth_through_the_api_and_the_page(value):
    user = employee()
    response = api_as(user).patch("/api/me/", {"profile": {"date_of_birth": value}}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["date_of_birth"]
    page = logged_in(user).post(
        "/profile/", {"passport_type": "ordinary", "date_of_birth": value, "nationality": ""}
    )
    assert page.status_code == 400
    assert page.context["form"].errors["date_of_birth"]
    user.profile.refresh_from_db()
    assert user.profile.date_of_birth is None


@pytest.mark.parametrize("value", EXTREMES)
@pytest.mark.parametrize("name", ["departure_after", "departure_before"])
def test_the_trip_filters_refuse_an_extreme_date_in_the_api_and_on_the_page(value, name):
    user = employee()
    response = api_as(user).get("/api/trips/", {name: value})
    assert response.status_code == 400
    assert list(response.json()) == [name]
    page = logged_in(user).get("/trips/", {name: value})
    assert page.status_code == 200
    assert page.context["error"]


@pytest.mark.parametrize("value", EXTREMES)
def test_who_is_where_and_the_impacted_list_refuse_an_extreme_day(almaty, value):
    boss = manager()
    incident = IncidentFactory(starts_on=TODAY, places=[almaty])
    locations = api_as(boss).get("/api/locations/", {"date": value})
    assert locations.status_code == 400
    assert list(locations.json()) == ["date"]
    impacted = api_as(boss).get(f"/api/incidents/{incident.pk}/impacted/", {"on": value})
    assert impacted.status_code == 400
    assert list(impacted.json()) == ["on"]
    for path, name in [("/locations/", "date"), (f"/incidents/{incident.pk}/", "on")]:
        page = logged_in(boss).get(path, {name: value})
        assert page.status_code == 200
        assert "Showing today." in page.content.decode()


# --- what is already stored still shows ------------------------------------------------------


@pytest.fixture
def stored_extremes(almaty):
    """A traveller in Almaty until the end of the calendar, another who was there at its
    start, and incidents over both, written straight to the database as an old row would be."""
    traveller = employee()
    endless = trip_with_stops(
        {"country": country("KZ"), "place": almaty, "arrival": TODAY, "departure": dt.date.max},
        traveller=traveller,
    )
    ancient = trip_with_stops(
        {
            "country": country("KZ"),
            "place": almaty,
            "arrival": dt.date.min,
            "departure": add_days(dt.date.min, 3),
        },
        traveller=traveller,
    )
    forever = IncidentFactory(
        severity="critical", starts_on=TODAY, ends_on=dt.date.max, places=[almaty]
    )
    long_ago = IncidentFactory(starts_on=dt.date.min, ends_on=dt.date.min, places=[almaty])
    return {
        "traveller": traveller,
        "trips": [endless, ancient],
        "incidents": [forever, long_ago],
    }


def test_the_travellers_pages_show_extreme_stored_dates(stored_extremes):
    traveller = stored_extremes["traveller"]
    client = logged_in(traveller)
    api = api_as(traveller)
    paths = ["/", "/trips/", "/trips/?when=past", "/api/trips/", "/profile/"]
    for trip in stored_extremes["trips"]:
        paths += [f"/trips/{trip.pk}/", f"/api/trips/{trip.pk}/", f"/trips/{trip.pk}/calendar.ics"]
    for path in paths:
        response = (api if path.startswith("/api/") else client).get(path)
        assert response.status_code == 200, path
    feed = calendar_feed_renew(user=traveller, by=traveller)
    assert client.get(f"/calendar/{feed.token}.ics").status_code == 200


def test_the_managers_pages_show_extreme_stored_dates(stored_extremes):
    boss = manager()
    client, api = logged_in(boss), api_as(boss)
    paths = [
        "/",
        "/trips/",
        "/api/trips/",
        "/incidents/",
        "/api/incidents/",
        "/locations/",
        "/api/locations/",
        "/compliance/",
        "/api/compliance/",
        "/approvals/",
    ]
    for incident in stored_extremes["incidents"]:
        paths += [
            f"/incidents/{incident.pk}/",
            f"/incidents/{incident.pk}/edit/",
            f"/incidents/{incident.pk}/?format=csv",
            f"/api/incidents/{incident.pk}/",
            f"/api/incidents/{incident.pk}/impacted/",
        ]
    for path in paths:
        response = (api if path.startswith("/api/") else client).get(path)
        assert response.status_code == 200, path
    forever = stored_extremes["incidents"][0]
    impacted = api.get(f"/api/incidents/{forever.pk}/impacted/").json()
    assert impacted["counts"]["there"] == 1


def test_a_safety_check_starts_on_an_incident_that_never_ends(stored_extremes):
    forever = stored_extremes["incidents"][0]
    response = logged_in(manager()).post(f"/incidents/{forever.pk}/checks/start/")
    assert response.status_code == 302
    assert forever.checks.count() == 1
    assert forever.checks.get().recipients.count() == 1


def test_a_safety_check_starts_through_the_api_on_an_incident_that_never_ends(stored_extremes):
    forever = stored_extremes["incidents"][0]
    response = api_as(manager()).post(f"/api/incidents/{forever.pk}/checks/", {}, format="json")
    assert response.status_code == 201, response.content
    assert forever.checks.get().recipients.count() == 1
