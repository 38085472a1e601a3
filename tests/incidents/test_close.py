"""Closing an incident (issue 22): the button on its page and POST /api/incidents/{id}/close/
share one service: the end date is set, the open safety check closes, and everyone the
incident alerted or asked gets one all-clear e-mail, however often the task runs."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry
from incidents import services
from incidents.checks.services import check_start
from incidents.models import Incident, IncidentAllClear, SafetyCheck
from tests.factories import (
    IncidentFactory,
    api_as,
    content_admin,
    country,
    employee,
    logged_in,
    manager,
    trip_with_stops,
)

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def stay(traveller, *, place, start: int, end: int):
    return trip_with_stops(
        {"country": country("KZ"), "place": place, "arrival": days(start), "departure": days(end)},
        traveller=traveller,
    )


def all_clears() -> list:
    return [message for message in mail.outbox if message.subject.startswith("All clear")]


@pytest.fixture
def crisis(kz, django_capture_on_commit_callbacks):
    """An incident in Almaty since two days ago: Tara there (asked by the open check), Ari
    arriving (alerted), Tom both alerted earlier and asked now, Ed in Astana (neither)."""
    incident = IncidentFactory(
        title="Earthquake in Almaty", places=[kz["almaty"]], starts_on=days(-2)
    )
    tara = employee(username="tara", first_name="Tara")
    stay(tara, place=kz["almaty"], start=-1, end=3)
    ari = employee(username="ari", first_name="Ari")
    stay(ari, place=kz["almaty"], start=1, end=6)
    tom = employee(username="tom", first_name="Tom")
    stay(tom, place=kz["almaty"], start=-1, end=4)
    ed = employee(username="ed")
    stay(ed, place=kz["astana"], start=-1, end=3)
    boss = manager(username="morgan")
    with django_capture_on_commit_callbacks(execute=True):
        # Tom was alerted two days ago, when he was still arriving.
        services.incident_alert_arriving(incident_id=incident.pk, on=days(-2))
        services.incident_alert_arriving(incident_id=incident.pk)
        check = check_start(incident=incident, by=boss)
    mail.outbox.clear()
    return SimpleNamespace(incident=incident, check=check, boss=boss, tara=tara, ari=ari, tom=tom)


def close_url(incident) -> str:
    return f"/api/incidents/{incident.pk}/close/"


def test_a_manager_closes_an_incident_and_everyone_alerted_or_asked_gets_one_all_clear(
    crisis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(crisis.boss).post(close_url(crisis.incident), {}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["ends_on"] == timezone.localdate().isoformat()
    assert response.json()["open"] is False
    crisis.incident.refresh_from_db()
    assert crisis.incident.ends_on == timezone.localdate() and not crisis.incident.is_open
    assert sorted(message.to[0] for message in all_clears()) == [
        "ari@example.com",
        "tara@example.com",
        "tom@example.com",
    ]
    to_tara = next(m for m in all_clears() if m.to == ["tara@example.com"])
    assert "Earthquake in Almaty" in to_tara.subject
    assert "The safety check that asked whether you were OK is closed" in to_tara.body
    to_ari = next(m for m in all_clears() if m.to == ["ari@example.com"])
    assert "safety check" not in to_ari.body
    assert "is over, as of" in to_ari.body


def test_closing_closes_the_open_safety_check(crisis, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_as(crisis.boss).post(close_url(crisis.incident), {}, format="json")

    check = SafetyCheck.objects.get(pk=crisis.check.pk)
    assert check.status == "closed" and check.closed_by == crisis.boss
    entry = AuditEntry.objects.get(action="check.closed")
    assert entry.details["with_incident"] is True


def test_closing_is_audited_with_who_and_the_end_date(crisis, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_as(crisis.boss).post(
            close_url(crisis.incident), {"ends_on": days(-1).isoformat()}, format="json"
        )

    entry = AuditEntry.objects.get(action="incident.closed")
    assert entry.actor == crisis.boss
    assert entry.object_id == str(crisis.incident.pk)
    assert entry.details["ends_on"] == days(-1).isoformat()
    assert entry.details["changed"] == ["ends_on"]
    sent = AuditEntry.objects.filter(action="incident.all_clear_sent")
    assert sorted(e.details["traveller"] for e in sent) == ["ari", "tara", "tom"]


def test_a_content_admin_closes_one_too_and_its_check_with_it(
    crisis, django_capture_on_commit_callbacks
):
    editor = content_admin()
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(editor).post(close_url(crisis.incident), {}, format="json")

    assert response.status_code == 200, response.content
    assert SafetyCheck.objects.get(pk=crisis.check.pk).closed_by == editor
    assert len(all_clears()) == 3


@pytest.mark.parametrize("who", [employee, lambda: employee(is_staff=True)])
def test_an_employee_may_not_close_an_incident(crisis, who):
    response = api_as(who()).post(close_url(crisis.incident), {}, format="json")

    assert response.status_code in (403, 404)
    crisis.incident.refresh_from_db()
    assert crisis.incident.ends_on is None
    assert SafetyCheck.objects.get(pk=crisis.check.pk).status == "open"


def test_closing_twice_is_a_409_and_sends_nothing_twice(crisis, django_capture_on_commit_callbacks):
    client = api_as(crisis.boss)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(close_url(crisis.incident), {}, format="json").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(close_url(crisis.incident), {}, format="json")

    assert again.status_code == 409
    assert again.json() == {"detail": "This incident is already closed."}
    assert len(all_clears()) == 3
    assert AuditEntry.objects.filter(action="incident.closed").count() == 1


def test_the_all_clear_task_run_again_e_mails_nobody_twice(
    crisis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api_as(crisis.boss).post(close_url(crisis.incident), {}, format="json")

    assert services.incident_all_clear_send(incident_id=crisis.incident.pk) == 0
    assert len(all_clears()) == 3
    assert IncidentAllClear.objects.filter(incident=crisis.incident).count() == 3


def test_an_end_before_the_start_is_a_field_error_and_changes_nothing(
    crisis, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(crisis.boss).post(
            close_url(crisis.incident), {"ends_on": days(-3).isoformat()}, format="json"
        )

    assert response.status_code == 400
    assert list(response.json()) == ["ends_on"]
    assert "cannot end before" in response.json()["ends_on"][0]
    crisis.incident.refresh_from_db()
    assert crisis.incident.ends_on is None
    assert SafetyCheck.objects.get(pk=crisis.check.pk).status == "open"
    assert all_clears() == []


@pytest.mark.parametrize("ends_on", ["tomorrow", "2027-02-30", 12])
def test_an_end_in_the_future_or_not_a_date_is_a_field_error(crisis, ends_on):
    value = days(1).isoformat() if ends_on == "tomorrow" else ends_on
    response = api_as(crisis.boss).post(
        close_url(crisis.incident), {"ends_on": value}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["ends_on"]
    assert Incident.objects.get(pk=crisis.incident.pk).ends_on is None


def test_an_incident_announced_to_end_next_week_can_be_closed_today(
    kz, django_capture_on_commit_callbacks
):
    incident = IncidentFactory(places=[kz["almaty"]], starts_on=days(-1), ends_on=days(7))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(manager()).post(close_url(incident), {}, format="json")

    assert response.status_code == 200
    assert response.json()["ends_on"] == timezone.localdate().isoformat()


def test_closing_an_incident_without_a_check_sends_the_alerted_their_all_clear(
    kz, django_capture_on_commit_callbacks
):
    incident = IncidentFactory(places=[kz["almaty"]], starts_on=days(-1))
    stay(employee(username="ari"), place=kz["almaty"], start=1, end=5)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_alert_arriving(incident_id=incident.pk)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(manager()).post(close_url(incident), {}, format="json")

    assert response.status_code == 200
    assert [message.to for message in all_clears()] == [["ari@example.com"]]


# --- the page ------------------------------------------------------------------------------


def test_the_page_of_an_open_incident_offers_to_close_it(crisis):
    page = logged_in(crisis.boss).get(reverse("incident-detail", args=[crisis.incident.pk]))

    html = page.content.decode()
    assert "Close the incident" in html
    assert 'data-confirm="Close' in html
    assert f'value="{timezone.localdate().isoformat()}"' in html


def test_the_button_closes_it_and_the_page_says_it_is_closed_with_no_check_start(
    crisis, django_capture_on_commit_callbacks
):
    client = logged_in(crisis.boss)
    with django_capture_on_commit_callbacks(execute=True):
        closing = client.post(
            reverse("incident-close", args=[crisis.incident.pk]),
            {"ends_on": timezone.localdate().isoformat()},
        )
    response = client.get(closing["Location"])

    assert response.status_code == 200
    html = response.content.decode()
    assert "The incident is closed: an open safety check closed with it" in html
    assert "This incident is closed: it ended on" in html
    assert "3 travellers it alerted or asked have been sent the all-clear." in html
    assert "Start a safety check" not in html
    assert ">Close the incident</button>" not in html
    assert len(all_clears()) == 3


def test_the_button_on_a_closed_incident_says_so(crisis, django_capture_on_commit_callbacks):
    client = logged_in(crisis.boss)
    url = reverse("incident-close", args=[crisis.incident.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {})
        response = client.post(url, {}, follow=True)

    assert "This incident is already closed." in response.content.decode()
    assert len(all_clears()) == 3


def test_a_bad_end_date_on_the_page_is_a_form_error(crisis):
    response = logged_in(crisis.boss).post(
        reverse("incident-close", args=[crisis.incident.pk]), {"ends_on": days(-5).isoformat()}
    )

    assert response.status_code == 400
    assert "it cannot end before." in response.content.decode()
    crisis.incident.refresh_from_db()
    assert crisis.incident.ends_on is None


def test_a_content_admin_closes_from_the_page(crisis, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(content_admin()).post(
            reverse("incident-close", args=[crisis.incident.pk]), {}
        )

    assert response.status_code == 302
    assert not Incident.objects.get(pk=crisis.incident.pk).is_open


def test_an_employee_gets_a_403_from_the_button(crisis):
    response = logged_in(employee()).post(reverse("incident-close", args=[crisis.incident.pk]), {})

    assert response.status_code == 403
    assert Incident.objects.get(pk=crisis.incident.pk).is_open


def test_the_button_only_answers_a_post(crisis):
    response = logged_in(crisis.boss).get(reverse("incident-close", args=[crisis.incident.pk]))

    assert response.status_code == 405


def test_no_safety_check_starts_on_a_closed_incident(crisis, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api_as(crisis.boss).post(close_url(crisis.incident), {}, format="json")
    mail.outbox.clear()

    response = api_as(crisis.boss).post(
        f"/api/incidents/{crisis.incident.pk}/checks/", {}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "This incident is closed: no safety check can start."}
    assert SafetyCheck.objects.filter(incident=crisis.incident).count() == 1
    assert mail.outbox == []
