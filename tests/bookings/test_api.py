import pytest
from django.contrib.auth.models import Group

from bookings.models import Booking, BookingState
from core import roles
from tests.bookings.helpers import almaty_return, at, booking, d
from tests.factories import UserFactory, api_as, arranger_for, employee, manager
from trips.models import Trip

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed():
    account = UserFactory(username="acme-feed")
    account.groups.set([Group.objects.get(name=roles.BOOKING_FEED)])
    return account


@pytest.fixture
def eva():
    return employee(username="eva", email="eva.green@example.org")


def test_the_booking_feed_group_exists_after_migrating():
    assert Group.objects.filter(name="Booking feed").exists()


def test_the_feed_account_posts_a_booking_and_gets_its_trip(feed, eva):
    response = api_as(feed).post("/api/bookings/", booking(), format="json")
    assert response.status_code == 201
    trip = Trip.objects.get(traveller=eva)
    assert response.json() == {
        "booking": Booking.objects.get().pk,
        "trip": trip.pk,
        "status": "assigned",
    }
    again = api_as(feed).post("/api/bookings/", booking(), format="json")
    assert again.status_code == 200
    assert again.json()["trip"] == trip.pk


def test_a_manager_may_post_a_booking_too(eva):
    response = api_as(manager()).post("/api/bookings/", booking(), format="json")
    assert response.status_code == 201


def test_an_employee_may_not_post_bookings(eva):
    response = api_as(eva).post("/api/bookings/", booking(), format="json")
    assert response.status_code == 403
    assert Booking.objects.count() == 0


def test_an_anonymous_post_is_refused():
    from rest_framework.test import APIClient

    assert APIClient().post("/api/bookings/", booking(), format="json").status_code == 401


def test_a_bad_booking_is_a_400_naming_the_segment(feed, eva):
    segments = almaty_return()
    segments[0]["from"] = "XXX"
    response = api_as(feed).post("/api/bookings/", booking(*segments), format="json")
    assert response.status_code == 400
    assert response.json() == {"segments[0].from": ['unknown airport "XXX"']}
    assert Booking.objects.count() == 0


def test_a_body_that_is_no_object_is_a_400(feed):
    response = api_as(feed).post("/api/bookings/", [1, 2], format="json")
    assert response.status_code == 400


def test_an_unknown_traveller_waits_and_a_manager_assigns_it(feed, eva):
    posted = api_as(feed).post(
        "/api/bookings/", booking(email="e.green@home.example"), format="json"
    )
    assert posted.status_code == 201
    assert posted.json()["status"] == "unassigned"
    boss = manager()
    listed = api_as(boss).get("/api/bookings/unassigned/").json()
    assert [row["id"] for row in listed["results"]] == [posted.json()["booking"]]
    assert listed["results"][0]["traveller"]["email"] == "e.green@home.example"
    assigned = api_as(boss).post(
        f"/api/bookings/{posted.json()['booking']}/assign/", {"traveller": "eva"}, format="json"
    )
    assert assigned.status_code == 200
    assert assigned.json()["status"] == "assigned"
    assert Trip.objects.get(pk=assigned.json()["trip"]).traveller == eva
    assert api_as(boss).get("/api/bookings/unassigned/").json()["count"] == 0


def test_a_waiting_booking_is_dismissed(feed):
    posted = api_as(feed).post("/api/bookings/", booking(email="x@nowhere.example"), format="json")
    pk = posted.json()["booking"]
    response = api_as(manager()).post(
        f"/api/bookings/{pk}/assign/", {"dismiss": True}, format="json"
    )
    assert response.status_code == 200
    assert Booking.objects.get(pk=pk).state == BookingState.DISMISSED


def test_an_arranger_sees_and_assigns_only_what_concerns_their_travellers(feed, eva):
    arranger = arranger_for(eva, email="arr@example.org")
    theirs = (
        api_as(feed)
        .post("/api/bookings/", booking(email="e.green@home.example"), format="json")
        .json()["booking"]
    )
    Booking.objects.filter(pk=theirs).update(sender_email="eva.green@example.org")
    other = (
        api_as(feed)
        .post("/api/bookings/", booking(email="x@nowhere.example", reference="ZZZ"), format="json")
        .json()["booking"]
    )
    client = api_as(arranger)
    assert [r["id"] for r in client.get("/api/bookings/unassigned/").json()["results"]] == [theirs]
    assert (
        client.post(f"/api/bookings/{other}/assign/", {"dismiss": True}, format="json").status_code
        == 404
    )
    stranger = employee(username="stranger")
    refused = client.post(
        f"/api/bookings/{theirs}/assign/", {"traveller": stranger.username}, format="json"
    )
    assert refused.status_code == 400
    assert "traveller" in refused.json()
    assert (
        client.post(
            f"/api/bookings/{theirs}/assign/", {"traveller": "eva"}, format="json"
        ).status_code
        == 200
    )


def test_an_employee_has_no_unassigned_queue(eva):
    assert api_as(eva).get("/api/bookings/unassigned/").status_code == 403


def test_assigning_needs_a_traveller_or_a_dismissal(feed):
    pk = (
        api_as(feed)
        .post("/api/bookings/", booking(email="x@nowhere.example"), format="json")
        .json()["booking"]
    )
    response = api_as(manager()).post(f"/api/bookings/{pk}/assign/", {}, format="json")
    assert response.status_code == 400
    assert "traveller" in response.json()


def test_a_manager_finds_who_is_on_a_flight_that_day(feed, eva):
    eva.profile.phone = "+44 20 7946 0000"
    eva.profile.save()
    api_as(feed).post("/api/bookings/", booking(), format="json")
    response = api_as(manager()).get(
        "/api/flights/", {"carrier": "kc", "number": "0942", "date": d(10).isoformat()}
    )
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["traveller"] == "eva"
    assert (row["from"], row["to"]) == ("LHR", "ALA")
    assert row["departs"] == at(10, "20:15")
    assert row["arrives"] == at(11, "06:30", "+05:00")
    assert row["phone"]
    other_day = api_as(manager()).get(
        "/api/flights/", {"carrier": "KC", "number": "942", "date": d(11).isoformat()}
    )
    assert other_day.json()["results"] == []


def test_the_flight_lookup_is_for_managers_and_names_bad_parameters(eva):
    assert api_as(eva).get("/api/flights/", {"carrier": "KC", "number": "942"}).status_code == 403
    response = api_as(manager()).get("/api/flights/", {"number": "942", "date": "tomorrow"})
    assert response.status_code == 400
    assert set(response.json()) == {"carrier", "date"}


def test_a_cancelled_bookings_flight_is_no_longer_listed(feed, eva):
    api_as(feed).post("/api/bookings/", booking(), format="json")
    api_as(feed).post("/api/bookings/", booking(status="cancelled"), format="json")
    response = api_as(manager()).get(
        "/api/flights/", {"carrier": "KC", "number": "942", "date": d(10).isoformat()}
    )
    assert response.json()["results"] == []


def test_the_lists_take_a_fixed_number_of_queries(feed, django_assert_max_num_queries):
    people = [employee(email=f"p{n}@example.org") for n in range(5)]
    for n, person in enumerate(people):
        api_as(feed).post(
            "/api/bookings/", booking(reference=f"R{n}", email=person.email), format="json"
        )
        api_as(feed).post(
            "/api/bookings/",
            booking(reference=f"W{n}", email=f"w{n}@nowhere.example"),
            format="json",
        )
    boss = manager()
    client = api_as(boss)
    with django_assert_max_num_queries(12):
        flights = client.get("/api/flights/", {"carrier": "KC", "number": "942", "date": d(10)})
    assert len(flights.json()["results"]) == 5
    with django_assert_max_num_queries(12):
        waiting = client.get("/api/bookings/unassigned/")
    assert waiting.json()["count"] == 5
