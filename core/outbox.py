"""A transactional outbox: work that must happen after a commit is recorded in that very
transaction, and reaches the broker however long the broker is away.

A service calls ``outbox_enqueue(task=..., kwargs=..., key=...)`` inside the transaction of its
state change. The row commits (or rolls back) with the change. After the commit one quick
attempt sends it at once, so the usual path is as fast as ``delay_on_commit``; when the broker
is down that attempt fails quietly, the request answers as usual, and the relay
(``outbox_relay``: a Celery beat entry every few seconds, and ``manage.py relay_outbox`` for
cron) sends what is left, postponing each failure with a growing delay, until the broker takes
it.

A sender leases a row with a conditional UPDATE (unsent, due, and still due at the time it
read): two senders (the after-commit attempt and a relay, or two relays) never send one row at
the same time. A row is sent at least once: if a sender dies between the broker taking the
message and the row being marked sent, the lease runs out and the row is sent again. Tasks are
therefore idempotent (a briefing render claims its row, a re-assessment skips trips already
assessed against the version); a task that cannot be (an e-mail) wraps its work in
``outbox_run_once``, which runs it once per key.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery import current_app
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from core.models import OutboxMessage

logger = logging.getLogger(__name__)

# A sender has this long to hand a row to the broker before another may try it.
SEND_LEASE = dt.timedelta(seconds=60)
# A failed send waits 5 s, then 10, 20, 40, then a minute between attempts: the broker is
# back within a minute of returning, without hammering it while it is away.
BACKOFF_FIRST = dt.timedelta(seconds=5)
BACKOFF_MAX = dt.timedelta(seconds=60)
# After a failed send, a process leaves its after-commit sends to the relay this long.
BREAKER_OPEN = dt.timedelta(seconds=30)
# A run-once task that started this long ago and never finished belongs to a dead worker.
RUN_LEASE = dt.timedelta(minutes=10)
# Sent rows are kept this long (the dedup keys with them), then deleted by the relay.
KEEP_SENT = dt.timedelta(days=7)
RELAY_BATCH = 200


def outbox_enqueue(*, task: str, kwargs: dict[str, Any], key: str) -> OutboxMessage:
    """Record the Celery task `task` (its registered name) with JSON `kwargs`, to be sent once
    the current transaction commits. Call it inside the transaction of the state change that
    needs the work; outside one it is sent at once.

    `key` names the piece of work (``"briefings.render:42:<queued at>"``): a second call with a
    key already recorded records nothing and returns the first message.
    """
    try:
        with transaction.atomic():
            message, created = OutboxMessage.objects.get_or_create(
                key=key, defaults={"task": task, "kwargs": kwargs}
            )
    except IntegrityError:
        # Someone recorded the same key between our read and our insert.
        message, created = OutboxMessage.objects.get(key=key), False
    if created:
        message_id = message.pk
        transaction.on_commit(lambda: outbox_send(message_id=message_id, retry=False))
    return message


def _lease(message_id: int, now: dt.datetime) -> OutboxMessage | None:
    """Take the row for one send attempt, or None if it is sent, not due or being sent."""
    leased = OutboxMessage.objects.filter(
        pk=message_id, sent_at__isnull=True, due_at__lte=now
    ).update(due_at=now + SEND_LEASE, attempts=F("attempts") + 1)
    return OutboxMessage.objects.get(pk=message_id) if leased else None


def _backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)


SENT, FAILED, NOT_LEASED = "sent", "failed", "not leased"


def _task(app: Any, name: str) -> Any:
    if name not in app.tasks:
        # The apps' tasks modules are imported lazily (by a worker); a web process that
        # records a message has not necessarily imported the module that defines its task.
        app.loader.import_default_modules()
    return app.tasks[name]


def _attempt(message_id: int, now: dt.datetime, retry: bool) -> str:
    # The project's Celery app (portal.celery, made current when the `portal` package loads):
    # the ground sends tasks by name without importing the roof.
    app = current_app

    message = _lease(message_id, now)
    if message is None:
        return NOT_LEASED
    try:
        _task(app, message.task).apply_async(kwargs=message.kwargs, retry=retry)
    except Exception as exc:
        OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).update(
            due_at=now + _backoff(message.attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        logger.warning(
            "Outbox message %s (%s) not sent (attempt %s), will retry: %s",
            message.pk,
            message.task,
            message.attempts,
            exc,
        )
        return FAILED
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=timezone.now(), last_error="")
    return SENT


class _Breaker:
    """After a failed send, this process skips the after-commit attempts for BREAKER_OPEN:
    during an outage each would cost a request a connection attempt (up to the broker's
    socket timeout against a Redis that hangs) for nothing. The relay keeps trying, and sends
    what was skipped within seconds of the broker's return."""

    def __init__(self) -> None:
        self.failed_at = -1e9

    def open(self) -> bool:
        return time.monotonic() - self.failed_at < BREAKER_OPEN.total_seconds()

    def trip(self) -> None:
        self.failed_at = time.monotonic()

    def reset(self) -> None:
        self.failed_at = -1e9


breaker = _Breaker()


def outbox_send(*, message_id: int, now: dt.datetime | None = None, retry: bool = True) -> bool:
    """One attempt to hand a recorded message to the broker (True if it took it; False if it
    did not, or the message is already sent, not due, or being sent by someone else).

    Never raises: a failure is recorded on the row and the row postponed for the relay.
    `retry=False` (the attempt right after a commit, inside a request) fails fast: the broker
    client does not retry, and nothing is tried for a few seconds after a failure.
    """
    if not retry and breaker.open():
        return False
    outcome = _attempt(message_id, now or timezone.now(), retry)
    if outcome == FAILED:
        breaker.trip()
    elif outcome == SENT:
        breaker.reset()
    return outcome == SENT


@dataclass(frozen=True)
class RelayResult:
    sent: int
    waiting: int
    deleted: int


def outbox_relay(*, now: dt.datetime | None = None, batch: int = RELAY_BATCH) -> RelayResult:
    """Send every recorded message that is due and unsent, oldest first.

    Stops at the first failure (the broker is down: the others would fail too and only slow
    the pass); that message waits its backoff, the others stay due for the next pass. Also
    deletes messages sent more than KEEP_SENT ago. Safe to run from several places at once.
    """
    now = now or timezone.now()
    sent = 0
    due = list(
        OutboxMessage.objects.filter(sent_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:batch]
    )
    for message_id in due:
        outcome = _attempt(message_id, now, retry=True)
        if outcome == SENT:
            sent += 1
            breaker.reset()
        elif outcome == FAILED:
            break
    deleted, _ = (
        OutboxMessage.objects.filter(sent_at__lt=now - KEEP_SENT)
        .filter(Q(done_at__isnull=False) | Q(started_at__isnull=True))
        .delete()
    )
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    if sent or deleted:
        logger.info("Outbox relay: %s sent, %s waiting, %s old deleted", sent, waiting, deleted)
    return RelayResult(sent=sent, waiting=waiting, deleted=deleted)


def outbox_run_once(*, key: str, work: Callable[[], object]) -> bool:
    """Run `work` once for the outbox message `key`, however often the message is delivered
    (True if it ran now). For tasks whose work cannot be repeated harmlessly: an e-mail.

    The message is claimed with a conditional UPDATE before the work and marked done after
    it. If the work raises, the message goes back to the outbox, unsent, and the error is
    raised: the relay delivers it again after its backoff, for as long as the work fails (a
    mail server down for hours loses nothing). A delivery for a key the outbox does not hold
    (a task called by hand) just runs.
    """
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(key=key, done_at__isnull=True)
        .filter(Q(started_at__isnull=True) | Q(started_at__lt=now - RUN_LEASE))
        .update(started_at=now)
    )
    if not claimed:
        if OutboxMessage.objects.filter(key=key).exists():
            logger.info("Outbox message %s: already done or in progress; not run again", key)
            return False
        work()
        return True
    try:
        work()
    except BaseException as exc:
        mine = OutboxMessage.objects.filter(key=key, started_at=now, done_at__isnull=True)
        attempts = mine.values_list("attempts", flat=True).first() or 1
        mine.update(
            started_at=None,
            sent_at=None,
            due_at=timezone.now() + _backoff(attempts),
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    OutboxMessage.objects.filter(key=key).update(done_at=timezone.now())
    return True
