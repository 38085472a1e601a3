"""A trip's page shows its itinerary on a small map (numbered stops in order, approximate ones
marked, unlocated ones said in words), and an incident's page its circle or places and the
stops of the travellers it touches."""

import datetime as dt
import json
import re

import pytest

from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    employee,
    logged_in,
    manager,
    trip_with_stops,
)

pytestmark = pytest.mark.django_db

ON = dt.date(2027, 3, 10)


def map_data(body: str, map_id: str) -> dict:
    found = re.search(rf'<script id="{map_id}-data" type="application/json">(.*?)</script>', body)
    assert found, f"no {map_id} data on the page"
    return json.loads(found.group(1))


@pytest.fixture
def trip():
    return trip_with_stops(
        {
            "country_id": "KZ",
            "place_text": "Almaty",
            "arrival": ON,
            "departure": ON + dt.timedelta(days=2),
            "latitude": 43.2567,
            "longitude": 76.9286,
            "location_source": "place",
        },
        {
            "country_id": "KZ",
            "place_text": "Zhanatas farm",
            "arrival": ON + dt.timedelta(days=2),
            "departure": ON + dt.timedelta(days=3),
        },
        {
            "country_id": "KZ",
            "place_text": "Shymkent",
            "arrival": ON + dt.timedelta(days=3),
            "departure": ON + dt.timedelta(days=5),
            "latitude": 42.3,
            "longitude": 69.6,
            "location_source": "gazetteer",
            "location_approximate": True,
        },
        traveller=employee(first_name="Ada", last_name="Lovelace"),
        purpose="Pipeline audit",
    )


def test_a_trip_page_shows_its_stops_in_order_on_a_small_map(trip):
    body = logged_in(trip.traveller).get(f"/trips/{trip.pk}/").content.decode()
    assert 'id="trip-map"' in body and 'role="region"' in body
    data = map_data(body, "trip-map")
    assert data["route"] is True
    assert [(p["number"], p["label"], p["approximate"]) for p in data["points"]] == [
        (1, "1. Almaty, Kazakhstan", False),
        (3, "3. Shymkent, Kazakhstan", True),
    ]
    assert data["outlines"].endswith("vendor/world-atlas/countries-50m.json")
    # The itinerary beside the map says which stops are approximate or not on it.
    assert "(approximate)" in body and "Not on the map" in body


def test_a_trip_with_no_located_stop_draws_no_map_and_says_why():
    trip = trip_with_stops({"country_id": "KZ", "place_text": "Nowhere in particular"})
    body = logged_in(trip.traveller).get(f"/trips/{trip.pk}/").content.decode()
    assert 'id="trip-map"' not in body
    assert "Not on the map" in body


def test_an_incident_page_shows_its_circle_and_the_touched_travellers_stops(trip):
    incident = IncidentFactory(
        title="Flooding",
        severity="critical",
        starts_on=ON,
        latitude=43.3,
        longitude=77.0,
        radius_km=25,
    )
    body = logged_in(manager()).get(f"/incidents/{incident.pk}/?on={ON}").content.decode()
    data = map_data(body, "incident-map")
    assert data["areas"] == [
        {"lat": 43.3, "lon": 77.0, "radius_km": 25.0, "severity": "critical", "label": "Flooding"}
    ]
    assert "Ada Lovelace, Almaty, Kazakhstan" in [p["label"] for p in data["points"]]
    # Of its country with no coordinates: possibly touched, listed, said to be off the map.
    assert "Not on the map (place unknown): Ada Lovelace, Zhanatas farm, Kazakhstan." in body


def test_an_incident_of_curated_places_shows_those_with_coordinates():
    almaty = PlaceFactory(name="Almaty", latitude=43.2567, longitude=76.9286)
    village = PlaceFactory(name="Koktal")
    incident = IncidentFactory(title="Protest", places=[almaty, village])
    body = logged_in(manager()).get(f"/incidents/{incident.pk}/").content.decode()
    data = map_data(body, "incident-map")
    assert [(a["label"], a.get("radius_km")) for a in data["areas"]] == [("Almaty", None)]
    assert "Places without coordinates: Koktal." in body
