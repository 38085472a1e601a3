"""Is the portal alive? The database, the broker, private storage, a Celery worker and the
beat scheduler, each checked for real, for `/healthz/` and `manage.py healthcheck`.

A small module of our own rather than django-health-check: the contract wants 503 (its views
answer 500), a worker ping and a scheduler heartbeat it does not have, the private storage
alias rather than the default one, and a body that names what is down and nothing more (its
report carries the exceptions' text: hosts, paths, sometimes credentials). The exceptions are
logged here instead, for the operator.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from portal.models import SchedulerHeartbeat

logger = logging.getLogger(__name__)

OK = "ok"
DOWN = "down"


class Unhealthy(Exception):
    """A check ran and found its component not working (as opposed to crashing)."""


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise Unhealthy("SELECT 1 did not answer 1")


def check_broker() -> None:
    from portal.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=0, timeout=settings.HEALTH_TIMEOUT_SECONDS)


def check_storage() -> None:
    """Write, read back and delete a small file where briefing PDFs go."""
    storage = storages["private"]
    payload = uuid.uuid4().hex.encode()
    name = storage.save(f"health/probe-{payload.decode()}.txt", ContentFile(payload))
    try:
        with storage.open(name, "rb") as probe:
            if probe.read() != payload:
                raise Unhealthy("the probe file read back differently")
    finally:
        storage.delete(name)


def worker_replies() -> list[dict]:
    """The workers answering a broadcast ping within the timeout (the first one is enough)."""
    from portal.celery import app

    return app.control.ping(timeout=settings.HEALTH_TIMEOUT_SECONDS, limit=1) or []


def check_worker() -> None:
    if not worker_replies():
        raise Unhealthy("no Celery worker answered the ping")


def check_scheduler() -> None:
    beat = SchedulerHeartbeat.objects.order_by("-beat_at").first()
    max_age = dt.timedelta(seconds=settings.HEALTH_SCHEDULER_MAX_AGE_SECONDS)
    if beat is None:
        raise Unhealthy("no scheduler heartbeat yet")
    if timezone.now() - beat.beat_at > max_age:
        raise Unhealthy(f"the last scheduler heartbeat is older than {max_age}")


# A check whose prerequisite is down is down without running: a ping through a broker that is
# not there would only retry for seconds before failing.
REQUIRES = {"worker": "broker"}

CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
    "worker": check_worker,
    "scheduler": check_scheduler,
}


def health_report() -> dict:
    """`{"status": "ok"|"down", "checks": {name: "ok"|"down"}, "down": [names]}`: every check
    runs even when one fails, so the answer names everything that is down at once."""
    checks: dict[str, str] = {}
    for name, check in CHECKS.items():
        if checks.get(REQUIRES.get(name, "")) == DOWN:
            checks[name] = DOWN
            continue
        try:
            check()
        except Exception:
            logger.exception("Health check %r failed", name)
            checks[name] = DOWN
        else:
            checks[name] = OK
    down = [name for name, state in checks.items() if state == DOWN]
    return {"status": DOWN if down else OK, "checks": checks, "down": down}


def scheduler_heartbeat_record() -> None:
    """Beat is alive (its task reached a worker): one row, moved forward."""
    now = timezone.now()
    if not SchedulerHeartbeat.objects.update(beat_at=now):
        SchedulerHeartbeat.objects.create(beat_at=now)


@require_safe
def healthz(request):
    """`/healthz/`: no login (load balancers and probes have none), 200 or 503 with the report."""
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == OK else 503)
