"""The managers' map page (/map/): who may see it, the list view beside the map (the same
travellers and incidents, the real content for keyboard and screen-reader users), the travellers
not on the map said in words, and no request outside the portal unless MAP_TILE_URL is set."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.conf import settings

from tests.factories import (
    IncidentFactory,
    employee,
    logged_in,
    manager,
    trip_with_stops,
)

pytestmark = pytest.mark.django_db

ON = dt.date(2027, 5, 10)


@pytest.fixture
def travellers():
    """Ada is in Almaty (located from its curated place); Bo typed a village nobody could place;
    Cy is in Ulaanbaatar, located approximately from the gazetteer."""
    ada = employee(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    trip_with_stops(
        {
            "country_id": "KZ",
            "place_text": "Almaty",
            "arrival": ON,
            "departure": ON + dt.timedelta(days=3),
            "latitude": 43.2567,
            "longitude": 76.9286,
            "location_source": "place",
        },
        traveller=ada,
        purpose="Pipeline audit",
    )
    bo = employee(first_name="Bo", last_name="Berg", email="bo@example.com")
    trip_with_stops(
        {"country_id": "KZ", "place_text": "Zhanatas farm", "arrival": ON, "departure": ON},
        traveller=bo,
        purpose="Farm survey",
    )
    cy = employee(first_name="Cy", last_name="Young", email="cy@example.com")
    trip_with_stops(
        {
            "country_id": "MN",
            "place_text": "Ulaanbaatar",
            "arrival": ON,
            "departure": ON + dt.timedelta(days=1),
            "latitude": 47.9077,
            "longitude": 106.8832,
            "location_source": "gazetteer",
            "location_approximate": True,
        },
        traveller=cy,
        purpose="Mine visit",
    )
    return ada, bo, cy


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/map/")
    assert response.status_code == 302
    assert response["Location"].startswith(settings.LOGIN_URL)


def test_an_employee_may_not_see_the_map():
    assert logged_in(employee()).get("/map/").status_code == 403


def test_the_list_beside_the_map_names_each_traveller_and_where_they_are(travellers):
    response = logged_in(manager()).get(f"/map/?date={ON}")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="region"' in body and 'aria-label="Map of travellers on' in body
    table = body[body.index('id="map-travellers"') :]
    for name, where in (
        ("Ada Lovelace", "Almaty, Kazakhstan"),
        ("Bo Berg", "Zhanatas farm, Kazakhstan"),
        ("Cy Young", "Ulaanbaatar, Mongolia"),
    ):
        assert name in table and where in table
    assert "approximately (the city of that name)" in table
    assert "no: place unknown" in table


def test_the_page_says_how_many_travellers_are_not_on_the_map(travellers):
    body = logged_in(manager()).get(f"/map/?date={ON}").content.decode()
    assert "1 traveller not on the map: place unknown" in body


def test_the_filters_are_those_of_who_is_where(travellers):
    response = logged_in(manager()).get(f"/map/?date={ON}&country=MN")
    body = response.content.decode()
    assert [row.stop.trip.purpose for row in response.context["travellers"]] == ["Mine visit"]
    assert "not on the map" not in body
    assert 'name="date" value="2027-05-10"' in body
    # The map draws from the travellers' GeoJSON with the same filters.
    assert "/api/map/travellers/?date=2027-05-10\\u0026country=MN" in body
    assert "/locations/?date=2027-05-10&amp;country=MN#message-title" in body


def test_a_bad_date_is_said_and_today_shown():
    body = logged_in(manager()).get("/map/?date=soon").content.decode()
    assert "Showing today." in body


def test_open_incidents_are_listed_with_their_circle_or_places(travellers):
    IncidentFactory(
        title="Flooding on the Ili",
        severity="critical",
        starts_on=ON - dt.timedelta(days=1),
        latitude=43.3,
        longitude=77.0,
        radius_km=25,
    )
    IncidentFactory(title="Strike at the mines", country_id="MN", starts_on=ON)
    IncidentFactory(title="Over already", starts_on=ON - dt.timedelta(days=9), ends_on=ON)
    body = logged_in(manager()).get(f"/map/?date={ON}").content.decode()
    table = body[body.index('id="map-incidents"') :]
    assert "Flooding on the Ili" in table and "within 25 km of 43.3000, 77.0000" in table
    assert "Strike at the mines" in table and "all of Mongolia" in table
    assert "Over already" not in table


def test_countries_are_coloured_by_their_published_level_matched_by_numeric_code(catalogue):
    from advisories.selectors import countries_with_risk

    mongolia = countries_with_risk().get(code="MN")
    assert mongolia.risk_level is not None
    levels = logged_in(manager()).get(f"/map/?date={ON}").context["country_levels"]
    # world-atlas names its countries by ISO 3166 numeric code: 496 is Mongolia.
    assert levels["496"]["code"] == "MN"
    assert levels["496"]["level"] == mongolia.risk_level
    assert all(entry["level"] for entry in levels.values())


def test_the_map_is_in_the_managers_menu_and_linked_from_who_is_where():
    client = logged_in(manager())
    assert 'href="/map/"' in client.get("/").content.decode()
    assert 'href="/map/?date=' in client.get("/locations/").content.decode()
    assert 'href="/map/"' not in logged_in(employee()).get("/").content.decode()


def test_the_map_loads_only_the_portals_own_files_by_default():
    response = logged_in(manager()).get("/map/")
    assert settings.MAP_TILE_URL == ""
    policy = response["Content-Security-Policy"]
    assert "img-src 'self' data:;" in policy
    assert '"tiles": ""' in response.content.decode()


def test_a_tile_server_is_allowed_in_the_policy_only_when_set():
    def img_src(environment: dict[str, str]) -> str:
        script = (
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings';"
            "django.setup(); from django.conf import settings;"
            "print(' '.join(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
        )
        env = {k: v for k, v in os.environ.items() if k != "MAP_TILE_URL"} | environment
        return subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()

    assert img_src({}) == "'self' data:"
    assert (
        img_src({"MAP_TILE_URL": "https://tiles.example.com/{z}/{x}/{y}.png"})
        == "'self' data: https://tiles.example.com"
    )


def test_a_tile_url_that_is_not_a_tile_address_stops_the_portal_naming_the_variable():
    env = {**os.environ, "MAP_TILE_URL": "tiles.example.com"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "MAP_TILE_URL='tiles.example.com' must be an http(s) address" in result.stderr


def test_a_company_tile_server_is_given_to_the_maps_when_set(settings, travellers):
    settings.MAP_TILE_URL = "https://tiles.example.com/{z}/{x}/{y}.png"
    body = logged_in(manager()).get(f"/map/?date={ON}").content.decode()
    assert '"tiles": "https://tiles.example.com/{z}/{x}/{y}.png"' in body
