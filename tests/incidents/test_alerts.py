"""Travellers arriving into an incident get one alert e-mail, again only when its severity
rises; those already there are left to the safety check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from incidents.services import incident_alert_arriving
from tests.factories import IncidentFactory, api_as, country, employee, manager, trip_with_stops
from tests.incidents.helpers import day

pytestmark = pytest.mark.django_db


@pytest.fixture
def travellers(kz):
    arriving = employee(username="arriving")
    there = employee(username="there")
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(12), "departure": day(14)},
        purpose="Customer visit",
        traveller=arriving,
    )
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(9), "departure": day(12)},
        traveller=there,
    )
    return arriving, there


def test_an_arriving_traveller_is_alerted_once(kz, travellers):
    incident = IncidentFactory(places=[kz["almaty"]])
    assert incident_alert_arriving(incident_id=incident.pk, on=day(10)) == 1
    assert incident_alert_arriving(incident_id=incident.pk, on=day(10)) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["arriving@example.com"]
    assert incident.title in message.subject
    assert "Customer visit" in message.body


def test_a_rise_in_severity_alerts_again_and_a_fall_does_not(kz, travellers):
    incident = IncidentFactory(places=[kz["almaty"]], severity="warning")
    incident_alert_arriving(incident_id=incident.pk, on=day(10))
    incident.severity = "info"
    incident.save()
    assert incident_alert_arriving(incident_id=incident.pk, on=day(10)) == 0
    incident.severity = "critical"
    incident.save()
    assert incident_alert_arriving(incident_id=incident.pk, on=day(10)) == 1
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject.startswith("Critical:")


def test_a_closed_incident_alerts_nobody(kz, travellers):
    past = dt.date.today() - dt.timedelta(days=30)
    incident = IncidentFactory(places=[kz["almaty"]], starts_on=past, ends_on=past)
    assert incident_alert_arriving(incident_id=incident.pk) == 0
    assert mail.outbox == []


def test_declaring_through_the_api_alerts_the_arriving_once_committed(
    kz, travellers, django_capture_on_commit_callbacks
):
    # Today is before both trips: as of today both travellers are arriving.
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(manager()).post(
            "/api/incidents/",
            {
                "title": "Blast",
                "severity": "warning",
                "category": "terrorism",
                "country": "KZ",
                "places": ["Almaty"],
                "starts_on": "2027-03-10",
            },
            format="json",
        )
    assert response.status_code == 201
    # (The trips it touches are re-assessed too: those e-mails are not alerts.)
    alerts = [message for message in mail.outbox if "where you are going" in message.subject]
    assert sorted(message.to[0] for message in alerts) == [
        "arriving@example.com",
        "there@example.com",
    ]
