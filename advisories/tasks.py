"""Scheduled work of the advisories app: polling the watched official sources."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from advisories.models import WatchedSource
from advisories.watch import selectors as watch_selectors
from advisories.watch import services as watch_services
from core.mail import send_templated
from core.outbox import outbox_run_once


@shared_task(acks_late=True, reject_on_worker_lost=True)
def poll_watched_sources() -> int:
    """Poll every enabled source that is due (each keeps its own interval and backoff). A
    source's failure is kept with it and does not stop the others."""
    now = timezone.now()
    polled = 0
    for source in watch_selectors.sources_due(now=now).select_related("country"):
        watch_services.source_poll(source=source, now=now)
        polled += 1
    return polled


@shared_task(
    name="advisories.tasks.send_source_changed_email",
    acks_late=True,
    reject_on_worker_lost=True,
    # No Celery retries: the outbox delivers a failed e-mail again, once per key.
)
def send_source_changed_email(source_id: int, key: str, changes: list[str] | None = None) -> bool:
    def send() -> None:
        source = WatchedSource.objects.select_related("country").get(pk=source_id)
        send_templated(
            "source-changed",
            {
                "source": source,
                "label": watch_selectors.SOURCE_LABELS.get(source.kind, source.get_kind_display()),
                "changes": changes or [],
                "ratings": watch_selectors.country_ratings(source.country_id),
            },
            watch_services.content_admin_emails(),
        )

    return outbox_run_once(key=key, work=send)
