"""Celery tasks of the briefings app: thin wrappers that take ids and call one service.

Beat entries (portal/settings.py): `briefings.tasks.send_reminders` daily and
`briefings.tasks.requeue_stuck_briefings` (the sweeper) every 30 seconds. Renders and e-mails
are sent through the outbox (core.outbox), so a message may arrive twice: each task is
idempotent.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from briefings import services

logger = logging.getLogger(__name__)

# Worth another try: the database or the storage blinked, or the machine was too busy.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, SoftTimeLimitExceeded)
MAX_RETRIES = 3


@shared_task(
    bind=True,
    name="briefings.tasks.render_briefing",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
)
def render_briefing(self, briefing_id: int) -> str:
    """Render one briefing. Duplicate deliveries find nothing to claim and do nothing.

    Transient errors are retried with exponential backoff (5 s, 10 s, 20 s, jittered); after
    the last retry, or at once for any other error (a template or content bug will not fix
    itself), the briefing is marked failed with its error for a manager to see and retry.
    """
    try:
        briefing = services.briefing_render(briefing_id=briefing_id)
    except TRANSIENT_ERRORS as exc:
        if self.request.retries < MAX_RETRIES:
            logger.warning("Briefing %s: transient error, retrying: %s", briefing_id, exc)
            raise  # autoretry_for schedules the retry with backoff
        services.briefing_fail(briefing_id=briefing_id, error=services.describe_failure(exc))
        logger.error("Briefing %s failed after %s retries: %s", briefing_id, MAX_RETRIES, exc)
        return "failed"
    except Exception as exc:
        logger.exception("Briefing %s failed", briefing_id)
        services.briefing_fail(briefing_id=briefing_id, error=services.describe_failure(exc))
        return "failed"
    return "ready" if briefing is not None else "skipped"


@shared_task(
    name="briefings.tasks.send_briefing_ready",
    acks_late=True,
    reject_on_worker_lost=True,
    # No Celery retries: an e-mail that fails goes back to the outbox, which delivers it again
    # (with backoff) until it is sent, and runs it once per key (core.outbox.outbox_run_once).
)
def send_briefing_ready(briefing_id: int, key: str) -> bool:
    return services.briefing_ready_email_send(briefing_id=briefing_id, key=key)


@shared_task(name="briefings.tasks.send_reminders")
def send_reminders() -> dict[str, int]:
    return services.briefing_send_reminders(today=timezone.localdate())


@shared_task(name="briefings.tasks.requeue_stuck_briefings", ignore_result=True)
def requeue_stuck_briefings() -> list[int]:
    return services.briefings_requeue_stuck()
