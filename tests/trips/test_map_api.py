"""The map's GeoJSON (contracts.md: /api/map/travellers/, /api/map/incidents/): who is where
on a date and the open incidents, for managers, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    api_as,
    country,
    employee,
    manager,
    trip_with_stops,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 10)
BISHKEK = (42.87, 74.59)


def stay(code="KG", point=BISHKEK, *, approximate=False, **stop):
    located = {}
    if point is not None:
        located = {
            "latitude": point[0],
            "longitude": point[1],
            "location_source": "gazetteer" if approximate else "booking",
            "location_approximate": approximate,
        }
    return trip_with_stops(
        {
            "country": country(code),
            "arrival": TODAY - dt.timedelta(days=1),
            "departure": TODAY + dt.timedelta(days=2),
            **located,
            **stop,
        }
    )


def travellers(**params):
    query = "&".join(f"{key}={value}" for key, value in {"date": "2027-03-10", **params}.items())
    return api_as(manager()).get(f"/api/map/travellers/?{query}")


def test_the_travellers_map_is_a_feature_collection_of_points_with_the_unlocated_listed():
    located = stay(place_text="Bishkek", approximate=True)
    unlocated = stay("KZ", None, place_text="Camp 7")

    response = travellers()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    body = response.json()
    assert body["type"] == "FeatureCollection"
    [feature] = body["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [74.59, 42.87]}
    properties = feature["properties"]
    assert (properties["traveller"], properties["trip"], properties["place"]) == (
        located.traveller.username,
        located.pk,
        "Bishkek",
    )
    assert (properties["country"], properties["approximate"]) == ("KG", True)
    assert properties["trip_url"].endswith(f"/trips/{located.pk}/")
    assert body["unlocated_count"] == 1
    assert body["unlocated"][0]["trip"] == unlocated.pk


def test_the_travellers_map_takes_who_is_wheres_filters():
    stay()
    stay("KZ", (43.25, 76.91))

    assert [f["properties"]["country"] for f in travellers(country="KZ").json()["features"]] == [
        "KZ"
    ]
    assert travellers(date="2027-04-30").json()["features"] == []
    assert "date" in travellers(date="tomorrow").json()


def test_a_traveller_on_a_travel_day_is_one_point_where_they_end_the_day():
    traveller = employee()
    trip_with_stops(
        {
            "country": country("KZ"),
            "arrival": TODAY - dt.timedelta(days=3),
            "departure": TODAY,
            "latitude": 43.25,
            "longitude": 76.91,
            "location_source": "booking",
        },
        {
            "country": country("KG"),
            "arrival": TODAY,
            "departure": TODAY + dt.timedelta(days=3),
            "latitude": BISHKEK[0],
            "longitude": BISHKEK[1],
            "location_source": "booking",
        },
        traveller=traveller,
    )

    [feature] = travellers().json()["features"]
    assert feature["properties"]["country"] == "KG"


def test_the_travellers_map_takes_the_same_queries_for_one_or_many(django_assert_max_num_queries):
    boss = manager()
    stay()
    with django_assert_max_num_queries(6):
        api_as(boss).get("/api/map/travellers/?date=2027-03-10")
    for _ in range(10):
        stay()
        stay("KZ", None)
    with django_assert_max_num_queries(6):
        body = api_as(boss).get("/api/map/travellers/?date=2027-03-10").json()
    assert (len(body["features"]), body["unlocated_count"]) == (11, 10)


@pytest.mark.parametrize("url", ["/api/map/travellers/", "/api/map/incidents/"])
def test_the_maps_are_for_managers_only(url):
    assert api_as(employee()).get(url).status_code == 403
    assert api_as(manager()).get(url).status_code == 200


def test_the_incidents_map_draws_a_point_with_its_radius_or_the_places():
    today = timezone.localdate()
    almaty = PlaceFactory(country=country("KZ"), name="Almaty", latitude=43.25, longitude=76.91)
    unplaced = PlaceFactory(country=country("KZ"), name="Camp 7")
    point = IncidentFactory(
        title="Flood", starts_on=today, latitude=43.05, longitude=74.72, radius_km=50
    )
    places = IncidentFactory(title="Protest", starts_on=today, places=[almaty, unplaced])
    whole = IncidentFactory(title="Strike", starts_on=today, country=country("KG"))
    IncidentFactory(title="Over", starts_on=today - dt.timedelta(days=9), ends_on=today)

    response = api_as(manager()).get("/api/map/incidents/")

    assert response.status_code == 200
    features = {f["properties"]["title"]: f for f in response.json()["features"]}
    assert set(features) == {"Flood", "Protest", "Strike"}
    assert features["Flood"]["geometry"] == {"type": "Point", "coordinates": [74.72, 43.05]}
    assert features["Flood"]["properties"]["radius_km"] == 50
    assert features["Protest"]["geometry"] == {
        "type": "MultiPoint",
        "coordinates": [[76.91, 43.25]],
    }
    assert features["Protest"]["properties"]["unlocated_places"] == ["Camp 7"]
    assert features["Strike"]["geometry"] is None
    assert features["Strike"]["properties"]["country"] == "KG"
    flood = features["Flood"]["properties"]
    assert (flood["id"], flood["severity"], flood["starts_on"]) == (
        point.pk,
        "warning",
        today.isoformat(),
    )
    assert flood["url"].endswith(f"/incidents/{point.pk}/")
    assert places.pk != whole.pk


def test_the_incidents_map_takes_the_same_queries_for_one_or_many(django_assert_max_num_queries):
    today = timezone.localdate()
    boss = manager()
    IncidentFactory(starts_on=today, places=[PlaceFactory()])
    with django_assert_max_num_queries(5):
        api_as(boss).get("/api/map/incidents/")
    for _ in range(10):
        IncidentFactory(starts_on=today, places=[PlaceFactory(latitude=43.0, longitude=76.0)])
    with django_assert_max_num_queries(5):
        assert len(api_as(boss).get("/api/map/incidents/").json()["features"]) == 11


def test_a_client_asking_for_plain_json_gets_it():
    response = api_as(manager()).get("/api/map/incidents/", HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["type"] == "FeatureCollection"
