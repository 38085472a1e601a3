"""/trips/: every trip a user may see, past ones too, searched and filtered by one FilterSet."""

import datetime as dt

import pytest
import time_machine

from tests.factories import arranger_for, employee, logged_in, manager
from tests.trips.helpers import file_trip, trip_links
from trips.models import Trip

pytestmark = pytest.mark.django_db


def test_the_trip_list_is_in_the_navigation_and_needs_a_login(client, catalogue):
    assert client.get("/trips/").status_code == 302
    body = logged_in(employee()).get("/").content.decode()
    assert 'href="/trips/"' in body


def test_each_role_sees_the_trips_it_may_see(catalogue):
    erin, oscar = employee(), employee()
    arranger = arranger_for(erin)
    mine = file_trip(erin, purpose="Erin's audit")
    file_trip(oscar, purpose="Oscar's audit", start=40)
    assert trip_links(logged_in(erin).get("/trips/")) == 1
    assert trip_links(logged_in(arranger).get("/trips/")) == 1
    assert f"/trips/{mine.pk}/" in logged_in(arranger).get("/trips/").content.decode()
    assert trip_links(logged_in(manager()).get("/trips/")) == 2


def test_past_trips_are_listed_and_can_be_filtered_out(catalogue):
    user = employee()
    with time_machine.travel(dt.date.today() - dt.timedelta(days=60), tick=False):
        past = file_trip(user, purpose="Last year's visit", start=5, days=3)
    upcoming = file_trip(user, purpose="Next visit", start=20)
    client = logged_in(user)
    body = client.get("/trips/").content.decode()
    assert "Last year&#x27;s visit" in body and "Next visit" in body
    # The newest departure first.
    assert body.index(f"/trips/{upcoming.pk}/") < body.index(f"/trips/{past.pk}/")
    assert trip_links(client.get("/trips/?when=past")) == 1
    assert f"/trips/{past.pk}/" in client.get("/trips/?when=past").content.decode()
    assert trip_links(client.get("/trips/?when=upcoming")) == 1


def test_search_finds_purpose_place_country_and_traveller(catalogue):
    erin = employee(first_name="Erin", last_name="Traveller")
    oscar = employee(first_name="Oscar", last_name="Other")
    file_trip(erin, purpose="Harbour plant audit", place="Old Harbour")
    file_trip(oscar, purpose="Customer visit", place="Hill Town", start=40)
    client = logged_in(manager())
    assert trip_links(client.get("/trips/?q=plant")) == 1
    assert trip_links(client.get("/trips/?q=hill+town")) == 1
    assert trip_links(client.get("/trips/?q=mongolia")) == 2
    assert trip_links(client.get("/trips/?q=oscar")) == 1
    assert trip_links(client.get("/trips/?q=nobody")) == 0
    assert "No trip matches this search" in client.get("/trips/?q=nobody").content.decode()


def test_status_and_date_filters(catalogue):
    user = employee()
    draft = file_trip(user, submit=False, start=30)
    file_trip(user, start=10)
    client = logged_in(user)
    drafts = client.get("/trips/?status=draft")
    assert trip_links(drafts) == 1 and f"/trips/{draft.pk}/" in drafts.content.decode()
    later = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    assert trip_links(client.get(f"/trips/?departure_after={later}")) == 1
    assert trip_links(client.get(f"/trips/?departure_before={later}")) == 1


def test_a_bad_filter_is_explained_not_a_500(catalogue):
    user = employee()
    file_trip(user)
    response = logged_in(user).get("/trips/?departure_after=yesterday&status=bogus")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Showing every trip instead" in body
    assert trip_links(response) == 1


def test_the_list_is_paginated(catalogue):
    user = employee()
    for index in range(27):
        Trip.objects.create(traveller=user, created_by=user, purpose=f"Draft {index}")
    client = logged_in(user)
    assert trip_links(client.get("/trips/")) == 25
    second = client.get("/trips/?page=2")
    assert trip_links(second) == 2 and "Page 2 of 2" in second.content.decode()


def test_the_api_list_takes_the_same_search_and_filters(catalogue):
    from tests.factories import api_as

    erin = employee(first_name="Erin")
    file_trip(erin, purpose="Harbour plant audit")
    file_trip(erin, purpose="Customer visit", place="Hill Town", start=40)
    client = api_as(erin)
    assert client.get("/api/trips/?q=plant").json()["count"] == 1
    assert client.get("/api/trips/?q=hill+town&status=approved").json()["count"] == 1
    assert client.get("/api/trips/?when=past").json()["count"] == 0
    refused = client.get("/api/trips/?status=bogus")
    assert refused.status_code == 400 and "status" in refused.json()


def test_the_list_runs_a_fixed_number_of_queries(catalogue, django_assert_max_num_queries):
    boss = manager()
    for start in range(5):
        file_trip(employee(), start=10 + 10 * start, days=3)
    client = logged_in(boss)
    client.get("/trips/")  # sessions and the like, once
    with django_assert_max_num_queries(12):
        response = client.get("/trips/")
    assert trip_links(response) == 5
    for start in range(10):
        file_trip(employee(), start=70 + 10 * start, days=3)
    with django_assert_max_num_queries(12):
        response = client.get("/trips/")
    assert trip_links(response) == 15


# --- a reversed date range (issue 22) ----------------------------------------------------------

REVERSED = {"departure_after": "2027-05-20", "departure_before": "2027-05-10"}
REVERSED_MESSAGE = "Departing from (20 May 2027) is after departing until (10 May 2027): swap them."


def test_a_reversed_date_range_is_an_error_naming_both_dates_in_the_api(catalogue):
    from tests.factories import api_as

    user = employee()
    file_trip(user)
    response = api_as(user).get("/api/trips/", REVERSED)
    assert response.status_code == 400
    assert response.json() == {
        "departure_after": [REVERSED_MESSAGE],
        "departure_before": [REVERSED_MESSAGE],
    }


def test_a_reversed_date_range_is_said_on_the_page_not_ignored(catalogue):
    user = employee()
    file_trip(user)
    response = logged_in(user).get("/trips/", REVERSED)
    assert response.status_code == 200
    body = response.content.decode()
    # Once in the banner (the same words as the API's), and beside each of the two dates.
    shown = REVERSED_MESSAGE.replace(": swap them.", ": swap them. Showing every trip instead.")
    assert shown in body
    assert body.count(REVERSED_MESSAGE) == 3
    assert dict(response.context["form"].errors) == {
        "departure_after": [REVERSED_MESSAGE],
        "departure_before": [REVERSED_MESSAGE],
    }
    assert trip_links(response) == 1


def test_a_range_of_one_day_is_not_reversed(catalogue):
    from tests.factories import api_as

    same_day = {"departure_after": "2027-05-10", "departure_before": "2027-05-10"}
    assert api_as(employee()).get("/api/trips/", same_day).status_code == 200
