"""/healthz/ and `manage.py healthcheck`: each check failing for real where it can be (a broker
on a closed port, storage under a file, an old heartbeat), and the body naming it. The worker
ping is replaced here (no worker runs in unit tests); tests/integration/test_health.py pings a
real one."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from portal import health
from portal.celery import app
from portal.models import SchedulerHeartbeat
from portal.tasks import scheduler_heartbeat
from tests.factories import employee
from tests.workers import reset_producers

pytestmark = pytest.mark.django_db

ALL_OK = {
    "status": "ok",
    "checks": {name: "ok" for name in ("database", "broker", "storage", "worker", "scheduler")},
    "down": [],
}


@pytest.fixture
def worker_answers(monkeypatch):
    monkeypatch.setattr(health, "worker_replies", lambda: [{"celery@host": {"ok": "pong"}}])


@pytest.fixture
def beat_alive():
    SchedulerHeartbeat.objects.create(beat_at=timezone.now() - dt.timedelta(seconds=30))


def healthz(client: Client | None = None):
    response = (client or Client()).get("/healthz/")
    return response, json.loads(response.content)


def down_only(*names: str) -> dict:
    checks = {**ALL_OK["checks"], **dict.fromkeys(names, "down")}
    return {"status": "down", "checks": checks, "down": list(names)}


def test_it_answers_200_without_a_login_when_everything_is_alive(worker_answers, beat_alive):
    response, body = healthz()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body == ALL_OK
    assert "Set-Cookie" not in response.headers


def test_a_signed_in_user_gets_the_same_answer(worker_answers, beat_alive):
    client = Client()
    client.force_login(employee())

    assert healthz(client)[1] == ALL_OK


def test_no_worker_answering_the_ping_is_a_503_naming_the_worker(monkeypatch, beat_alive):
    monkeypatch.setattr(health, "worker_replies", lambda: [])

    response, body = healthz()

    assert response.status_code == 503
    assert body == down_only("worker")


def test_a_database_error_is_a_503_naming_the_database(monkeypatch, worker_answers, beat_alive):
    class BrokenConnection:
        def cursor(self):
            raise OperationalError("connection to server at 10.0.0.5 failed: password wrong")

    monkeypatch.setattr(health, "connection", BrokenConnection())

    response, body = healthz()

    assert response.status_code == 503
    assert body == down_only("database")
    assert b"10.0.0.5" not in response.content  # the error's text stays in the log


def test_an_unreachable_broker_is_a_503_naming_the_broker_and_the_worker(monkeypatch, beat_alive):
    # Celery reads CELERY_BROKER_URL from the environment before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing on port 1
    reset_producers(app)
    try:
        response, body = healthz()
    finally:
        monkeypatch.undo()
        reset_producers(app)

    assert response.status_code == 503
    assert body == down_only("broker", "worker")
    assert b"127.0.0.1" not in response.content


def test_private_storage_that_cannot_be_written_is_a_503_naming_storage(
    settings, tmp_path, worker_answers, beat_alive
):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the storage folder should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "private"), "base_url": None},
        },
    }

    response, body = healthz()

    assert response.status_code == 503
    assert body == down_only("storage")


def test_the_storage_probe_leaves_nothing_behind(settings, worker_answers, beat_alive):
    healthz()

    assert not list((settings.PRIVATE_STORAGE_ROOT / "health").iterdir())


def test_no_heartbeat_yet_is_a_503_naming_the_scheduler(worker_answers):
    response, body = healthz()

    assert response.status_code == 503
    assert body == down_only("scheduler")


def test_a_heartbeat_older_than_the_limit_is_a_503_naming_the_scheduler(settings, worker_answers):
    settings.HEALTH_SCHEDULER_MAX_AGE_SECONDS = 300
    SchedulerHeartbeat.objects.create(beat_at=timezone.now() - dt.timedelta(seconds=301))

    response, body = healthz()

    assert response.status_code == 503
    assert body == down_only("scheduler")


def test_the_beat_task_moves_the_heartbeat_forward(worker_answers):
    SchedulerHeartbeat.objects.create(beat_at=timezone.now() - dt.timedelta(hours=2))

    scheduler_heartbeat.delay()

    assert SchedulerHeartbeat.objects.count() == 1
    assert healthz()[1] == ALL_OK


def test_the_beat_schedule_sends_the_heartbeat_more_often_than_it_may_age(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["scheduler-heartbeat"]

    assert entry["task"] == scheduler_heartbeat.name
    assert entry["schedule"] * 2 <= settings.HEALTH_SCHEDULER_MAX_AGE_SECONDS


def test_the_command_prints_the_report_and_exits_0_when_alive(capsys, worker_answers, beat_alive):
    call_command("healthcheck")

    report = json.loads(capsys.readouterr().out)
    assert health.public(report) == ALL_OK
    # Every check has its detail; the apps add theirs beside (portal.health.DETAIL_PROVIDERS).
    assert set(ALL_OK["checks"]) <= set(report["details"])


def test_the_command_exits_1_naming_what_is_down(capsys, monkeypatch, beat_alive):
    monkeypatch.setattr(health, "worker_replies", lambda: [])

    with pytest.raises(SystemExit) as exit_info:
        call_command("healthcheck")

    assert exit_info.value.code == 1
    report = json.loads(capsys.readouterr().out)
    assert health.public(report) == down_only("worker")
    assert "no Celery worker answered the ping" in report["details"]["worker"]["error"]


def test_get_and_head_are_answered_and_nothing_else(worker_answers, beat_alive):
    assert Client().head("/healthz/").status_code == 200
    assert Client().post("/healthz/").status_code == 405


def test_it_is_not_redirected_to_https_in_production(settings, worker_answers, beat_alive):
    settings.SECURE_SSL_REDIRECT = True

    assert healthz()[0].status_code == 200
    assert Client().get("/").status_code == 301  # every other page is


# --- bounded and cheap (issue 23: concurrent pings hung every request thread) ---------------


def test_the_answer_is_reused_for_a_few_seconds_without_probing_again(
    monkeypatch, settings, beat_alive
):
    settings.HEALTH_CACHE_SECONDS = 60
    pings = []
    monkeypatch.setattr(health, "worker_replies", lambda: pings.append(1) or [{"w": "pong"}])

    answers = [healthz()[1] for _ in range(5)]

    assert answers == [ALL_OK] * 5
    assert len(pings) == 1


def test_a_stale_answer_is_refreshed_by_the_next_caller(monkeypatch, settings, beat_alive):
    settings.HEALTH_CACHE_SECONDS = 0
    monkeypatch.setattr(health, "worker_replies", lambda: [{"w": "pong"}])
    assert healthz()[0].status_code == 200

    monkeypatch.setattr(health, "worker_replies", lambda: [])

    assert healthz()[1] == down_only("worker")


def test_while_one_caller_refreshes_the_others_answer_with_the_last_report(
    monkeypatch, settings, beat_alive
):
    from django.core.cache import cache

    settings.HEALTH_CACHE_SECONDS = 0
    monkeypatch.setattr(health, "worker_replies", lambda: [{"w": "pong"}])
    healthz()
    cache.add(health.LOCK_KEY, True)  # another caller is refreshing
    monkeypatch.setattr(health, "worker_replies", lambda: pytest.fail("probed twice at once"))

    response, body = healthz()

    assert (response.status_code, body) == (200, ALL_OK)


def test_a_probe_that_hangs_is_down_once_its_deadline_passes(
    monkeypatch, settings, worker_answers, beat_alive
):
    settings.HEALTH_TIMEOUT_SECONDS = 0.2
    released = __import__("threading").Event()
    monkeypatch.setitem(health.CHECKS, "storage", lambda: released.wait(30))
    try:
        response, body = healthz()
    finally:
        released.set()

    assert response.status_code == 503
    assert body == down_only("storage")


def test_the_ping_and_the_broker_probe_never_take_a_connection_from_the_shared_pool(
    monkeypatch, settings
):
    settings.HEALTH_TIMEOUT_SECONDS = 0.3

    def exhausted(*args, **kwargs):
        raise AssertionError("the health check took a pooled broker connection")

    monkeypatch.setattr(app.pool, "acquire", exhausted)
    monkeypatch.setattr(app.amqp.producer_pool, "acquire", exhausted)

    health.check_broker()
    assert health.worker_replies() == []  # no worker runs here; the ping timed out quietly


@pytest.mark.parametrize(
    ("who", "sees_details"),
    [("anonymous", False), ("employee", False), ("manager", True), ("superuser", True)],
)
def test_only_operators_read_what_failed_and_why(monkeypatch, beat_alive, who, sees_details):
    from tests.factories import manager, without_role

    monkeypatch.setattr(health, "worker_replies", lambda: [])
    client = Client()
    users = {
        "employee": employee,
        "manager": manager,
        "superuser": lambda: without_role(is_superuser=True),
    }
    if who in users:
        client.force_login(users[who]())

    response, body = healthz(client)

    assert response.status_code == 503
    assert health.public(body) == down_only("worker")
    assert ("details" in body) is sees_details
    if sees_details:
        assert body["details"]["worker"]["error"] == "Unhealthy: no Celery worker answered the ping"
