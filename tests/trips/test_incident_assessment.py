"""Open incidents are part of every assessment (product.md, "Assessment": its ``incidents``):
the stored one, the API, the preview and the trip page; declaring, changing or closing one
re-assesses the upcoming trips it touches, before and after the change (issue 22).

The catalogue is tests.trips.helpers.TEST_PACK: Mongolia (MN) at level 2, with Old Harbour and
Hill Town."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisories.models import Place
from core.models import OutboxMessage
from incidents.models import Incident
from tests.factories import IncidentFactory, api_as, country, employee, logged_in, manager
from tests.trips.helpers import d, file_trip, post_trip, stop
from trips import selectors, services
from trips.models import Trip, TripStatus

pytestmark = pytest.mark.django_db


def harbour() -> Place:
    return Place.objects.get(country_id="MN", name="Old Harbour")


def declare(client=None, **fields) -> dict:
    """An incident declared through POST /api/incidents/ (critical, in Old Harbour, since five
    days ago, open), its re-assessments run as they would after the commit."""
    body = {
        "title": "Earthquake in Old Harbour",
        "summary": "Aftershocks expected.",
        "severity": "critical",
        "category": "natural_hazards",
        "country": "MN",
        "places": ["Old Harbour"],
        "starts_on": d(-5).isoformat(),
        **fields,
    }
    response = (client or api_as(manager())).post("/api/incidents/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_trip_filed_into_an_open_critical_incident_is_level_4_and_waits_for_a_decision(
    catalogue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare()
    traveller = employee()
    trip = post_trip(traveller, stop(arrival=1, departure=3))
    submitted = api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")

    assert submitted.json()["status"] == "pending_approval"
    assessment = api_as(traveller).get(f"/api/trips/{trip['id']}/assessment/").json()
    assert assessment["risk_level"] == 4 and assessment["requires_approval"] is True
    assert assessment["incidents"] == [
        {
            "id": incident["id"],
            "title": "Earthquake in Old Harbour",
            "severity": "critical",
            "starts_on": d(-5).isoformat(),
            "ends_on": None,
            "match": "place",
            "where": ["Old Harbour"],
        }
    ]
    assert "Critical incident: Earthquake in Old Harbour" in assessment["approval_reasons"][0]
    assert any(
        line.startswith("Earthquake in Old Harbour, critical, since")
        for line in assessment["explanation"]
    )


def test_a_warning_is_listed_but_the_trip_is_approved_automatically_at_its_own_level(catalogue):
    IncidentFactory(
        title="Strike at the port", country=country("MN"), places=[harbour()], starts_on=d(-30)
    )
    trip = file_trip(employee(), start=20)

    assert trip.status == TripStatus.APPROVED
    assessment = trip.assessments.first()
    assert assessment.risk_level == 2
    assert [(i["title"], i["severity"]) for i in assessment.incidents] == [
        ("Strike at the port", "warning")
    ]


def test_an_incident_elsewhere_info_or_closed_is_not_part_of_the_assessment(catalogue):
    hill_town = Place.objects.get(country_id="MN", name="Hill Town")
    IncidentFactory(title="Hill fire", country=country("MN"), places=[hill_town], starts_on=d(-1))
    IncidentFactory(title="Notice", severity="info", country=country("MN"), starts_on=d(-1))
    IncidentFactory(
        title="Over", severity="critical", country=country("MN"), starts_on=d(-9), ends_on=d(-2)
    )
    IncidentFactory(title="Kazakh storm", severity="critical", starts_on=d(-1))
    trip = file_trip(employee(), start=1)

    assert trip.status == TripStatus.APPROVED
    assert trip.assessments.first().incidents == []


def test_declaring_a_critical_incident_sends_an_approved_trip_back_and_closing_it_approves_it(
    catalogue, django_capture_on_commit_callbacks
):
    trip = file_trip(employee(), start=1)
    assert trip.status == TripStatus.APPROVED

    with django_capture_on_commit_callbacks(execute=True):
        incident = declare()
    trip.refresh_from_db()
    assert (trip.status, trip.risk_level) == (TripStatus.PENDING_APPROVAL, 4)
    assert trip.assessments.count() == 2
    assert trip.transitions.last().comment == (
        "Re-assessed: Critical incident: Earthquake in Old Harbour"
    )

    # Closed: an end date in the past (PATCH, contracts.md), beyond its lookahead.
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(manager()).patch(
            f"/api/incidents/{incident['id']}/",
            {"ends_on": d(-4).isoformat(), "lookahead_days": 0},
            format="json",
        )
    assert response.status_code == 200, response.json()
    trip.refresh_from_db()
    assert (trip.status, trip.risk_level) == (TripStatus.APPROVED, 2)
    assert trip.assessments.count() == 3
    assert trip.assessments.first().incidents == []


def test_a_trip_the_incident_no_longer_touches_is_reassessed_too(
    catalogue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(severity="warning")
    trip = file_trip(employee(), start=2)
    assert trip.assessments.first().incidents != []

    with django_capture_on_commit_callbacks(execute=True):
        api_as(manager()).patch(
            f"/api/incidents/{incident['id']}/", {"places": ["Hill Town"]}, format="json"
        )
    assert trip.assessments.count() == 2
    assert trip.assessments.first().incidents == []


def test_a_manager_approved_trip_needs_a_new_decision_for_a_critical_incident_declared_after(
    catalogue, django_capture_on_commit_callbacks
):
    # Sealed Valley is a closed area: a manager approved the trip before the incident.
    trip = file_trip(employee(), place="Sealed Valley", start=3)
    with django_capture_on_commit_callbacks(execute=True):
        api_as(manager()).post(f"/api/trips/{trip.pk}/approve/", {}, format="json")
    trip.refresh_from_db()
    assert trip.status == TripStatus.APPROVED

    with django_capture_on_commit_callbacks(execute=True):
        declare(places=[])  # the whole country
    trip.refresh_from_db()
    assert trip.status == TripStatus.PENDING_APPROVAL


def test_an_info_incident_reassesses_nobody(catalogue, django_capture_on_commit_callbacks):
    file_trip(employee(), start=1)
    with django_capture_on_commit_callbacks(execute=True):
        declare(severity="info")
    assert not OutboxMessage.objects.filter(task="trips.tasks.reassess_trips").exists()


def test_a_second_delivery_of_the_reassessment_rebriefs_nobody(
    catalogue, django_capture_on_commit_callbacks
):
    trip = file_trip(employee(), start=1)
    with django_capture_on_commit_callbacks(execute=True):
        declare(severity="warning")
    assert trip.assessments.count() == 2
    reason = "Warning incident: Earthquake in Old Harbour"
    assert services.trips_reassess(trip_ids=[trip.pk], reason=reason) == 0
    assert trip.assessments.count() == 2


def test_drafts_and_past_trips_are_not_reassessed(catalogue, django_capture_on_commit_callbacks):
    draft = file_trip(employee(), start=1, submit=False)
    with django_capture_on_commit_callbacks(execute=True):
        declare()
    assert draft.assessments.count() == 0
    assert Trip.objects.get(pk=draft.pk).status == TripStatus.DRAFT


def test_the_preview_shows_the_incident_the_raised_level_and_the_approval(catalogue):
    IncidentFactory(
        title="Earthquake in Old Harbour",
        severity="critical",
        country=country("MN"),
        places=[harbour()],
        starts_on=d(-5),
    )
    body = {"purpose": "Visit", "stops": [stop(arrival=1, departure=3)]}
    result = api_as(employee()).post("/api/trips/preview/", body, format="json").json()

    assert (result["risk_level"], result["requires_approval"]) == (4, True)
    [incident] = result["incidents"]
    assert (incident["title"], incident["severity"], incident["severity_label"]) == (
        "Earthquake in Old Harbour",
        "critical",
        "Critical",
    )
    assert not Trip.objects.exists()


def test_a_drafts_preview_and_the_trip_page_name_the_incident(
    catalogue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        declare()
    traveller = employee()
    draft = file_trip(traveller, start=1, submit=False)
    page = logged_in(traveller).get(f"/trips/{draft.pk}/").content.decode()
    assert "Open incidents where this trip goes" in page and "Earthquake in Old Harbour" in page

    services.trip_submit(trip=draft, by=traveller)
    page = logged_in(traveller).get(f"/trips/{draft.pk}/").content.decode()
    risk_card = page[page.index('id="risk-title"') :]
    assert "Open incidents where this trip goes" in risk_card
    assert "Earthquake in Old Harbour" in risk_card
    assert "Critical: the trip is at least level 4" in risk_card
    assert "Awaiting approval" in page


def test_assessing_runs_the_same_queries_whatever_the_number_of_incidents(catalogue):
    trip = file_trip(employee(), start=1, submit=False)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            selectors.trip_assess(Trip.objects.get(pk=trip.pk))
        return len(captured)

    IncidentFactory(country=country("MN"), places=[harbour()], starts_on=d(-1))
    one = queries()
    for _ in range(5):
        IncidentFactory(country=country("MN"), places=[harbour()], starts_on=d(-1))
    assert queries() == one
    assert len(selectors.trip_assess(trip).incidents) == 6
    assert Incident.objects.count() == 6


def admin_form(**overrides) -> dict:
    return {
        "title": "Earthquake in Old Harbour",
        "summary": "",
        "severity": "critical",
        "category": "natural_hazards",
        "country": "MN",
        "places": [harbour().pk],
        "starts_on": d(-5).isoformat(),
        "ends_on": "",
        "lookahead_days": "3",
        "source": "",
        "external_id": "",
        **overrides,
    }


def test_an_incident_raised_to_critical_in_the_admin_reassesses_the_trip(
    catalogue, django_capture_on_commit_callbacks
):
    incident = IncidentFactory(
        title="Earthquake in Old Harbour",
        country=country("MN"),
        places=[harbour()],
        starts_on=d(-5),
    )
    trip = file_trip(employee(), start=1)
    assert trip.status == TripStatus.APPROVED
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(manager()).post(
            f"/admin/incidents/incident/{incident.pk}/change/", admin_form()
        )
    assert response.status_code == 302
    trip.refresh_from_db()
    assert (trip.status, trip.risk_level) == (TripStatus.PENDING_APPROVAL, 4)


def test_an_incident_deleted_in_the_admin_leaves_the_trips_it_touched(
    catalogue, django_capture_on_commit_callbacks
):
    incident = IncidentFactory(
        title="Earthquake in Old Harbour",
        severity="critical",
        country=country("MN"),
        places=[harbour()],
        starts_on=d(-5),
    )
    trip = file_trip(employee(), start=1)
    assert trip.status == TripStatus.PENDING_APPROVAL
    # Deleting is the superuser's (managers close incidents instead).
    superuser = manager(is_superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(superuser).post(
            f"/admin/incidents/incident/{incident.pk}/delete/", {"post": "yes"}
        )
    assert response.status_code == 302
    trip.refresh_from_db()
    assert (trip.status, trip.risk_level) == (TripStatus.APPROVED, 2)
    assert trip.assessments.first().incidents == []
