"""Celery tasks of the incidents app: thin wrappers that take ids and call one service.

Beat entries (portal/settings.py): `incidents.tasks.alert_open_incidents` hourly,
`incidents.tasks.poll_hazard_feeds` every minute (each feed is polled when its own interval
says so)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from incidents import services
from incidents.checks import tasks as check_tasks  # noqa: F401 (imported: registers them)
from incidents.feeds import services as feed_services

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


@shared_task(name="incidents.tasks.poll_hazard_feeds", acks_late=True, reject_on_worker_lost=True)
def poll_hazard_feeds() -> int:
    """The beat's tick: one task per feed that is due, so a slow feed delays no other."""
    due = feed_services.feeds_due()
    for feed_id in due:
        poll_hazard_feed.delay(feed_id)
    return len(due)


@shared_task(name="incidents.tasks.poll_hazard_feed", acks_late=True, reject_on_worker_lost=True)
def poll_hazard_feed(feed_id: int) -> str:
    # Claimed before it is fetched (next_poll_at moves on), so two deliveries poll it once.
    return feed_services.feed_poll(feed_id=feed_id)


@shared_task(
    name="incidents.tasks.send_feed_notice",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def send_feed_notice(notice_id: int, key: str) -> bool:
    # Run once per key (core.outbox.outbox_run_once): a second delivery e-mails nobody.
    return feed_services.feed_notice_send(notice_id=notice_id, key=key)
