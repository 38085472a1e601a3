"""/healthz/ against a real Celery worker on Redis: 200 while it runs, 503 naming the worker
once it is stopped, 200 again when it is back. The scheduler's heartbeat is written by that
worker running the beat task."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from portal.models import SchedulerHeartbeat
from portal.tasks import scheduler_heartbeat

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CHECKS = ("database", "broker", "storage", "worker", "scheduler")


def healthz() -> tuple[int, dict]:
    response = Client().get("/healthz/")
    return response.status_code, json.loads(response.content)


def wait_for_heartbeat(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if SchedulerHeartbeat.objects.exists():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not run the scheduler heartbeat task")


def test_healthz_follows_the_worker_going_away_and_coming_back(celery_worker_factory, settings):
    settings.HEALTH_CACHE_SECONDS = 0  # each answer probes again (portal.health caches them)
    worker = celery_worker_factory().start()
    scheduler_heartbeat.delay()
    wait_for_heartbeat()

    assert healthz() == (200, {"status": "ok", "checks": dict.fromkeys(CHECKS, "ok"), "down": []})

    worker.stop()
    status, body = healthz()

    assert status == 503
    assert body["down"] == ["worker"]
    assert body["checks"] == {**dict.fromkeys(CHECKS, "ok"), "worker": "down"}

    worker.start()

    assert healthz()[0] == 200
