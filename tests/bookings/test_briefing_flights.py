import pytest
from django.template.loader import render_to_string

from bookings.services import booking_receive
from briefings import selectors
from tests.bookings.helpers import booking, d
from tests.factories import employee

pytestmark = pytest.mark.django_db


def itinerary_html(trip) -> str:
    document = selectors.document_for(
        trip=trip, assessment=trip.assessments.first(), content_versions={}
    )
    return render_to_string("briefings/pdf/body.html", {"doc": document})


def test_the_briefings_itinerary_lists_the_trips_flights_in_local_time():
    employee(username="eva", email="eva.green@example.org")
    trip = booking_receive(payload=booking(), by=None, door="feed").trip
    html = itinerary_html(trip)
    assert 'id="flights"' in html
    assert "KC 942" in html and "KC 941" in html
    assert "LHR London" in html and "ALA Almaty" in html
    # 20:15 in London, 06:30 the next morning in Almaty, each with its own zone.
    assert f"{d(10).day} {d(10):%b %Y} 20:15 (UTC+00:00, Europe/London)" in html
    assert f"{d(11).day} {d(11):%b %Y} 06:30 (UTC+05:00, Asia/Almaty)" in html
    assert html.index("KC 942") < html.index("KC 941")


def test_a_trip_without_bookings_shows_no_flights_block():
    from tests.trips.helpers import file_trip

    trip = file_trip(employee(), submit=False)
    assert 'id="flights"' not in itinerary_html(trip)
