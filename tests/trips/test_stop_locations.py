"""Where a stop is on the map (product.md, "Places on the map"): its curated place's
coordinates, else its booking's, else the one city of its country the gazetteer knows by the
typed name (approximate), else none; and a place that gets coordinates later gives them to
its stops."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import PlaceFactory, country, employee
from trips import services
from trips.models import Stop
from trips.services import StopInput, TripInput

pytestmark = pytest.mark.django_db


def file_stop(**stop) -> Stop:
    start = timezone.localdate() + dt.timedelta(days=10)
    traveller = employee()
    data = TripInput(
        purpose="Site visit",
        stops=[StopInput(arrival=start, departure=start + dt.timedelta(days=3), **stop)],
    )
    trip = services.trip_create(by=traveller, data=data)
    return trip.stops.get()


def located(stop: Stop):
    return (stop.latitude, stop.longitude, stop.location_source, stop.location_approximate)


def test_a_curated_place_gives_its_coordinates():
    PlaceFactory(country=country("KZ"), name="Almaty", latitude=43.2567, longitude=76.9286)

    stop = file_stop(country="KZ", place="almaty", latitude=43.35, longitude=77.04)

    assert located(stop) == (43.2567, 76.9286, "place", False)


def test_a_bookings_coordinates_locate_a_stop_without_a_located_place():
    stop = file_stop(country="KZ", place="Almaty airport", latitude=43.3521, longitude=77.0405)

    assert located(stop) == (43.3521, 77.0405, "booking", False)


def test_a_typed_city_is_located_from_the_gazetteer_and_marked_approximate():
    stop = file_stop(country="KG", place="bishkek")

    assert located(stop) == (42.87, 74.59, "gazetteer", True)


def test_a_typed_name_two_cities_of_the_country_share_stays_unlocated():
    # Kazakhstan has two towns called Aksu (Pavlodar region and Akmola region).
    stop = file_stop(country="KZ", place="Aksu")

    assert located(stop) == (None, None, "", False)


def test_a_name_the_gazetteer_does_not_know_stays_unlocated():
    stop = file_stop(country="KZ", place="Camp 7, north shore")

    assert located(stop) == (None, None, "", False)


def test_half_a_point_is_a_field_error():
    start = timezone.localdate() + dt.timedelta(days=10)
    data = TripInput(
        purpose="Site visit",
        stops=[StopInput(country="KZ", arrival=start, departure=start, latitude=43.0)],
    )
    with pytest.raises(services.ItineraryInvalid) as refused:
        services.itinerary_validate(data)
    assert "longitude" in refused.value.errors["stops"]["0"]


def test_a_place_given_coordinates_later_locates_its_stops():
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    stop = file_stop(country="KZ", place="Almaty")
    assert stop.place == almaty and stop.location_source == "gazetteer"

    almaty.latitude, almaty.longitude = 43.2567, 76.9286
    almaty.save()

    stop.refresh_from_db()
    assert located(stop) == (43.2567, 76.9286, "place", False)


def test_the_trip_page_says_which_stops_are_approximate_or_unlocated():
    from tests.factories import logged_in

    start = timezone.localdate() + dt.timedelta(days=10)
    traveller = employee()
    data = TripInput(
        purpose="Site visit",
        stops=[
            StopInput(country="KG", place="Bishkek", arrival=start, departure=start),
            StopInput(country="KZ", place="Aksu", arrival=start, departure=start),
        ],
    )
    trip = services.trip_create(by=traveller, data=data)

    page = logged_in(traveller).get(f"/trips/{trip.pk}/").content.decode()

    assert "On the map at the city's centre (approximate)." in page
    assert "Not on the map: we could not locate this place." in page
