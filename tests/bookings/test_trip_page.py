import pytest

from bookings.services import booking_receive
from tests.bookings.helpers import booking, d
from tests.factories import employee, logged_in, manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked():
    eva = employee(username="eva", email="eva.green@example.org")
    return eva, booking_receive(payload=booking(), by=None, door="feed").trip


def test_the_trip_page_says_where_the_trip_came_from_and_lists_its_flights(booked):
    eva, trip = booked
    body = logged_in(eva).get(f"/trips/{trip.pk}/").content.decode()
    assert "RXJ34P" in body and "acme-tmc" in body
    assert "Add the activities" in body
    assert "KC 942" in body
    # Local times at each end: 20:15 in London, 06:30 the next morning in Almaty.
    assert f"{d(10).day} {d(10):%b} 20:15" in body
    assert f"{d(11).day} {d(11):%b} 06:30" in body


def test_a_trip_filed_by_hand_shows_no_booking_section():
    from tests.trips.helpers import file_trip

    eva = employee()
    trip = file_trip(eva, submit=False)
    body = logged_in(eva).get(f"/trips/{trip.pk}/").content.decode()
    assert 'id="bookings-title"' not in body


def test_who_is_where_shows_a_traveller_flying_that_day(booked):
    response = logged_in(manager()).get("/locations/", {"date": d(11).isoformat()})
    body = response.content.decode()
    assert "Flying KC 942 LHR 20:15 - ALA 06:30" in body
    later = logged_in(manager()).get("/locations/", {"date": d(12).isoformat()})
    assert "Flying" not in later.content.decode()
