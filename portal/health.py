"""Is the portal alive? The database, the broker, private storage, a Celery worker and the
beat scheduler, each checked for real, for `/healthz/` and `manage.py healthcheck`.

A small module of our own rather than django-health-check: the contract wants 503 (its views
answer 500), a worker ping and a scheduler heartbeat it does not have, the private storage
alias rather than the default one, and a body that names what is down and nothing more (its
report carries the exceptions' text: hosts, paths, sometimes credentials). The exceptions are
logged here instead, for the operator, and shown in the full report (`details`) to signed-in
superusers and security managers and by `manage.py healthcheck`.

`/healthz/` needs no login, so it must stay cheap whoever calls it how often (issue 23: fifteen
concurrent pings through the broker pool left every request thread waiting for ever). So:

- the public answer is the last report, refreshed at most every HEALTH_CACHE_SECONDS by one
  caller at a time (a cache `add` is the lock); the others answer with the last report;
- every probe has a deadline: the database a statement timeout, the broker and the worker
  ping a connection of their own with connect and socket timeouts (never the shared pool that
  sending tasks needs), and storage, broker and ping run in a thread the caller stops waiting
  for at HEALTH_TIMEOUT_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu.pidbox import Mailbox

from core import roles
from core.health_details import health_details
from portal.celery import app
from portal.models import SchedulerHeartbeat

logger = logging.getLogger(__name__)

OK = "ok"
DOWN = "down"
UNKNOWN = "unknown"

CACHE_KEY = "portal.health:report"
LOCK_KEY = "portal.health:refreshing"
# One refresh runs every probe one after the other, each within HEALTH_TIMEOUT_SECONDS.
REFRESH_BUDGET_FACTOR = 6


class Unhealthy(Exception):
    """A check ran and found its component not working (as opposed to crashing)."""


class ProbeTimeout(Unhealthy):
    """A check did not answer within HEALTH_TIMEOUT_SECONDS."""


def _timeout() -> float:
    return float(settings.HEALTH_TIMEOUT_SECONDS)


def within_deadline(check: Callable[[], None], seconds: float) -> None:
    """Run ``check`` in a thread of its own and stop waiting for it after ``seconds``.

    For probes that touch no database (a thread's database connection would be its own, and
    left open): a stuck probe is left behind as a daemon thread, itself bounded by the
    connect and socket timeouts it was given, and the caller answers "down" on time."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            check()
        except BaseException as error:  # handed to the caller, which logs it
            outcome.append(error)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, name=f"health-{check.__name__}", daemon=True)
    thread.start()
    thread.join(seconds)
    if not outcome:
        raise ProbeTimeout(f"{check.__name__} did not answer within {seconds:g} s")
    if outcome[0] is not None:
        raise outcome[0]


def check_database() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A database that accepts the connection but does not answer fails in time.
            cursor.execute("SET LOCAL statement_timeout = %s", [int(_timeout() * 1000)])
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise Unhealthy("SELECT 1 did not answer 1")


@contextmanager
def broker_connection():
    """A connection of the probe's own, never one of the pool that sending tasks shares: a
    burst of probes must not take the connections a trip's submission needs."""

    seconds = _timeout()
    options = {**app.conf.broker_transport_options}
    if app.conf.broker_url and app.conf.broker_url.startswith(("redis", "rediss")):
        options.update(socket_connect_timeout=seconds, socket_timeout=seconds)
    broker = app.connection_for_write(connect_timeout=seconds, transport_options=options)
    try:
        yield broker
    finally:
        broker.release()


def check_broker() -> None:
    with broker_connection() as broker:
        broker.ensure_connection(max_retries=0, timeout=_timeout())


def _mailbox() -> Mailbox:
    """Celery's remote-control mailbox (celery.app.control.Control's settings) without its
    producer pool, so a ping publishes on the probe's own connection."""

    conf = app.conf
    return Mailbox(
        conf.control_exchange,
        type="fanout",
        accept=conf.accept_content,
        serializer=conf.task_serializer,
        queue_ttl=conf.control_queue_ttl,
        reply_queue_ttl=conf.control_queue_ttl,
        queue_expires=conf.control_queue_expires,
        queue_exclusive=conf.control_queue_exclusive,
        queue_durable=conf.control_queue_durable,
        reply_queue_expires=conf.control_queue_expires,
    )


def worker_replies() -> list[dict]:
    """The workers answering a broadcast ping within the timeout (the first one is enough)."""
    with broker_connection() as broker:
        node = _mailbox()(broker)
        # What Control.ping sends (celery.app.control.Control.broadcast), on this connection.
        return node._broadcast("ping", {}, reply=True, timeout=_timeout(), limit=1) or []


def check_worker() -> None:
    if not worker_replies():
        raise Unhealthy("no Celery worker answered the ping")


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


def check_scheduler() -> None:
    beat = SchedulerHeartbeat.objects.order_by("-beat_at").first()
    max_age = dt.timedelta(seconds=settings.HEALTH_SCHEDULER_MAX_AGE_SECONDS)
    if beat is None:
        raise Unhealthy("no scheduler heartbeat yet")
    if timezone.now() - beat.beat_at > max_age:
        raise Unhealthy(f"the last scheduler heartbeat is older than {max_age}")


# A check whose prerequisite is down is down without running: a ping through a broker that is
# not there would only wait for its timeout.
REQUIRES = {"worker": "broker"}

CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "broker": check_broker,
    "storage": check_storage,
    "worker": check_worker,
    "scheduler": check_scheduler,
}
# The probes that touch no database run in a thread with a deadline (within_deadline); the
# database's own have the statement timeout.
IN_THREAD = {"broker", "storage", "worker"}


def _run(name: str) -> None:
    check = CHECKS[name]
    if name in IN_THREAD:
        # The thread answers by the probe's own timeouts; a margin so those speak first.
        within_deadline(check, _timeout() + 1)
    else:
        check()


def health_report(*, details: bool = False) -> dict:
    """`{"status": "ok"|"down", "checks": {name: "ok"|"down"}, "down": [names]}`: every check
    runs even when one fails, so the answer names everything that is down at once. With
    ``details``, also `details: {name: {"seconds": ..., "error": ...}}`, `checked_at` and
    `about` (what the apps registered: which extractor reads booking e-mails), for operators
    only (the errors may name hosts and paths)."""
    checks: dict[str, str] = {}
    found: dict[str, dict] = {}
    for name in CHECKS:
        started = time.monotonic()
        error = ""
        if checks.get(REQUIRES.get(name, "")) == DOWN:
            checks[name], error = DOWN, f"skipped: {REQUIRES[name]} is down"
        else:
            try:
                _run(name)
            except Exception as exc:
                logger.exception("Health check %r failed", name)
                checks[name], error = DOWN, f"{type(exc).__name__}: {exc}"
            else:
                checks[name] = OK
        found[name] = {"seconds": round(time.monotonic() - started, 3), "error": error}
    down = [name for name, state in checks.items() if state == DOWN]
    report: dict = {"status": DOWN if down else OK, "checks": checks, "down": down}
    if details:
        report["details"] = {**found, **health_details()}
        report["checked_at"] = timezone.now().isoformat()
    return report


def public(report: dict) -> dict:
    """What anyone may read: the state of each component, no errors or timings."""
    return {key: report[key] for key in ("status", "checks", "down")}


def _refresh_lock() -> bool:
    """True when this caller is the one to refresh. The lock expires on its own, so a
    process that died refreshing does not stop the next one."""
    seconds = int(_timeout() * REFRESH_BUDGET_FACTOR) + 1
    try:
        return bool(cache.add(LOCK_KEY, True, timeout=seconds))
    except Exception:
        # A cache that is down (CACHE_URL's Redis) must not take the health check with it.
        logger.exception("The health check's lock could not be taken from the cache")
        return _process_lock.acquire(blocking=False)


def _refresh_unlock() -> None:
    try:
        cache.delete(LOCK_KEY)
    except Exception:
        logger.exception("The health check's lock could not be released in the cache")
    if _process_lock.locked():
        _process_lock.release()


_process_lock = threading.Lock()
_last: dict = {}


def _stored() -> dict | None:
    try:
        return cache.get(CACHE_KEY)
    except Exception:
        # This process's own last report, while the shared cache is down.
        return _last.get("entry")


def _store(report: dict) -> None:
    entry = {"at": time.time(), "report": report}
    _last["entry"] = entry
    try:
        # Kept well past its freshness: a caller who finds the refresh taken answers with it.
        cache.set(CACHE_KEY, entry, timeout=None)
    except Exception:
        logger.exception("The health report could not be stored in the cache")


def cached_health_report() -> dict:
    """The last full report, refreshed when older than HEALTH_CACHE_SECONDS by the one caller
    who takes the lock; the others answer with the last report meanwhile. Before any report
    exists, they wait for the first one at most as long as a refresh may take."""
    entry = _stored()
    if entry is not None and time.time() - entry["at"] < settings.HEALTH_CACHE_SECONDS:
        return entry["report"]
    if _refresh_lock():
        try:
            report = health_report(details=True)
            _store(report)
            return report
        finally:
            _refresh_unlock()
    deadline = time.monotonic() + _timeout() * REFRESH_BUDGET_FACTOR
    while entry is None and time.monotonic() < deadline:
        time.sleep(0.05)
        entry = _stored()
    if entry is None:
        checks = dict.fromkeys(CHECKS, UNKNOWN)
        return {"status": DOWN, "checks": checks, "down": [], "details": {}}
    return entry["report"]


def scheduler_heartbeat_record() -> None:
    """Beat is alive (its task reached a worker): one row, moved forward."""
    now = timezone.now()
    if not SchedulerHeartbeat.objects.update(beat_at=now):
        SchedulerHeartbeat.objects.create(beat_at=now)


def may_read_details(user) -> bool:
    """Superusers and security managers operate the portal: they see what failed and why."""
    return bool(user.is_authenticated and (user.is_superuser or roles.is_manager(user)))


@never_cache
@require_safe
def healthz(request):
    """`/healthz/`: no login (load balancers and probes have none), 200 or 503 with the last
    report; its details for operators."""
    report = cached_health_report()
    body = report if may_read_details(request.user) else public(report)
    return JsonResponse(body, status=200 if report["status"] == OK else 503)
