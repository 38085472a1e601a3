"""Incidents in the Django admin: managers and content admins search, filter and change them;
every change is audited; a place of another country is refused."""

from __future__ import annotations

import pytest

from core.models import AuditEntry
from incidents.models import Incident
from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    content_admin,
    country,
    employee,
    logged_in,
    manager,
)

pytestmark = pytest.mark.django_db


def admin_form(**overrides):
    return {
        "title": "Explosion near the Green Bazaar",
        "summary": "",
        "severity": "critical",
        "category": "terrorism",
        "country": "KZ",
        "starts_on": "2027-03-10",
        "ends_on": "",
        "lookahead_days": "3",
        "source": "",
        "external_id": "",
        **overrides,
    }


@pytest.mark.parametrize("make_user", [manager, content_admin])
def test_managers_and_content_admins_add_incidents_in_the_admin_and_it_is_audited(kz, make_user):
    user = make_user()
    response = logged_in(user).post(
        "/admin/incidents/incident/add/", admin_form(places=[kz["almaty"].pk])
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get()
    assert incident.created_by == user
    entry = AuditEntry.objects.get(action="incident.declared", object_id=str(incident.pk))
    assert entry.actor == user
    assert entry.details["via"] == "admin"
    assert entry.details["places"] == ["Almaty"]


def test_a_change_in_the_admin_is_audited_with_the_fields_changed(kz):
    incident = IncidentFactory(places=[kz["almaty"]])
    response = logged_in(manager()).post(
        f"/admin/incidents/incident/{incident.pk}/change/",
        admin_form(title=incident.title, places=[kz["almaty"].pk], severity="critical"),
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="incident.updated")
    assert "severity" in entry.details["changed"]


def test_a_place_of_another_country_is_refused_in_the_admin(kz):
    tashkent = PlaceFactory(country=country("UZ"), name="Tashkent")
    response = logged_in(manager()).post(
        "/admin/incidents/incident/add/", admin_form(places=[tashkent.pk])
    )
    assert response.status_code == 200
    assert "Not in Kazakhstan: Tashkent." in response.content.decode()
    assert not Incident.objects.exists()


def test_the_admin_list_searches_and_filters(kz):
    IncidentFactory(title="Flood in Atyrau", severity="info")
    IncidentFactory(title="Blast in Almaty", severity="critical")
    client = logged_in(manager())
    page = client.get("/admin/incidents/incident/?q=flood").content.decode()
    assert "Flood in Atyrau" in page and "Blast in Almaty" not in page
    page = client.get("/admin/incidents/incident/?severity__exact=critical").content.decode()
    assert "Blast in Almaty" in page and "Flood in Atyrau" not in page


def test_employees_cannot_reach_the_incidents_admin(kz):
    assert logged_in(employee()).get("/admin/incidents/incident/").status_code == 403
