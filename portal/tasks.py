"""Celery tasks of the portal itself. Beat entries (portal/settings.py):
`portal.tasks.erase_expired_personal_data` daily and `portal.tasks.relay_outbox` every few
seconds."""

from __future__ import annotations

from celery import shared_task
from celery.signals import beat_init

from core.outbox import outbox_relay
from portal.health import scheduler_heartbeat_record
from portal.privacy import trips_erase_expired


@shared_task(name="portal.tasks.erase_expired_personal_data", acks_late=True)
def erase_expired_personal_data() -> list[int]:
    return trips_erase_expired()


@shared_task(name="portal.tasks.relay_outbox", ignore_result=True)
def relay_outbox() -> dict[str, int]:
    """Send the outbox messages whose after-commit attempt failed (the broker was down)."""
    result = outbox_relay()
    return {"sent": result.sent, "waiting": result.waiting, "deleted": result.deleted}


@shared_task(name="portal.tasks.scheduler_heartbeat", ignore_result=True)
def scheduler_heartbeat() -> None:
    """Beat sends this every minute; /healthz/ reports the scheduler down when it stops."""

    scheduler_heartbeat_record()


@beat_init.connect
def heartbeat_at_start(sender=None, **kwargs) -> None:
    """A heartbeat as soon as beat starts, not a minute later: /healthz/ is green once the
    processes are up (the schedule's first interval only begins then)."""
    scheduler_heartbeat.apply_async(expires=55)
