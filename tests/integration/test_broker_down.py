"""Redis stops while people work: publish, submit and approve still answer normally (API and
pages), and once Redis is back every re-assessment, briefing and e-mail happens exactly once.

The test starts its own redis-server on a free port (so stopping it disturbs nobody), points
this process and a real Celery worker at it, stops it mid-way and starts it again, empty, as a
Redis without persistence comes back. The outbox relay is driven by calling it.
"""

from __future__ import annotations

import copy
import email
import os
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from advisories.models import Section
from advisories.packs import pack_import
from briefings import services as briefing_services
from briefings.models import Briefing, BriefingStatus
from core import outbox
from core.models import OutboxMessage
from portal import config
from tests import workers
from tests.factories import api_as, content_admin, employee, logged_in, manager
from tests.trips.helpers import TEST_PACK, post_trip, stop
from tests.workers import Worker, reset_producers
from trips.models import Trip, TripStatus

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test's own, without persistence: stopped, it comes back empty."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        import redis

        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"redis-server did not start:\n{self.log.read_text()}")

    def pause(self) -> None:
        """SIGSTOP: connections are still accepted, nothing is answered (a hung server)."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.resume()
            self.process.terminate()
            self.process.wait(15)


@pytest.fixture
def redis_server(tmp_path):
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed")
    server = RedisServer(tmp_path / "redis.log").start()
    yield server
    server.stop()


@pytest.fixture
def stack(redis_server, settings, tmp_path, monkeypatch):
    """This process's Celery app and one real worker on the test's Redis; e-mails the worker
    sends are files in `stack.mail`."""
    from portal.celery import app

    # The Redis is this test's alone, so the default queue is too: the worker's own messages
    # (the "ready" e-mail after a render) go where it listens.
    queue = "celery"
    keys = ("broker_url", "task_always_eager", "task_default_queue", "broker_transport_options")
    saved = {key: app.conf[key] for key in keys}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", redis_server.url)
    app.conf.broker_url = redis_server.url
    app.conf.broker_transport_options = config.parse_broker_url(redis_server.url, tmp_path)[1]
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    reset_producers(app)
    outbox.breaker.reset()
    mail = tmp_path / "mail"
    mail.mkdir()
    worker = Worker(
        queue=queue,
        log_dir=tmp_path,
        env={
            "DATABASE_URL": workers.test_database_url(),
            "CELERY_BROKER_URL": redis_server.url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "PRIVATE_STORAGE_ROOT": str(settings.PRIVATE_STORAGE_ROOT),
            "EMAIL_URL": f"file://{mail}",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SETTINGS_MODULE": "portal.settings",
        },
    )
    worker.start()
    worker.mail = mail
    worker.redis = redis_server
    yield worker
    worker.stop()
    for key, value in saved.items():
        app.conf[key] = value
    reset_producers(app)
    outbox.breaker.reset()


def sent_mail(folder: Path) -> Counter:
    """(recipient, subject) of every e-mail the worker wrote, counted."""
    seen: Counter = Counter()
    for path in sorted(folder.iterdir()):
        for raw in path.read_text().split("\n" + "-" * 79 + "\n"):
            if raw.strip():
                message = email.message_from_string(raw)
                seen[(message["To"], str(message["Subject"]))] += 1
    return seen


def wait_for(predicate, *, timeout: float, message: str, worker: Worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{message} within {timeout}s\n{worker.output()[-4000:]}")


def relay_until_sent(worker: Worker, *, timeout: float = 60) -> None:
    """What the beat entry does every few seconds: relay until the broker has everything."""

    def all_sent() -> bool:
        outbox.outbox_relay(now=timezone.now() + outbox.BACKOFF_MAX)
        return not OutboxMessage.objects.filter(sent_at=None).exists()

    wait_for(all_sent, timeout=timeout, message="The outbox was not emptied", worker=worker)


EMAIL_TASKS = ["trips.tasks.send_trip_email", "briefings.tasks.send_briefing_ready"]


def emails_sent(worker: Worker) -> None:
    """Relay, then wait until the worker has sent every e-mail recorded so far."""
    relay_until_sent(worker)
    wait_for(
        lambda: not OutboxMessage.objects.filter(task__in=EMAIL_TASKS, done_at=None).exists(),
        timeout=60,
        message="Not every e-mail was sent",
        worker=worker,
    )


def settled(trips: list[Trip]) -> bool:
    """Every trip briefed: its latest briefing rendered, nothing queued or rendering."""
    for trip in trips:
        briefings = Briefing.objects.filter(trip=trip)
        if briefings.filter(status__in=[BriefingStatus.QUEUED, BriefingStatus.RENDERING]).exists():
            return False
        latest = briefings.order_by("-version").first()
        if latest is None or latest.status != BriefingStatus.READY:
            return False
    return True


def timed(what: str, request):
    """Make the request; none may wait long on a broker that is down."""
    started = time.monotonic()
    response = request()
    elapsed = time.monotonic() - started
    print(f"Redis down: {what} answered {response.status_code} in {elapsed:.2f} s")
    assert elapsed < 5, f"{what} took {elapsed:.1f} s"
    return response


def test_publish_submit_and_approve_answer_normally_while_redis_is_down_and_all_follows_once(
    stack,
):
    pack_import(copy.deepcopy(TEST_PACK), by=None)
    editor, boss = content_admin(), manager()
    traveller = employee(email="traveller@example.org")
    boss.email = "boss@example.org"
    boss.save()

    def filed(purpose: str, **kwargs) -> Trip:
        # A week apart: one traveller's trips may not overlap.
        start = 10 + 7 * Trip.objects.count()
        body = post_trip(
            traveller, stop(arrival=start, departure=start + 2, **kwargs), purpose=purpose
        )
        return Trip.objects.get(pk=body["id"])

    briefed = filed("Briefed before")
    api_as(traveller).post(f"/api/trips/{briefed.pk}/submit/")
    by_api, by_page = filed("Submitted by API"), filed("Submitted by page")
    to_approve_api = filed("Approved by API", activities=["nightlife"])
    to_approve_page = filed("Approved by page", activities=["nightlife"])
    for trip in (to_approve_api, to_approve_page):
        response = api_as(traveller).post(f"/api/trips/{trip.pk}/submit/")
        assert response.json()["status"] == "pending_approval"
    wait_for(lambda: settled([briefed]), timeout=90, message="No first briefing", worker=stack)
    emails_sent(stack)
    before = sent_mail(stack.mail)
    assert before[(traveller.email, "Your pre-travel briefing is ready: Briefed before")] == 1

    stack.redis.stop()  # ---------------------------------------------------------------------

    section = Section.objects.filter(advisory__country_id="MN").first()
    section.body += " Keep copies of your documents."
    section.save()
    publish = timed(
        "publish (admin page)",
        lambda: logged_in(editor).post(
            f"/admin/advisories/advisory/publish/?ids={section.advisory_id}",
            {"ids": section.advisory_id, "change_note": "Copies of documents", "material": "on"},
        ),
    )
    assert publish.status_code == 302
    submitted = timed(
        "submit (API)", lambda: api_as(traveller).post(f"/api/trips/{by_api.pk}/submit/")
    )
    assert (submitted.status_code, submitted.json()["status"]) == (200, "approved")
    page = timed("submit (page)", lambda: logged_in(traveller).post(f"/trips/{by_page.pk}/submit/"))
    assert page.status_code == 302
    approved = timed(
        "approve (API)",
        lambda: api_as(boss).post(f"/api/trips/{to_approve_api.pk}/approve/", {}, format="json"),
    )
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    page = timed(
        "approve (page)",
        lambda: logged_in(boss).post(f"/trips/{to_approve_page.pk}/approve/", {"comment": "Ok"}),
    )
    assert page.status_code == 302
    trips = [briefed, by_api, by_page, to_approve_api, to_approve_page]
    assert all(Trip.objects.get(pk=t.pk).status == TripStatus.APPROVED for t in trips)
    waiting = OutboxMessage.objects.filter(sent_at=None)
    assert Counter(waiting.values_list("task", flat=True)) == {
        "trips.tasks.reassess_country": 1,
        "briefings.tasks.render_briefing": 4,
        "trips.tasks.send_trip_email": 2,
    }
    assert outbox.outbox_relay().sent == 0  # still down: nothing lost, nothing sent

    stack.redis.start()  # empty, as a Redis without persistence comes back ------------------

    relay_until_sent(stack)
    wait_for(lambda: settled(trips), timeout=120, message="Not every trip briefed", worker=stack)
    emails_sent(stack)  # the "ready" e-mails recorded by the renders

    # Every trip filed before the publication was re-assessed once; the ones submitted after
    # it were assessed against the new version and left alone.
    for trip in trips:
        trip.refresh_from_db()
        assert trip.status == TripStatus.APPROVED
        assert trip.assessments.first().content_versions == {"MN": 2}
    assert [t.assessments.count() for t in trips] == [2, 1, 1, 2, 2]

    # Once more, as the beat and the sweeper would: nothing is done twice.
    outbox.outbox_relay(now=timezone.now() + outbox.KEEP_SENT / 2)
    briefing_services.briefings_requeue_stuck(now=timezone.now() + outbox.BACKOFF_MAX * 5)
    relay_until_sent(stack)
    time.sleep(3)
    assert [t.assessments.count() for t in trips] == [2, 1, 1, 2, 2]

    mail = sent_mail(stack.mail) - before
    assert all(count == 1 for count in mail.values()), mail
    subjects = {subject for to, subject in mail if to == traveller.email}
    assert {
        'Your trip "Approved by API" was approved',
        'Your trip "Approved by page" was approved',
    } <= subjects
    # Each trip's current briefing was announced once (a version superseded before its
    # e-mail went out is not announced at all).
    for trip in trips:
        latest = Briefing.objects.filter(trip=trip).order_by("-version").first()
        announced = (
            f"Your pre-travel briefing is ready: {trip.purpose}"
            if latest.version == 1
            else f"Updated pre-travel briefing (version {latest.version}): {trip.purpose}"
        )
        assert announced in subjects, (announced, subjects)


def test_a_redis_that_hangs_costs_one_request_seconds_and_nothing_is_lost(stack):
    pack_import(copy.deepcopy(TEST_PACK), by=None)
    traveller = employee(email="traveller@example.org")
    first = post_trip(traveller, stop(arrival=10, departure=12), purpose="First")
    second = post_trip(traveller, stop(arrival=20, departure=22), purpose="Second")
    relay_until_sent(stack)

    stack.redis.pause()
    for trip in (first, second):
        # The first waits for the broker's socket timeout; the next one does not wait at all.
        response = timed(
            f"submit (API), Redis hung, {trip['purpose']}",
            lambda trip=trip: api_as(traveller).post(f"/api/trips/{trip['id']}/submit/"),
        )
        assert (response.status_code, response.json()["status"]) == (200, "approved")
    stack.redis.resume()

    trips = list(Trip.objects.filter(pk__in=[first["id"], second["id"]]))
    relay_until_sent(stack)
    wait_for(lambda: settled(trips), timeout=120, message="Not every trip briefed", worker=stack)
    emails_sent(stack)
    assert sent_mail(stack.mail) == Counter(
        {
            (traveller.email, "Your pre-travel briefing is ready: First"): 1,
            (traveller.email, "Your pre-travel briefing is ready: Second"): 1,
        }
    )


def test_a_safety_check_started_and_answered_while_redis_is_down_asks_and_alerts_once(stack):
    import datetime as dt

    from tests.factories import IncidentFactory, PlaceFactory, country, trip_with_stops

    today = dt.date.today()
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    incident = IncidentFactory(title="Explosion at the bazaar", places=[almaty], starts_on=today)
    erin, sam = employee(email="erin@example.org"), employee(email="sam@example.org")
    for traveller in (erin, sam):
        trip_with_stops(
            {
                "country": country("KZ"),
                "place": almaty,
                "arrival": today - dt.timedelta(days=1),
                "departure": today + dt.timedelta(days=5),
            },
            traveller=traveller,
        )
    boss = manager(email="morgan@example.org")

    stack.redis.stop()
    started = timed(
        "start a safety check (API)",
        lambda: api_as(boss).post(f"/api/incidents/{incident.pk}/checks/", {}, format="json"),
    )
    assert (started.status_code, started.json()["recipients"]) == (201, 2)
    answered = timed(
        "answer 'I need help' (API)",
        lambda: api_as(erin).post(
            f"/api/checks/{started.json()['id']}/answer/",
            {"status": "need_help", "note": "Hotel evacuated"},
            format="json",
        ),
    )
    assert answered.status_code == 200
    assert OutboxMessage.objects.filter(sent_at=None).count() == 2  # the asks, the call for help

    stack.redis.start()
    relay_until_sent(stack)
    # Erin answered before she was asked; Sam is asked; the managers hear Erin needs help.
    wait_for(
        lambda: {to for to, _ in sent_mail(stack.mail)} == {sam.email, boss.email},
        timeout=60,
        message="The ask and the call for help were not both sent",
        worker=stack,
    )
    relay_until_sent(stack)
    time.sleep(3)
    mail = sent_mail(stack.mail)
    assert sorted(to for to, _ in mail.elements()) == [boss.email, sam.email], mail
