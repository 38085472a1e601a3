"""Celery tasks of the incidents app: thin wrappers that take ids and call one service.

Beat entry (portal/settings.py): `incidents.tasks.alert_open_incidents` hourly."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from incidents import services
from incidents.checks import tasks as check_tasks  # noqa: F401 (imported: registers them)

TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, ConnectionError)


@shared_task(
    name="incidents.tasks.alert_arriving_travellers",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def alert_arriving_travellers(incident_id: int) -> int:
    # Idempotent: each traveller is claimed before being e-mailed, so a second delivery
    # e-mails nobody twice.
    return services.incident_alert_arriving(incident_id=incident_id)


@shared_task(
    name="incidents.tasks.alert_open_incidents",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def alert_open_incidents() -> int:
    return services.incidents_alert_open()


@shared_task(
    name="incidents.tasks.send_all_clear",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def send_all_clear(incident_id: int) -> int:
    # Idempotent: each traveller is claimed before being e-mailed.
    return services.incident_all_clear_send(incident_id=incident_id)
