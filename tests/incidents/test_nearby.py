"""Incidents with a point and a radius (product.md, "A point and a radius"): a stop within the
radius is touched whatever its country, match ``nearby`` with its distance; a stop of the
incident's country without coordinates is ``possibly`` touched. The impacted list, the safety
check, the crisis summary and the assessment's hazards share the rule.

Real places near the Kazakh-Kyrgyz border: the point is Kordai (KZ), Bishkek (KG) is 22.6 km
south-west of it, Cholpon-Ata (KG) about 195 km east, Almaty (KZ) about 181 km east."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.checks.services import check_start
from incidents.selectors import (
    incident_hazards,
    incident_impacted,
    incidents_crisis_summary,
    incidents_for_trip,
)
from tests.factories import IncidentFactory, country, employee, manager, trip_with_stops
from tests.incidents.helpers import day

pytestmark = pytest.mark.django_db

KORDAI = (43.05, 74.72)
BISHKEK = (42.87, 74.59)
CHOLPON_ATA = (42.65, 77.08)
ALMATY = (43.2567, 76.9286)
# Every stop's dates unless a test says otherwise; the incident starts on 10 March.
ARRIVAL, DEPARTURE, ON = day(9), day(12), day(10)


def at(code, point=None, *, purpose, traveller=None, arrival=ARRIVAL, departure=DEPARTURE, **stop):
    located = {}
    if point is not None:
        located = {"latitude": point[0], "longitude": point[1], "location_source": "booking"}
    return trip_with_stops(
        {
            "country": country(code),
            "arrival": arrival,
            "departure": departure,
            **located,
            **stop,
        },
        purpose=purpose,
        **({"traveller": traveller} if traveller else {}),
    )


def kordai_incident(**kwargs):
    defaults = {"latitude": KORDAI[0], "longitude": KORDAI[1], "radius_km": 50}
    return IncidentFactory(**{**defaults, **kwargs})


def rows(incident, on=ON):
    return {
        row.trip.purpose: (row.match, row.distance_km)
        for row in incident_impacted(incident=incident, on=on)
    }


def test_a_radius_touches_a_stop_20_km_away_across_the_border_and_not_one_200_km_away():
    incident = kordai_incident()
    at("KG", BISHKEK, purpose="bishkek")
    at("KG", CHOLPON_ATA, purpose="cholpon-ata")
    at("KZ", ALMATY, purpose="almaty")

    assert rows(incident) == {"bishkek": ("nearby", 22.6)}


def test_a_stop_of_the_incidents_country_without_coordinates_is_possibly_touched():
    incident = kordai_incident()
    at("KZ", purpose="unlocated in KZ", place_text="somewhere")
    at("KG", purpose="unlocated in KG", place_text="somewhere")

    assert rows(incident) == {"unlocated in KZ": ("possibly", None)}


def test_an_incident_with_only_a_point_has_no_country_and_still_touches_stops():
    incident = kordai_incident(country=None)
    at("KG", BISHKEK, purpose="bishkek")
    at("KZ", purpose="unlocated")

    assert rows(incident) == {"bishkek": ("nearby", 22.6)}


def test_with_places_and_a_point_a_named_place_wins_over_nearby(kz):
    incident = kordai_incident(places=[kz["almaty"]])
    at("KZ", ALMATY, purpose="almaty", place=kz["almaty"])
    at("KG", BISHKEK, purpose="bishkek")
    at("KZ", ALMATY, purpose="astana place", place=kz["astana"])

    assert rows(incident) == {"almaty": ("place", None), "bishkek": ("nearby", 22.6)}


def test_the_impacted_list_of_a_point_incident_takes_a_fixed_number_of_queries():
    incident = kordai_incident()
    at("KG", BISHKEK, purpose="one")
    with CaptureQueriesContext(connection) as few:
        incident_impacted(incident=incident, on=day(10))
    for n in range(5):
        at("KG", BISHKEK, purpose=f"more {n}")
        at("KZ", purpose=f"unlocated {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(incident_impacted(incident=incident, on=day(10))) == 11
    assert len(many) == len(few)


def test_the_impacted_api_says_nearby_with_the_distance():
    incident = kordai_incident()
    at("KG", BISHKEK, purpose="bishkek")
    from tests.factories import api_as

    body = api_as(manager()).get(f"/api/incidents/{incident.pk}/impacted/?on=2027-03-10").json()
    [row] = body["results"] if isinstance(body, dict) and "results" in body else body
    assert (row["match"], row["distance_km"]) == ("nearby", 22.6)


def test_the_assessment_hazards_take_the_nearby_rule():
    incident = kordai_incident(severity="critical")
    trip = at("KG", BISHKEK, purpose="bishkek", arrival=day(11), departure=day(14))
    far = at("KG", CHOLPON_ATA, purpose="far", arrival=day(11), departure=day(14))

    [hazard] = incident_hazards(list(trip.stops.all()), day(10))
    assert (hazard.id, [touch.match for touch in hazard.touches]) == (incident.pk, ["nearby"])
    assert incident_hazards(list(far.stops.all()), day(10)) == []
    [touching] = incidents_for_trip(trip=trip, today=day(10))
    assert touching.match == "nearby"


def test_a_safety_check_asks_the_travellers_within_the_radius(settings):
    from django.utils import timezone

    today = timezone.localdate()
    incident = kordai_incident(starts_on=today)
    near, far = employee(username="near"), employee(username="far")
    import datetime as dt

    for user, point in ((near, BISHKEK), (far, CHOLPON_ATA)):
        at(
            "KG",
            point,
            purpose=user.username,
            traveller=user,
            arrival=today,
            departure=today + dt.timedelta(days=2),
        )

    check = check_start(incident=incident, by=manager())

    assert [(r.traveller.username, r.match) for r in check.recipients.all()] == [("near", "nearby")]
    [row] = incidents_crisis_summary()
    assert (row.incident, row.there) == (incident, 1)


# --- declaring one ------------------------------------------------------------------------


def point_body(**overrides):
    body = {
        "title": "Flooding near Kordai",
        "severity": "warning",
        "category": "natural_hazards",
        "latitude": KORDAI[0],
        "longitude": KORDAI[1],
        "radius_km": 50,
        "starts_on": "2027-03-10",
    }
    return {key: value for key, value in {**body, **overrides}.items() if value is not ...}


def test_an_incident_with_a_point_and_a_radius_needs_no_country():
    from tests.factories import api_as

    response = api_as(manager()).post("/api/incidents/", point_body(), format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["country"], data["latitude"], data["longitude"], data["radius_km"]) == (
        None,
        43.05,
        74.72,
        50.0,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"radius_km": ...}, "radius_km"),
        ({"latitude": ..., "longitude": ...}, "latitude"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": -181}, "longitude"),
        ({"radius_km": 0.5}, "radius_km"),
        ({"radius_km": 2001}, "radius_km"),
        ({"latitude": ..., "longitude": ..., "radius_km": ...}, "country"),
        ({"places": ["Almaty"]}, "places"),
    ],
)
def test_a_bad_point_is_a_400_naming_the_field_and_writes_nothing(overrides, field):
    from incidents.models import Incident
    from tests.factories import api_as

    response = api_as(manager()).post("/api/incidents/", point_body(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Incident.objects.exists()


def test_the_form_takes_a_point_and_a_radius_without_a_country():
    from incidents.models import Incident
    from tests.factories import logged_in

    response = logged_in(manager()).post(
        "/incidents/new/",
        {
            "title": "Flooding",
            "severity": "warning",
            "category": "natural_hazards",
            "country": "",
            "latitude": "43.05",
            "longitude": "74.72",
            "radius_km": "",
            "starts_on": "2027-03-10",
            "lookahead_days": "3",
        },
    )

    assert response.status_code == 200
    assert "Give a radius" in response.content.decode()
    assert not Incident.objects.exists()


def test_the_pages_of_an_incident_with_only_a_point_say_where_it_is():
    from tests.factories import logged_in

    incident = kordai_incident(country=None, title="Flood at Kordai")
    at("KG", BISHKEK, purpose="bishkek")
    client = logged_in(manager())

    detail = client.get(f"/incidents/{incident.pk}/?on=2027-03-10")
    listing = client.get("/incidents/")

    assert detail.status_code == listing.status_code == 200
    assert "within 50 km of 43.0500, 74.7200" in detail.content.decode()
    assert "within 50 km of 43.0500, 74.7200" in listing.content.decode()


def test_the_import_command_takes_an_incident_with_a_point_and_no_country(tmp_path):
    import json

    from django.core.management import call_command

    from incidents.models import Incident

    path = tmp_path / "incidents.json"
    path.write_text(json.dumps([point_body(source="feed", external_id="ev-1")]))

    call_command("import_incidents", str(path))

    incident = Incident.objects.get(external_id="ev-1")
    assert (incident.country_id, incident.radius_km) == (None, 50)


def test_the_alert_of_an_incident_with_only_a_point_says_where_it_is(mailoutbox):
    from incidents.services import incident_alert_arriving

    incident = kordai_incident(country=None, title="Flood at Kordai")
    at("KG", BISHKEK, purpose="bishkek", arrival=day(12), departure=day(14))

    incident_alert_arriving(incident_id=incident.pk, on=day(10))

    [message] = mailoutbox
    assert "the area within 50 km of 43.05, 74.72" in message.body
