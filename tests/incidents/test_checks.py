"""Safety checks ("Are you OK?") with Celery eager: who is asked, the personal link, the
portal and the API, cycles and escalation driven by the tick with a given clock, the
managers' alerts, idempotent sends, the panel, CSV, close and the audit trail."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import AuditEntry, OutboxMessage
from incidents.checks import services as check_services
from incidents.checks.services import answer_token, check_send_asks, checks_tick
from incidents.models import CheckAnswer, CheckRecipient, SafetyCheck
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


def stay(traveller, *, place=None, place_text="", start=-2, end=3, status="approved"):
    """A trip of ``traveller`` with one stop in Kazakhstan from today+start to today+end."""
    return trip_with_stops(
        {
            "country": country("KZ"),
            "place": place,
            "place_text": place_text,
            "arrival": days(start),
            "departure": days(end),
        },
        status=status,
        traveller=traveller,
    )


def with_profile(user, phone: str, contact: str = "", contact_phone: str = ""):
    user.profile.phone = phone
    user.profile.emergency_contact_name = contact
    user.profile.emergency_contact_phone = contact_phone
    user.profile.save()
    return user


@pytest.fixture
def scene(kz):
    """An incident in Almaty since yesterday: one traveller in Almaty, one in a place the
    portal does not know (possibly there), one arriving in two days, one in Astana."""
    incident = IncidentFactory(
        title="Explosion at the central market", places=[kz["almaty"]], starts_on=days(-1)
    )
    there = with_profile(
        employee(username="tara", first_name="Tara", last_name="There"),
        "+7 700 111 2233",
        "Sam There",
        "+44 20 7946 0001",
    )
    stay(there, place=kz["almaty"])
    possibly = with_profile(
        employee(username="pete", first_name="Pete", last_name="Possibly"), "+7 700 444 5566"
    )
    stay(possibly, place_text="Kok-Tobe hills")
    arriving = employee(username="ari", first_name="Ari", last_name="Arriving")
    stay(arriving, place=kz["almaty"], start=2, end=6)
    elsewhere = employee(username="ed", first_name="Ed", last_name="Elsewhere")
    stay(elsewhere, place=kz["astana"])
    boss = manager(username="morgan", first_name="Morgan", last_name="Security")
    other_boss = manager(username="mia")
    return SimpleNamespace(
        incident=incident,
        there=there,
        possibly=possibly,
        arriving=arriving,
        elsewhere=elsewhere,
        boss=boss,
        other_boss=other_boss,
    )


def start(scene, run, *, send: bool = True, **body) -> SafetyCheck:
    """Start a check through the API; with ``send`` off, its queued e-mails are lost (the
    broker was down)."""
    with run(execute=send):
        response = api_as(scene.boss).post(
            reverse("api-incident-checks", args=[scene.incident.pk]), body, format="json"
        )
    assert response.status_code == 201, response.content
    return SafetyCheck.objects.get(pk=response.json()["id"])


def asks_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to and "Are you OK?" in m.subject]


def link_in(message) -> str:
    return re.search(r"https?://[^\s]+/checks/answer/[^\s/]+/", message.body).group(0)


def recipient(check, user) -> CheckRecipient:
    return CheckRecipient.objects.get(safety_check=check, traveller=user)


# --- starting ------------------------------------------------------------------------------


def test_a_check_asks_everyone_there_and_possibly_there_but_not_those_arriving(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)

    asked = set(check.recipients.values_list("traveller__username", flat=True))
    assert asked == {"tara", "pete"}
    assert {r.match for r in check.recipients.all()} == {"place", "possibly"}
    assert [m.to for m in mail.outbox if "Are you OK?" in m.subject] in (
        [["tara@example.com"], ["pete@example.com"]],
        [["pete@example.com"], ["tara@example.com"]],
    )
    assert (check.interval_minutes, check.cycles, check.cycle) == (30, 3, 1)
    entry = AuditEntry.objects.get(action="check.started")
    assert entry.actor == scene.boss
    assert entry.details["recipients"] == 2


def test_the_answer_to_start_counts_the_recipients(scene, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(scene.boss).post(
            reverse("api-incident-checks", args=[scene.incident.pk]),
            {"interval_minutes": 15, "cycles": 2},
            format="json",
        )
    body = response.json()
    assert response.status_code == 201
    assert body["recipients"] == 2
    check = SafetyCheck.objects.get(pk=body["id"])
    assert (check.interval_minutes, check.cycles) == (15, 2)


def test_a_traveller_with_two_stops_there_is_asked_once(
    scene, kz, django_capture_on_commit_callbacks
):
    twice = employee(username="twice")
    trip_with_stops(
        {
            "country": country("KZ"),
            "place": kz["almaty"],
            "arrival": days(-3),
            "departure": days(0),
        },
        {"country": country("KZ"), "place_text": "Medeu", "arrival": days(0), "departure": days(4)},
        traveller=twice,
    )
    check = start(scene, django_capture_on_commit_callbacks)
    row = recipient(check, twice)
    assert row.match == "place"  # the stop that matches best
    assert len(asks_to("twice@example.com")) == 1


def test_a_second_check_while_one_is_open_is_a_409(scene, django_capture_on_commit_callbacks):
    start(scene, django_capture_on_commit_callbacks)
    again = api_as(scene.other_boss).post(
        reverse("api-incident-checks", args=[scene.incident.pk]), {}, format="json"
    )
    assert again.status_code == 409
    assert "already open" in again.json()["detail"]
    assert SafetyCheck.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"interval_minutes": 0}, "interval_minutes"),
        ({"interval_minutes": "soon"}, "interval_minutes"),
        ({"cycles": 11}, "cycles"),
        ({"cycles": -1}, "cycles"),
        ({"cycles": True}, "cycles"),
    ],
)
def test_bad_numbers_are_a_400_naming_the_field_and_start_nothing(scene, body, field):
    response = api_as(scene.boss).post(
        reverse("api-incident-checks", args=[scene.incident.pk]), body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not SafetyCheck.objects.exists()
    assert not AuditEntry.objects.filter(action="check.started").exists()


def test_only_security_managers_start_checks(scene):
    url = reverse("api-incident-checks", args=[scene.incident.pk])
    assert api_as(scene.there).post(url, {}, format="json").status_code == 403
    assert api_as(content_admin()).post(url, {}, format="json").status_code == 403
    assert (
        api_as(scene.boss)
        .post(reverse("api-incident-checks", args=[99999]), {}, format="json")
        .status_code
        == 404
    )
    assert not SafetyCheck.objects.exists()


def test_a_manager_starts_a_check_from_the_incident_page(scene, django_capture_on_commit_callbacks):
    client = logged_in(scene.boss)
    page = client.get(reverse("incident-detail", args=[scene.incident.pk]))
    assert "Start a safety check" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("incident-check-start", args=[scene.incident.pk]),
            {"interval_minutes": "20", "cycles": "2"},
            follow=True,
        )
    body = response.content.decode()
    assert "Safety check started: 2 travellers" in body
    assert "Close the check" in body and "Start a safety check" not in body
    assert SafetyCheck.objects.get().interval_minutes == 20
    assert len(asks_to("tara@example.com")) == 1


def test_a_critical_incident_starts_its_own_check(kz, django_capture_on_commit_callbacks):
    from incidents.services import IncidentInput, incident_declare

    traveller = employee(username="cora")
    stay(traveller, place=kz["almaty"])
    declarer = manager()
    data = IncidentInput(
        title="Earthquake",
        country="KZ",
        starts_on=days(0),
        severity="critical",
        category="natural_hazards",
        places=["Almaty"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident, _created = incident_declare(data=data, by=declarer)
    check = SafetyCheck.objects.get(incident=incident)
    assert check.started_by == declarer  # who declared it started it
    assert list(check.recipients.values_list("traveller__username", flat=True)) == ["cora"]
    assert len(asks_to("cora@example.com")) == 1
    assert AuditEntry.objects.get(action="check.started").details["automatic"] is True


def test_a_warning_raised_to_critical_starts_a_check_once(kz, django_capture_on_commit_callbacks):
    from incidents.services import incident_input_of, incident_update

    stay(employee(), place=kz["almaty"])
    incident = IncidentFactory(places=[kz["almaty"]], starts_on=days(0), severity="warning")
    boss = manager()
    data = incident_input_of(incident)
    data.severity = "critical"
    incident_update(incident=incident, data=data, by=boss)
    assert SafetyCheck.objects.filter(incident=incident).count() == 1
    data.title = "Earthquake, aftershocks"
    incident_update(incident=incident, data=data, by=boss)  # still critical: no second
    assert SafetyCheck.objects.filter(incident=incident).count() == 1


# --- the personal link ---------------------------------------------------------------------


def test_the_ask_is_plain_text_with_the_incident_the_name_the_link_and_the_desk(
    scene, django_capture_on_commit_callbacks
):
    """An emergency message reads on any phone or mail client: one text part, no HTML."""
    from core.models import CompanySettings

    CompanySettings.objects.update_or_create(
        pk=1, defaults={"security_desk_phone": "+44 20 7946 0000", "security_desk_email": ""}
    )
    check = start(scene, django_capture_on_commit_callbacks)
    (ask,) = asks_to("tara@example.com")
    assert ask.subject == "Are you OK? Explosion at the central market (Kazakhstan)"
    assert ask.alternatives == [] and ask.attachments == []
    assert ask.message().get_content_type() == "text/plain"
    assert ask.body.startswith("Hello Tara,")
    assert "Explosion at the central market" in ask.body
    assert "Security desk, 24 hours a day: +44 20 7946 0000" in ask.body
    # The link is on a line of its own and answers for Tara without a login.
    link = link_in(ask)
    assert f"\n{link}\n" in ask.body
    response = Client().get(urlsplit(link).path)
    assert "Are you OK, Tara?" in response.content.decode()
    assert response.context["recipient"] == recipient(check, scene.there)


def test_each_ask_of_a_batch_reads_as_if_written_for_that_traveller_alone(
    scene, django_capture_on_commit_callbacks
):
    """A batch renders the ask once and puts in each traveller's name and link: nothing in
    the incident's text (braces, markup, a line break) can move or change them."""
    from django.conf import settings

    from core.mail import templated_message

    scene.incident.title = 'Fire at "Green <Bazaar>" & {{ name }}\nsecond line'
    scene.incident.save()
    nameless = employee(username="nameless", first_name="")
    stay(nameless, place=scene.incident.places.get())
    check = start(scene, django_capture_on_commit_callbacks)
    for user, greeting in ((scene.there, "Tara"), (scene.possibly, "Pete"), (nameless, "nameless")):
        (ask,) = asks_to(user.email)
        alone = templated_message(
            "safety-check-ask",
            {
                "incident": check.incident,
                "check": check,
                "cycle": 1,
                "reminder": False,
                "portal_url": f"{settings.PORTAL_BASE_URL.rstrip('/')}/",
                "name": greeting,
                "answer_url": link_in(ask),
            },
            [user.email],
            html=False,
        )
        assert (ask.subject, ask.body) == (alone.subject, alone.body)
        assert ask.body.startswith(f"Hello {greeting},")
        assert "{{ name }}" in ask.body and "\x00" not in ask.body
    assert len({link_in(m) for m in mail.outbox if "Are you OK?" in m.subject}) == 3


def test_a_get_of_the_link_shows_the_question_and_changes_nothing(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    path = urlsplit(link_in(asks_to("tara@example.com")[0])).path
    response = Client().get(path)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Are you OK, Tara?" in body and "I am safe" in body and "I need help" in body
    assert recipient(check, scene.there).status == "no_answer"
    assert not CheckAnswer.objects.exists()
    assert not AuditEntry.objects.filter(action="check.answered").exists()


def test_a_post_to_the_link_answers_with_csrf_time_channel_and_ip(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    path = reverse("check-answer-link", args=[answer_token(recipient(check, scene.there))])
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(path, {"status": "safe"}).status_code == 403  # no CSRF token
    browser.get(path)
    token = browser.cookies["csrftoken"].value
    response = browser.post(
        path, {"status": "safe", "note": "At the hotel", "csrfmiddlewaretoken": token}, follow=True
    )
    assert response.status_code == 200
    assert "You answered <strong>“I am safe”</strong>" in response.content.decode()
    row = recipient(check, scene.there)
    assert (row.status, row.channel, row.note) == ("safe", "link", "At the hotel")
    answer = CheckAnswer.objects.get()
    assert (answer.channel, answer.ip, answer.recorded_by) == ("link", "127.0.0.1", None)
    assert AuditEntry.objects.get(action="check.answered").details["channel"] == "link"


def test_answers_can_change_and_every_one_is_kept(scene, django_capture_on_commit_callbacks):
    check = start(scene, django_capture_on_commit_callbacks)
    path = reverse("check-answer-link", args=[answer_token(recipient(check, scene.there))])
    Client().post(path, {"status": "safe"})
    Client().post(path, {"status": "need_help", "note": "Injured"})
    assert recipient(check, scene.there).status == "need_help"
    assert list(
        CheckAnswer.objects.order_by("created_at", "id").values_list("status", flat=True)
    ) == [
        "safe",
        "need_help",
    ]


def test_a_forged_or_another_checks_token_is_a_404(scene, django_capture_on_commit_callbacks):
    check = start(scene, django_capture_on_commit_callbacks)
    token = answer_token(recipient(check, scene.there))
    assert Client().get(reverse("check-answer-link", args=[token + "x"])).status_code == 404
    assert Client().get(reverse("check-answer-link", args=["not-a-token"])).status_code == 404
    from django.core import signing

    other = signing.dumps([recipient(check, scene.there).pk, check.pk + 1], salt="wrong")
    assert Client().get(reverse("check-answer-link", args=[other])).status_code == 404


def test_a_bad_answer_on_the_link_is_a_400_and_records_nothing(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    path = reverse("check-answer-link", args=[answer_token(recipient(check, scene.there))])
    response = Client().post(path, {"status": "maybe"})
    assert response.status_code == 400
    assert "Answer" in response.content.decode()
    assert not CheckAnswer.objects.exists()


def test_a_closed_check_refuses_answers_and_names_the_desk(
    scene, django_capture_on_commit_callbacks
):
    from core.models import CompanySettings

    CompanySettings.objects.update_or_create(
        pk=1, defaults={"security_desk_phone": "+44 20 7946 0999"}
    )
    check = start(scene, django_capture_on_commit_callbacks)
    path = reverse("check-answer-link", args=[answer_token(recipient(check, scene.there))])
    closed = api_as(scene.boss).post(reverse("api-check-close", args=[check.pk]))
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    page = Client().get(path)
    assert "This check is closed: call the security desk on" in page.content.decode()
    assert "+44 20 7946 0999" in page.content.decode()
    posted = Client().post(path, {"status": "safe"})
    assert posted.status_code == 409
    assert "This check is closed" in posted.content.decode()
    api = api_as(scene.there).post(
        reverse("api-check-answer", args=[check.pk]), {"status": "safe"}, format="json"
    )
    assert api.status_code == 409
    assert not CheckAnswer.objects.exists()
    assert AuditEntry.objects.get(action="check.closed").details["no_answer"] == 2


# --- the portal and the API ----------------------------------------------------------------


def test_an_open_check_is_first_on_the_travellers_dashboard_and_answers_there(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    client = logged_in(scene.possibly)
    body = client.get(reverse("dashboard")).content.decode()
    assert "Are you OK? Explosion at the central market" in body
    assert body.index("Are you OK?") < body.index("upcoming trips")
    response = client.post(
        reverse("check-answer-portal", args=[check.pk]), {"status": "safe"}, follow=True
    )
    assert "you told us you are safe" in response.content.decode()
    row = recipient(check, scene.possibly)
    assert (row.status, row.channel) == ("safe", "portal")
    assert CheckAnswer.objects.get().recorded_by == scene.possibly
    # Someone the check did not ask sees nothing and cannot answer it.
    outsider = logged_in(scene.arriving)
    assert "Are you OK?" not in outsider.get(reverse("dashboard")).content.decode()
    assert (
        outsider.post(
            reverse("check-answer-portal", args=[check.pk]), {"status": "safe"}
        ).status_code
        == 404
    )


def test_a_recipient_answers_through_the_api_and_lists_their_checks(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    client = api_as(scene.there)
    listed = client.get(reverse("api-my-checks")).json()
    assert listed["count"] == 1
    assert listed["results"][0]["check"] == check.pk
    assert listed["results"][0]["status"] == "no_answer"

    response = client.post(
        reverse("api-check-answer", args=[check.pk]),
        {"status": "need_help", "note": "Trapped"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == "need_help"
    assert response.json()["channel"] == "api"
    assert recipient(check, scene.there).channel == "api"

    assert (
        client.post(
            reverse("api-check-answer", args=[check.pk]), {"status": "fine"}, format="json"
        ).status_code
        == 400
    )
    assert (
        api_as(scene.arriving)
        .post(reverse("api-check-answer", args=[check.pk]), {"status": "safe"}, format="json")
        .status_code
        == 404
    )
    assert api_as(scene.arriving).get(reverse("api-my-checks")).json()["count"] == 0


def test_the_check_lists_need_help_first_then_the_silent_then_the_safe(
    scene, kz, django_capture_on_commit_callbacks
):
    calm = employee(username="calm")
    stay(calm, place=kz["almaty"])
    check = start(scene, django_capture_on_commit_callbacks)
    for user, status in ((calm, "safe"), (scene.possibly, "need_help")):
        check_services.check_answer(
            recipient=recipient(check, user), status=status, channel="api", by=user
        )
    body = api_as(scene.boss).get(reverse("api-check-detail", args=[check.pk])).json()
    assert body["counts"] == {"safe": 1, "need_help": 1, "no_answer": 1}
    assert [r["traveller"] for r in body["recipients"]] == ["pete", "tara", "calm"]
    assert body["recipients"][1]["phone"] == "+7 700 111 2233"
    assert body["recipients"][1]["emergency_contact"] == "Sam There +44 20 7946 0001"
    assert body["recipients"][0]["channel"] == "api"
    short = api_as(scene.boss).get(reverse("api-check-detail", args=[check.pk]) + "?recipients=0")
    assert "recipients" not in short.json() and short.json()["counts"]["safe"] == 1
    assert api_as(scene.there).get(reverse("api-check-detail", args=[check.pk])).status_code == 403


# --- managers: need help, phone answers, handling --------------------------------------------


def test_need_help_emails_every_manager_once_with_phone_contact_stop_and_note(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    path = reverse("check-answer-link", args=[answer_token(recipient(check, scene.there))])
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(path, {"status": "need_help", "note": "Leg injured, at the hotel"})
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(path, {"status": "need_help", "note": "Still here"})
    alerts = [m for m in mail.outbox if m.subject.startswith("Needs help")]
    assert len(alerts) == 1
    assert sorted(alerts[0].to) == ["mia@example.com", "morgan@example.com"]
    text = alerts[0].body
    assert "Tara There" in text and "+7 700 111 2233" in text
    assert "Sam There +44 20 7946 0001" in text
    assert "Leg injured, at the hotel" in text and "Almaty" in text
    assert recipient(check, scene.there).help_alerted_at is not None


def test_a_manager_records_a_phone_answer_and_marks_a_call_for_help_handled(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    row = recipient(check, scene.possibly)
    url = reverse("api-check-recipient", args=[check.pk, row.pk])
    client = api_as(scene.boss)
    response = client.post(
        url, {"status": "need_help", "note": "Called: lost passport"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["channel"]) == ("need_help", "manager")
    answer = CheckAnswer.objects.get()
    assert (answer.channel, answer.recorded_by) == ("manager", scene.boss)

    response = client.post(url, {"handled": True, "note": "Embassy contacted"}, format="json")
    body = response.json()
    assert (body["handled"], body["handled_note"], body["handled_by"]) == (
        True,
        "Embassy contacted",
        "morgan",
    )
    assert client.post(url, {"handled": "perhaps"}, format="json").status_code == 400
    assert client.post(url, {}, format="json").status_code == 400
    assert api_as(scene.there).post(url, {"handled": True}, format="json").status_code == 403
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"check.started", "check.answered", "check.handled"} <= actions


def test_the_incident_page_records_and_handles_through_its_forms(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    row = recipient(check, scene.there)
    client = logged_in(scene.boss)
    url = reverse("check-recipient", args=[check.pk, row.pk])
    client.post(url, {"status": "need_help", "note": "By phone"})
    client.post(url, {"status": "", "handled": ["0", "1"], "note": "Driver sent"})
    row.refresh_from_db()
    assert (row.status, row.channel, row.handled, row.handled_note) == (
        "need_help",
        "manager",
        True,
        "Driver sent",
    )
    page = client.get(reverse("incident-detail", args=[scene.incident.pk])).content.decode()
    assert "Driver sent" in page and "Handled" in page
    assert page.index("Tara There") < page.index("Pete Possibly")  # need help first


# --- cycles and escalation -------------------------------------------------------------------


def test_the_silent_are_asked_each_cycle_then_listed_to_the_managers_once(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    check_services.check_answer(
        recipient=recipient(check, scene.there), status="safe", channel="api", by=scene.there
    )
    began = check.started_at
    for minutes, asks in ((10, 1), (31, 2), (32, 2), (62, 3), (70, 3)):
        with django_capture_on_commit_callbacks(execute=True):
            checks_tick(now=began + dt.timedelta(minutes=minutes))
        assert len(asks_to("pete@example.com")) == asks, minutes
    assert len(asks_to("tara@example.com")) == 1  # answered: never asked again
    assert "ask 3 of 3" in asks_to("pete@example.com")[-1].body
    assert not [m for m in mail.outbox if "still silent" in m.subject]

    with django_capture_on_commit_callbacks(execute=True):
        checks_tick(now=began + dt.timedelta(minutes=93))
    with django_capture_on_commit_callbacks(execute=True):
        checks_tick(now=began + dt.timedelta(minutes=200))
    escalations = [m for m in mail.outbox if "still silent" in m.subject]
    assert len(escalations) == 1
    assert sorted(escalations[0].to) == ["mia@example.com", "morgan@example.com"]
    assert "Pete Possibly" in escalations[0].body and "+7 700 444 5566" in escalations[0].body
    assert "Tara There" not in escalations[0].body
    assert len(asks_to("pete@example.com")) == 3
    check.refresh_from_db()
    assert check.escalated_at is not None
    assert AuditEntry.objects.filter(action="check.asked_again").count() == 2
    assert AuditEntry.objects.get(action="check.escalated").details["silent"] == 1


def test_a_closed_check_asks_nobody_again(scene, django_capture_on_commit_callbacks):
    check = start(scene, django_capture_on_commit_callbacks)
    check_services.check_close(check=check, by=scene.boss)
    with django_capture_on_commit_callbacks(execute=True):
        checks_tick(now=check.started_at + dt.timedelta(hours=5))
    assert len(asks_to("pete@example.com")) == 1
    assert not [m for m in mail.outbox if "still silent" in m.subject]


# --- idempotent sending ------------------------------------------------------------------------


class MailServer(locmem.EmailBackend):
    """A mail server that refuses some addresses (as SMTP refuses a recipient) and takes the
    rest, or cannot be reached at all; ``seen`` records, at each e-mail it is handed, who
    was marked delivered by then."""

    refused: frozenset[str] = frozenset()
    down = False
    seen: list[tuple[str, dict[str, tuple[int, int]]]] = []

    def open(self):
        if MailServer.down:
            raise ConnectionRefusedError("mail server down")
        return True

    def send_messages(self, messages):
        for message in messages:
            rows = CheckRecipient.objects.values_list(
                "traveller__email", "asked_cycle", "delivered_cycle"
            )
            MailServer.seen.append(
                (message.to[0], {email: (asked, delivered) for email, asked, delivered in rows})
            )
            if set(message.to) & MailServer.refused:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)


@pytest.fixture
def mail_server(settings, monkeypatch):
    settings.EMAIL_BACKEND = f"{__name__}.MailServer"
    monkeypatch.setattr(MailServer, "seen", [])
    return MailServer


def crowd(kz, count: int) -> list:
    people = [employee(username=f"crowd{n}") for n in range(count)]
    for person in people:
        stay(person, place=kz["almaty"])
    return people


def ids_of(check) -> list[int]:
    return list(check.recipients.order_by("pk").values_list("pk", flat=True))


def test_an_ask_already_sent_is_never_sent_twice(scene, django_capture_on_commit_callbacks):
    check = start(scene, django_capture_on_commit_callbacks)
    row = recipient(check, scene.there)
    assert check_send_asks(check_id=check.pk, cycle=1, recipient_ids=[row.pk]) == 0
    assert check_send_asks(check_id=check.pk, cycle=1, recipient_ids=ids_of(check)) == 0
    assert len(asks_to("tara@example.com")) == 1


def test_a_batch_asks_only_those_nobody_has_claimed(scene, django_capture_on_commit_callbacks):
    check = start(scene, django_capture_on_commit_callbacks, send=False)
    # Another worker has just claimed Tara's e-mail and is sending it.
    CheckRecipient.objects.filter(pk=recipient(check, scene.there).pk).update(
        asked_cycle=1, asked_at=timezone.now()
    )
    assert check_send_asks(check_id=check.pk, cycle=1, recipient_ids=ids_of(check)) == 1
    assert asks_to("tara@example.com") == []
    assert len(asks_to("pete@example.com")) == 1


def test_a_claim_left_by_a_dead_worker_is_released_and_sent_once(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks, send=False)
    row = recipient(check, scene.there)
    # A worker claimed Tara's e-mail and died before sending it.
    claimed = timezone.now()
    CheckRecipient.objects.filter(pk=row.pk).update(asked_cycle=1, asked_at=claimed)
    with django_capture_on_commit_callbacks(execute=True):
        # A live worker would have renewed its claim by now: not yet taken from it.
        checks_tick(now=claimed + dt.timedelta(seconds=30))
    assert asks_to("tara@example.com") == []
    # The beat's next tick: the claim is stale, released and asked again at once.
    for minutes in (1, 2, 6, 12):
        with django_capture_on_commit_callbacks(execute=True):
            checks_tick(now=claimed + dt.timedelta(minutes=minutes))
    assert len(asks_to("tara@example.com")) == 1
    assert len(asks_to("pete@example.com")) == 1  # lost with the start's message, healed once
    assert recipient(check, scene.there).delivered_cycle == 1


def test_a_mail_server_that_cannot_be_reached_gives_every_claim_back(
    scene, mail_server, monkeypatch, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks, send=False)
    monkeypatch.setattr(MailServer, "down", True)
    with pytest.raises(ConnectionRefusedError):
        check_send_asks(check_id=check.pk, cycle=1, recipient_ids=ids_of(check))
    assert set(check.recipients.values_list("asked_cycle", "delivered_cycle")) == {(0, 0)}
    monkeypatch.setattr(MailServer, "down", False)
    assert check_send_asks(check_id=check.pk, cycle=1, recipient_ids=ids_of(check)) == 2
    assert len(asks_to("tara@example.com")) == len(asks_to("pete@example.com")) == 1


def test_an_address_the_mail_server_refuses_does_not_stop_the_batch_and_is_asked_again(
    scene, kz, mail_server, monkeypatch, django_capture_on_commit_callbacks
):
    crowd(kz, 3)
    check = start(scene, django_capture_on_commit_callbacks, send=False)
    monkeypatch.setattr(MailServer, "refused", frozenset({"pete@example.com"}))
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        check_send_asks(check_id=check.pk, cycle=1, recipient_ids=ids_of(check))
    assert asks_to("pete@example.com") == []
    others = ["tara@example.com", *(f"crowd{n}@example.com" for n in range(3))]
    assert [len(asks_to(address)) for address in others] == [1, 1, 1, 1]
    assert (
        recipient(check, scene.possibly).asked_cycle,
        recipient(check, scene.possibly).delivered_cycle,
    ) == (0, 0)

    # The task's retry asks only Pete; refused again, nobody else hears twice.
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        check_send_asks(check_id=check.pk, cycle=1, recipient_ids=ids_of(check))
    assert [len(asks_to(address)) for address in others] == [1, 1, 1, 1]

    # Once the server takes his address, the tick's healing asks him, once.
    monkeypatch.setattr(MailServer, "refused", frozenset())
    with django_capture_on_commit_callbacks(execute=True):
        checks_tick(now=check.started_at + dt.timedelta(minutes=6))
    assert len(asks_to("pete@example.com")) == 1
    assert [len(asks_to(address)) for address in others] == [1, 1, 1, 1]
    assert set(check.recipients.values_list("delivered_cycle", flat=True)) == {1}


def test_each_e_mail_is_marked_delivered_before_the_next_goes_even_to_a_fast_mail_server(
    scene, kz, mail_server, django_capture_on_commit_callbacks
):
    """What a worker killed mid-batch leaves: those sent are marked delivered (never sent
    again), the rest claimed but not delivered (released by the tick, then sent once)."""
    crowd(kz, 2)
    check = start(scene, django_capture_on_commit_callbacks, send=False)
    assert check_send_asks(check_id=check.pk, cycle=1, recipient_ids=ids_of(check)) == 4
    sent_before = []
    for address, rows in MailServer.seen:
        assert {rows[earlier] for earlier in sent_before} <= {(1, 1)}
        assert rows[address] == (1, 0)  # claimed, not yet delivered
        sent_before.append(address)
    assert len(sent_before) == 4 and len(set(sent_before)) == 4


def test_a_large_check_is_queued_in_batches_for_the_workers(
    scene, kz, monkeypatch, django_capture_on_commit_callbacks
):
    from incidents.checks import tasks as check_tasks

    for n in range(5):
        stay(employee(username=f"crowd{n}"), place=kz["almaty"])
    monkeypatch.setattr(check_services, "BATCH_SIZE", 3)
    batches = []
    monkeypatch.setattr(
        check_tasks.check_send_asks, "apply_async", lambda **send: batches.append(send["kwargs"])
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(scene.boss).post(
            reverse("api-incident-checks", args=[scene.incident.pk]), {}, format="json"
        )
    assert response.json()["recipients"] == 7
    assert [len(batch["recipient_ids"]) for batch in batches] == [3, 3, 1]
    assert mail.outbox == []  # the request sent nothing itself


# --- the panel, the CSV, the impacted list -----------------------------------------------------


def test_the_incident_page_takes_the_same_queries_whatever_the_number_asked(
    scene, kz, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = logged_in(scene.boss)
    url = reverse("incident-detail", args=[scene.incident.pk])

    def page_queries(expected_rows: int) -> int:
        client.get(url)  # warm the session and the caches
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        assert page.content.decode().count('class="check-row') == expected_rows
        return len(queries)

    check = start(scene, django_capture_on_commit_callbacks)
    check_services.check_answer(
        recipient=recipient(check, scene.there), status="need_help", channel="api", by=scene.there
    )
    few = page_queries(2)
    check_services.check_close(check=check, by=scene.boss)
    for n in range(15):
        stay(with_profile(employee(username=f"p{n}"), "+1 555 0100"), place=kz["almaty"])
    check = start(scene, django_capture_on_commit_callbacks)
    check_services.check_answer(
        recipient=recipient(check, scene.there), status="need_help", channel="api", by=scene.there
    )
    assert page_queries(17) == few


def test_the_csv_lists_every_recipient_with_their_answer(scene, django_capture_on_commit_callbacks):
    check = start(scene, django_capture_on_commit_callbacks)
    check_services.check_answer(
        recipient=recipient(check, scene.there),
        status="safe",
        note="=cmd",
        channel="api",
        by=scene.there,
    )
    response = logged_in(scene.boss).get(reverse("check-csv", args=[check.pk]))
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("traveller,email,phone")
    assert len(lines) == 3
    assert "Tara There" in text and "safe" in text and "'=cmd" in text
    assert logged_in(scene.there).get(reverse("check-csv", args=[check.pk])).status_code == 403


def test_the_impacted_list_carries_each_travellers_check_status(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    check_services.check_answer(
        recipient=recipient(check, scene.there), status="safe", channel="api", by=scene.there
    )
    rows = (
        api_as(scene.boss)
        .get(reverse("incident-impacted", args=[scene.incident.pk]))
        .json()["results"]
    )
    statuses = {row["traveller"]: row["check_status"] for row in rows}
    assert statuses == {"tara": "safe", "pete": "no_answer", "ari": None}


def test_the_incident_page_marks_each_asked_travellers_answer_in_who_it_touches(
    scene, django_capture_on_commit_callbacks
):
    check = start(scene, django_capture_on_commit_callbacks)
    check_services.check_answer(
        recipient=recipient(check, scene.possibly),
        status="need_help",
        channel="api",
        by=scene.possibly,
    )
    page = logged_in(scene.boss).get(reverse("incident-detail", args=[scene.incident.pk]))
    touched = page.content.decode().split('id="impacted-title"', 1)[1]
    assert 'class="badge check-badge-need_help" href="#safety-check">Needs help' in touched
    assert 'class="badge check-badge-no_answer" href="#safety-check">No answer' in touched
    assert touched.count("check-badge-") == 2  # Ari, arriving, was not asked


def test_a_check_of_five_thousand_travellers_leaves_the_e_mails_to_batches_on_workers(
    kz, monkeypatch, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import User

    from incidents.checks import tasks as check_tasks
    from trips.models import Stop, Trip

    incident = IncidentFactory(places=[kz["almaty"]], starts_on=days(-1))
    users = User.objects.bulk_create(
        [User(username=f"t{n}", email=f"t{n}@example.com") for n in range(5000)]
    )
    trips = Trip.objects.bulk_create(
        [
            Trip(
                traveller=user,
                created_by=user,
                purpose="Site visit",
                status="approved",
                first_arrival=days(-1),
                last_departure=days(3),
            )
            for user in users
        ]
    )
    Stop.objects.bulk_create(
        [
            Stop(
                trip=trip,
                position=0,
                country_id="KZ",
                place=kz["almaty"],
                arrival=days(-1),
                departure=days(3),
            )
            for trip in trips
        ]
    )
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = api_as(manager()).post(
            reverse("api-incident-checks", args=[incident.pk]), {}, format="json"
        )
    assert response.status_code == 201
    assert response.json()["recipients"] == 5000
    # The request sent no e-mail: it recorded one task a batch, handed to the broker after
    # its commit, for the workers to share.
    assert mail.outbox == []
    assert len(after_commit) == 5000 // check_services.BATCH_SIZE
    queued = OutboxMessage.objects.filter(task="incidents.check_tasks.check_send_asks")
    sizes = [len(message.kwargs["recipient_ids"]) for message in queued]
    assert sizes == [check_services.BATCH_SIZE] * len(after_commit)
    assert len({pk for message in queued for pk in message.kwargs["recipient_ids"]}) == 5000

    # A later cycle (or the tick's healing) splits whoever is still unasked the same way.
    batches = []
    monkeypatch.setattr(
        check_tasks.check_send_asks, "apply_async", lambda **send: batches.append(send["kwargs"])
    )
    with django_capture_on_commit_callbacks(execute=True):
        check_tasks.check_ask_cycle(response.json()["id"], 1)
    sizes = [len(batch["recipient_ids"]) for batch in batches]
    assert sum(sizes) == 5000 and set(sizes[:-1]) == {check_services.BATCH_SIZE}
    assert len({pk for batch in batches for pk in batch["recipient_ids"]}) == 5000


def test_the_panel_pages_a_large_check_with_the_calls_for_help_first(
    scene, kz, monkeypatch, django_capture_on_commit_callbacks
):
    from incidents.checks import selectors as check_selectors

    monkeypatch.setattr(check_selectors, "PANEL_PAGE_SIZE", 2)
    stay(employee(username="late"), place=kz["almaty"])
    check = start(scene, django_capture_on_commit_callbacks)
    check_services.check_answer(
        recipient=recipient(check, scene.possibly),
        status="need_help",
        channel="api",
        by=scene.possibly,
    )
    client = logged_in(scene.boss)
    first = client.get(reverse("incident-detail", args=[scene.incident.pk])).content.decode()
    assert "Page 1 of 2 · 3 travellers" in first
    assert first.count('class="check-row') == 2 and "check-row-need_help" in first
    second = client.get(
        reverse("incident-detail", args=[scene.incident.pk]) + "?check_page=2"
    ).content.decode()
    assert second.count('class="check-row') == 1


# --- who may do what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "args", "statuses"),
    [
        # anonymous, the traveller asked, a manager, an employee the check did not ask
        ("get", "api-check-detail", "check", (401, 403, 200, 403)),
        ("post", "api-check-close", "check", (401, 403, 200, 403)),
        ("post", "api-check-recipient", "check,recipient", (401, 403, 400, 403)),
        ("post", "api-incident-checks", "incident", (401, 403, 409, 403)),
        ("post", "api-check-answer", "check", (401, 400, 404, 404)),
        ("get", "api-my-checks", "", (401, 200, 200, 200)),
        ("get", "check-csv", "check", (302, 403, 200, 403)),
        ("post", "check-close", "check", (302, 403, 302, 403)),
        ("post", "check-recipient", "check,recipient", (302, 403, 302, 403)),
        ("post", "incident-check-start", "incident", (302, 403, 302, 403)),
        ("post", "check-answer-portal", "check", (302, 302, 404, 404)),
    ],
)
def test_each_route_answers_the_traveller_a_manager_and_an_outsider_as_it_should(
    scene, django_capture_on_commit_callbacks, method, name, args, statuses
):
    from rest_framework.test import APIClient

    check = start(scene, django_capture_on_commit_callbacks)
    objects = {
        "check": check.pk,
        "recipient": recipient(check, scene.there).pk,
        "incident": scene.incident.pk,
    }
    url = reverse(name, args=[objects[arg] for arg in args.split(",") if arg])
    api = name.startswith("api-")
    clients = [
        APIClient() if api else Client(),
        *(
            (api_as(user) if api else logged_in(user))
            for user in (scene.there, scene.boss, scene.arriving)
        ),
    ]
    got = []
    for client in clients:
        with django_capture_on_commit_callbacks(execute=False):
            response = getattr(client, method)(url, {}, **({"format": "json"} if api else {}))
        got.append(response.status_code)
    assert tuple(got) == statuses


def test_claims_the_tick_took_back_from_a_stalled_worker_are_left_to_the_next_one(
    scene, kz, mail_server, monkeypatch, django_capture_on_commit_callbacks
):
    """A worker stalled past ASK_CLAIM_STALE (its claims released and taken by another)
    finds out at its next renewal and sends none of them: never two senders."""
    crowd(kz, 2)
    check = start(scene, django_capture_on_commit_callbacks, send=False)
    monkeypatch.setattr(check_services, "CLAIM_HEARTBEAT", 0)  # renew before every e-mail
    taken_at = timezone.now() + dt.timedelta(minutes=1)
    original = MailServer.send_messages

    def stall_then_lose_the_rest(self, messages):
        sent = original(self, messages)
        # Meanwhile the tick released the batch's other claims; a new worker claimed them.
        CheckRecipient.objects.filter(safety_check=check, delivered_cycle=0).update(
            asked_cycle=1, asked_at=taken_at
        )
        return sent

    monkeypatch.setattr(MailServer, "send_messages", stall_then_lose_the_rest)
    assert check_send_asks(check_id=check.pk, cycle=1, recipient_ids=ids_of(check)) == 1
    assert len([m for m in mail.outbox if "Are you OK?" in m.subject]) == 1
    # The new worker's claims stand: the stalled one neither sent nor gave them back.
    rows = check.recipients.values_list("asked_cycle", "delivered_cycle", "asked_at")
    assert sorted((a, d) for a, d, _ in rows) == [(1, 0), (1, 0), (1, 0), (1, 1)]
    assert {at for _, d, at in rows if d == 0} == {taken_at}
