"""Celery tasks of safety checks: thin wrappers that take ids and call one service
(incidents/checks/services.py), registered through incidents/tasks.py.

Beat entry (portal/settings.py): `incidents.check_tasks.checks_tick` every minute.
The registered names keep the module path these tasks had before they moved into
incidents/checks/ ("incidents.check_tasks.<name>"): the outbox table and the broker hold them
as strings, so queued work and the beat entry still find their task. Never rename them.
Every send is claimed on its row before it goes out, so a duplicate delivery, a retry or a
worker killed and restarted e-mails nobody twice.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from incidents.checks import services as check_services

# Worth another try: the database or the mail server blinked.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, ConnectionError)
RETRYING = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 120,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="incidents.check_tasks.check_ask_cycle", **RETRYING)
def check_ask_cycle(check_id: int, cycle: int) -> int:
    """Split a later cycle (or one the tick heals) into batches of e-mails, one task each.
    A check's first cycle needs no such step: its start queues the batches itself."""
    return check_services.check_queue_asks(check_id=check_id, cycle=cycle)


@shared_task(name="incidents.check_tasks.check_send_asks", **RETRYING)
def check_send_asks(check_id: int, cycle: int, recipient_ids: list[int]) -> int:
    return check_services.check_send_asks(
        check_id=check_id, cycle=cycle, recipient_ids=recipient_ids
    )


@shared_task(name="incidents.check_tasks.check_alert_help", **RETRYING)
def check_alert_help(recipient_id: int) -> bool:
    return check_services.check_alert_help(recipient_id=recipient_id)


@shared_task(name="incidents.check_tasks.check_escalate", **RETRYING)
def check_escalate(check_id: int) -> bool:
    return check_services.check_escalate(check_id=check_id)


@shared_task(name="incidents.check_tasks.checks_tick")
def checks_tick() -> dict[str, int]:
    return check_services.checks_tick()
