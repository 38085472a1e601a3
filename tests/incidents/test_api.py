"""The incidents API (contracts.md): declaring, the feed's upsert by external id, validation,
who may do what, and the impacted list."""

from __future__ import annotations

import datetime as dt

import pytest

from core.models import AuditEntry
from incidents.models import Incident
from tests.factories import (
    IncidentFactory,
    api_as,
    content_admin,
    country,
    employee,
    manager,
    trip_with_stops,
)
from tests.incidents.helpers import day

pytestmark = pytest.mark.django_db


def body(**overrides):
    return {
        "title": "Explosion near the Green Bazaar",
        "summary": "Police have **closed** the area.",
        "severity": "warning",
        "category": "terrorism",
        "country": "KZ",
        "places": ["Almaty"],
        "starts_on": "2027-03-10",
        **overrides,
    }


def test_a_manager_declares_an_incident(kz):
    response = api_as(manager()).post("/api/incidents/", body(), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["places"] == ["Almaty"]
    assert data["lookahead_days"] == 3
    assert data["ends_on"] is None and data["open"] is True
    incident = Incident.objects.get()
    assert incident.title == "Explosion near the Green Bazaar"
    assert AuditEntry.objects.filter(
        action="incident.declared", object_id=str(incident.pk)
    ).exists()


def test_a_content_admin_declares_one_too(kz):
    assert api_as(content_admin()).post("/api/incidents/", body(), format="json").status_code == 201


def test_a_place_alias_names_the_curated_place(kz):
    response = api_as(manager()).post("/api/incidents/", body(places=["алматы"]), format="json")
    assert response.status_code == 201
    assert response.json()["places"] == ["Almaty"]


def test_a_second_post_with_the_same_external_id_updates_and_creates_none(kz):
    client = api_as(manager())
    first = client.post("/api/incidents/", body(source="feed", external_id="ev-1"), format="json")
    assert first.status_code == 201
    again = client.post(
        "/api/incidents/",
        body(source="feed", external_id="ev-1", severity="critical", title="Second blast"),
        format="json",
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Incident.objects.count() == 1
    incident = Incident.objects.get()
    assert (incident.severity, incident.title) == ("critical", "Second blast")
    entry = AuditEntry.objects.get(action="incident.updated")
    assert entry.details["changed"] == ["severity", "title"]


def test_the_same_external_id_from_another_source_is_another_incident(kz):
    client = api_as(manager())
    client.post("/api/incidents/", body(source="feed-a", external_id="1"), format="json")
    response = client.post("/api/incidents/", body(source="feed-b", external_id="1"), format="json")
    assert response.status_code == 201
    assert Incident.objects.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"places": ["Atlantis"]}, "places"),
        ({"ends_on": "2027-03-09"}, "ends_on"),
        ({"lookahead_days": 31}, "lookahead_days"),
        ({"lookahead_days": -1}, "lookahead_days"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"category": "aliens"}, "category"),
        ({"starts_on": "10/03/2027"}, "starts_on"),
        ({"title": ""}, "title"),
        ({"places": "Almaty"}, "places"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(kz, overrides, field):
    response = api_as(manager()).post("/api/incidents/", body(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not Incident.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="incident.").exists()


def test_a_body_that_is_not_an_object_is_a_400(kz):
    response = api_as(manager()).post("/api/incidents/", [1, 2], format="json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_a_place_of_another_country_is_refused(kz):
    response = api_as(manager()).post("/api/incidents/", body(country="UZ"), format="json")
    assert response.status_code == 400
    assert "Uzbekistan" in response.json()["places"][0]


def test_patch_with_an_end_date_closes_an_incident_and_keeps_the_other_fields(kz):
    today = dt.date.today()
    incident = IncidentFactory(places=[kz["almaty"]], starts_on=today - dt.timedelta(days=10))
    # Ended today: closed from now on (a date still to come keeps it open until then).
    response = api_as(manager()).patch(
        f"/api/incidents/{incident.pk}/", {"ends_on": today.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["open"] is False
    incident.refresh_from_db()
    assert incident.ends_on == today
    assert [place.name for place in incident.places.all()] == ["Almaty"]


def test_patch_validates_like_create(kz):
    incident = IncidentFactory()
    response = api_as(manager()).patch(
        f"/api/incidents/{incident.pk}/", {"ends_on": "2027-03-01"}, format="json"
    )
    assert response.status_code == 400
    assert "ends_on" in response.json()
    incident.refresh_from_db()
    assert incident.ends_on is None


def test_employees_may_not_read_or_declare_incidents(kz):
    incident = IncidentFactory()
    client = api_as(employee())
    assert client.get("/api/incidents/").status_code == 403
    assert client.get(f"/api/incidents/{incident.pk}/").status_code == 403
    assert client.post("/api/incidents/", body(), format="json").status_code == 403
    assert (
        client.patch(f"/api/incidents/{incident.pk}/", {"title": "x"}, format="json").status_code
        == 403
    )
    assert client.get(f"/api/incidents/{incident.pk}/impacted/").status_code == 403
    assert Incident.objects.count() == 1


def test_anonymous_requests_are_401(api, kz):
    assert api.get("/api/incidents/").status_code == 401


def test_the_impacted_list_is_for_managers(kz):
    incident = IncidentFactory(places=[kz["almaty"]])
    assert api_as(content_admin()).get(f"/api/incidents/{incident.pk}/impacted/").status_code == 403


def test_an_unknown_incident_is_a_404(kz):
    assert api_as(manager()).get("/api/incidents/999/").status_code == 404


def test_the_impacted_list_has_the_contract_shape(kz):
    incident = IncidentFactory(places=[kz["almaty"]])
    erin = employee(username="erin")
    erin.profile.phone = "+7 700 000 0000"
    erin.profile.save()
    trip = trip_with_stops(
        {
            "country": country("KZ"),
            "place": None,
            "place_text": "Shymbulak",
            "arrival": day(9),
            "departure": day(11),
            "transit": True,
        },
        traveller=erin,
    )
    response = api_as(manager()).get(f"/api/incidents/{incident.pk}/impacted/?on=2027-03-10")
    assert response.status_code == 200
    data = response.json()
    assert data["counts"] == {"there": 1, "arriving": 0, "left": 0}
    assert data["results"] == [
        {
            "traveller": "erin",
            "traveller_name": "erin",
            "email": "erin@example.com",
            "trip": trip.pk,
            "trip_status": "approved",
            "stop": {
                "country": "KZ",
                "place": "Shymbulak",
                "place_matched": False,
                "arrival": "2027-03-09",
                "departure": "2027-03-11",
                "transit": True,
                "latitude": None,
                "longitude": None,
            },
            "presence": "there",
            "match": "possibly",
            "distance_km": None,
            "phone": "+7 700 000 0000",
            "emergency_contact": "",
            "check_status": None,
        }
    ]


def test_a_bad_on_date_is_a_400(kz):
    incident = IncidentFactory()
    response = api_as(manager()).get(f"/api/incidents/{incident.pk}/impacted/?on=tomorrow")
    assert response.status_code == 400
    assert "on" in response.json()


def test_the_list_searches_and_pages(kz):
    IncidentFactory(title="Flood in Atyrau")
    IncidentFactory(title="Protest in Almaty")
    data = api_as(manager()).get("/api/incidents/?search=flood").json()
    assert [row["title"] for row in data["results"]] == ["Flood in Atyrau"]
    assert data["count"] == 1
