"""Safety checks with a real Celery worker on Redis, its e-mails read from the file backend:
who is asked, answers from the e-mail link, the portal and the API, cycles and escalation
driven by the beat task under a frozen clock, "need help" reaching the managers once, a
worker killed with SIGKILL mid-cycle, and a closed check refusing answers."""

from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.checks.tasks import check_alert_help, check_escalate, check_send_asks, checks_tick
from incidents.models import CheckAnswer, CheckRecipient, SafetyCheck
from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    api_as,
    country,
    employee,
    logged_in,
    manager,
    trip_with_stops,
)
from tests.mailbox import read_mailbox

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ASK = "Are you OK?"


def wait_for(predicate, *, timeout: float, message: str, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    log = worker.output()[-4000:] if worker else ""
    raise AssertionError(f"{message} within {timeout}s\n{log}")


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def traveller(username: str, first: str, last: str, *, phone: str = "", contact: str = ""):
    user = employee(username=username, first_name=first, last_name=last)
    user.profile.phone = phone
    user.profile.emergency_contact_name = contact
    user.profile.save()
    return user


def stay(user, *, place=None, place_text="", start=-1, end=4):
    return trip_with_stops(
        {
            "country": country("KZ"),
            "place": place,
            "place_text": place_text,
            "arrival": days(start),
            "departure": days(end),
        },
        traveller=user,
    )


class Mailbox:
    def __init__(self, folder):
        self.folder = folder

    def all(self):
        return read_mailbox(self.folder) if self.folder.exists() else []

    def asks(self, username: str):
        return [m for m in self.all() if f"{username}@example.com" in m.to and ASK in m.subject]

    def to_managers(self, words: str):
        return [m for m in self.all() if words in m.subject]


@pytest.fixture
def mailbox(tmp_path):
    return Mailbox(tmp_path / "mail")


@pytest.fixture
def worker_with_mail(celery_worker_factory, mailbox):
    def make():
        return celery_worker_factory(EMAIL_URL=f"file://{mailbox.folder}")

    return make


@pytest.fixture
def almaty(db):
    return PlaceFactory(country=country("KZ"), name="Almaty")


def start_check(boss, incident, **body) -> SafetyCheck:
    response = api_as(boss).post(
        reverse("api-incident-checks", args=[incident.pk]), body, format="json"
    )
    assert response.status_code == 201, response.content
    return SafetyCheck.objects.get(pk=response.json()["id"])


def test_a_check_asks_those_there_and_takes_answers_from_the_link_the_portal_and_the_api(
    worker_with_mail, mailbox, almaty
):
    worker = worker_with_mail().start()
    incident = IncidentFactory(title="Blast in Almaty", places=[almaty], starts_on=days(-1))
    tara = traveller("tara", "Tara", "There", phone="+7 700 111 2233", contact="Sam +44 1")
    stay(tara, place=almaty)
    pete = traveller("pete", "Pete", "Possibly", phone="+7 700 444 5566")
    stay(pete, place_text="Kok-Tobe hills")  # not a curated place: possibly there
    ana = traveller("ana", "Ana", "Api")
    stay(ana, place=almaty)
    ari = traveller("ari", "Ari", "Arriving")
    stay(ari, place=almaty, start=2, end=6)
    boss, other_boss = manager(username="morgan"), manager(username="mia")

    check = start_check(boss, incident)
    wait_for(
        lambda: len([m for m in mailbox.all() if ASK in m.subject]) >= 3,
        timeout=60,
        message="The worker did not send the three asks",
        worker=worker,
    )
    assert "Task incidents.check_tasks.check_send_asks[" in worker.output()
    assert sorted(check.recipients.values_list("traveller__username", flat=True)) == [
        "ana",
        "pete",
        "tara",
    ]
    assert [len(mailbox.asks(name)) for name in ("tara", "pete", "ana", "ari")] == [1, 1, 1, 0]

    # --- the link: a GET (a mail scanner) changes nothing, a POST with CSRF answers --------
    path = urlsplit(mailbox.asks("tara")[0].link()).path
    scanner = Client()
    assert scanner.get(path).status_code == 200
    assert CheckRecipient.objects.get(traveller=tara).status == "no_answer"
    assert not CheckAnswer.objects.exists()
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(path)
    assert "I am safe" in page.content.decode()
    answered = browser.post(
        path, {"status": "safe", "csrfmiddlewaretoken": browser.cookies["csrftoken"].value}
    )
    assert answered.status_code == 302
    tara_row = CheckRecipient.objects.get(traveller=tara)
    assert (tara_row.status, tara_row.channel) == ("safe", "link")
    assert CheckAnswer.objects.get(recipient=tara_row).ip == "127.0.0.1"

    # --- the portal: Pete needs help; every manager hears once -----------------------------
    portal = logged_in(pete)
    assert ASK in portal.get(reverse("dashboard")).content.decode()
    portal.post(
        reverse("check-answer-portal", args=[check.pk]),
        {"status": "need_help", "note": "Hurt, at the Kazakhstan Hotel"},
    )
    alert = wait_for(
        lambda: mailbox.to_managers("Needs help"),
        timeout=60,
        message="The managers were not told that Pete needs help",
        worker=worker,
    )
    assert sorted(alert[0].to) == ["mia@example.com", "morgan@example.com"]
    assert "+7 700 444 5566" in alert[0].body and "Hurt, at the Kazakhstan Hotel" in alert[0].body
    # Pressing again, and a duplicate delivery of the alert task, tell nobody twice.
    portal.post(reverse("check-answer-portal", args=[check.pk]), {"status": "need_help"})
    pete_row = CheckRecipient.objects.get(traveller=pete)
    check_alert_help.delay(pete_row.pk)
    worker.wait_for_log(f"recipient {pete_row.pk}: need-help alert already sent", timeout=30)
    assert len(mailbox.to_managers("Needs help")) == 1

    # --- the API ------------------------------------------------------------------------------
    response = api_as(ana).post(
        reverse("api-check-answer", args=[check.pk]), {"status": "safe"}, format="json"
    )
    assert response.status_code == 200 and response.json()["channel"] == "api"
    counts = api_as(boss).get(reverse("api-check-detail", args=[check.pk])).json()["counts"]
    assert counts == {"safe": 2, "need_help": 1, "no_answer": 0}
    assert other_boss.email in alert[0].to


def test_the_silent_are_asked_each_cycle_and_escalated_by_the_beat_task_then_the_check_closes(
    worker_with_mail, mailbox, almaty
):
    worker = worker_with_mail().start()
    incident = IncidentFactory(title="Floods", places=[almaty], starts_on=days(0))
    tara = traveller("tara", "Tara", "There")
    stay(tara, place=almaty)
    sid = traveller("sid", "Sid", "Silent", phone="+7 700 999 0000", contact="Mum +44 7700")
    stay(sid, place=almaty)
    boss = manager(username="morgan")
    check = start_check(boss, incident, interval_minutes=30, cycles=3)
    wait_for(lambda: mailbox.asks("sid"), timeout=60, message="No first ask", worker=worker)
    api_as(tara).post(
        reverse("api-check-answer", args=[check.pk]), {"status": "safe"}, format="json"
    )
    began = check.started_at

    # The beat task, run as beat runs it, under a frozen clock: no sleeping for half hours.
    for minutes, asks in ((31, 2), (62, 3)):
        with time_machine.travel(began + dt.timedelta(minutes=minutes), tick=False):
            checks_tick()
        wait_for(
            lambda asks=asks: len(mailbox.asks("sid")) == asks,
            timeout=60,
            message=f"Sid was not asked a {asks}th time",
            worker=worker,
        )
    assert len(mailbox.asks("tara")) == 1  # answered: never asked again
    # Files are named by the second they were written: their order says nothing finer.
    assert sum("ask 3 of 3" in ask.body for ask in mailbox.asks("sid")) == 1
    with time_machine.travel(began + dt.timedelta(minutes=93), tick=False):
        checks_tick()
    silent = wait_for(
        lambda: mailbox.to_managers("still silent"),
        timeout=60,
        message="The managers were not sent the silent",
        worker=worker,
    )
    assert silent[0].to == ["morgan@example.com"]
    assert "Sid Silent" in silent[0].body and "+7 700 999 0000" in silent[0].body
    assert "Mum +44 7700" in silent[0].body and "Tara" not in silent[0].body
    # Later ticks and a duplicate escalation send nothing more.
    with time_machine.travel(began + dt.timedelta(minutes=300), tick=False):
        checks_tick()
    check_escalate.delay(check.pk)
    worker.wait_for_log(f"Safety check {check.pk}: escalation already sent", timeout=30)
    assert len(mailbox.to_managers("still silent")) == 1
    assert len(mailbox.asks("sid")) == 3

    # --- closed: the link, the portal and the API refuse ----------------------------------------
    path = urlsplit(mailbox.asks("sid")[0].link()).path
    assert api_as(boss).post(reverse("api-check-close", args=[check.pk])).status_code == 200
    refused = Client().post(path, {"status": "safe"})
    assert refused.status_code == 409
    assert "This check is closed: call the security desk" in refused.content.decode()
    assert (
        api_as(sid)
        .post(reverse("api-check-answer", args=[check.pk]), {"status": "safe"}, format="json")
        .status_code
        == 409
    )
    assert CheckRecipient.objects.get(traveller=sid).status == "no_answer"


def test_a_worker_killed_mid_cycle_and_restarted_sends_nobody_a_second_copy(
    worker_with_mail, mailbox, almaty
):
    slow = worker_with_mail().start(mail_delay=4)
    incident = IncidentFactory(title="Unrest", places=[almaty], starts_on=days(0))
    names = ["amy", "bob", "cat", "dan"]
    for name in names:
        stay(traveller(name, name.title(), "Traveller"), place=almaty)
    boss = manager(username="morgan")
    check = start_check(boss, incident)

    claimed_unsent = CheckRecipient.objects.filter(
        safety_check=check, asked_cycle=1, delivered_cycle=0
    )
    wait_for(
        lambda: [m for m in mailbox.all() if ASK in m.subject] and claimed_unsent.exists(),
        timeout=60,
        message="The slow worker sent no ask, or claimed no second one",
        worker=slow,
    )
    slow.kill()  # SIGKILL while it sleeps before the next e-mail, whose recipient is claimed
    sent_before = len([m for m in mailbox.all() if ASK in m.subject])
    assert 1 <= sent_before < len(names)
    # The batch was claimed at once; each e-mail sent was marked delivered before the next.
    assert claimed_unsent.count() == len(names) - sent_before

    fresh = worker_with_mail().start()
    # Redis would hand the unacknowledged batch back after its visibility timeout (an hour);
    # the beat task does not wait: past the hard time limit the dead worker's claim is
    # released and the rest of the cycle re-queued.
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10), tick=False):
        summary = checks_tick()
    assert summary["healed"] == 1
    wait_for(
        lambda: all(len(mailbox.asks(name)) == 1 for name in names),
        timeout=60,
        message="Not everyone got the first ask after the restart",
        worker=fresh,
    )
    # The killed delivery coming back late (or any duplicate) e-mails nobody again.
    ids = list(check.recipients.values_list("pk", flat=True))
    check_send_asks.delay(check.pk, 1, ids)
    fresh.wait_for_log(f"Safety check {check.pk}: cycle 1 already asked", timeout=30)
    assert [len(mailbox.asks(name)) for name in names] == [1, 1, 1, 1]
    assert set(check.recipients.values_list("delivered_cycle", flat=True)) == {1}
