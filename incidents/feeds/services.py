"""Feed items into incidents, and the polling of the feeds configured in the admin.

What a feed incident does (product.md, "Incidents from public feeds"): one that touches nobody
is stored quietly; one that touches travellers (there or arriving) tells the security managers
once per severity; a critical one with travellers there starts its safety check by itself,
once (a check a manager closed is not started again). Everything is audited with the feed's
name as ``via`` (core.audit.acting_as): no user acted."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from advisories.models import Country
from core import roles
from core.audit import acting_as
from core.errors import Conflict, InvalidInput
from core.mail import send_templated
from core.outbox import outbox_enqueue, outbox_run_once
from incidents import selectors
from incidents.checks.services import check_start
from incidents.feeds import FeedError, FeedItem, cap, gdacs, severity_at_least, usgs
from incidents.feeds.fetch import Fetched, FetchError, fetch
from incidents.models import (
    CheckStatus,
    FeedNotice,
    HazardFeed,
    Incident,
    SafetyCheck,
    Severity,
)
from incidents.services import (
    IncidentClosed,
    incident_close,
    incident_declare,
    incident_input_of,
)

logger = logging.getLogger(__name__)

PARSERS: dict[str, Callable[[bytes], list[FeedItem]]] = {
    "usgs": usgs.parse,
    "gdacs": gdacs.parse,
    "cap": cap.parse,
}
# A failing feed is polled again after its interval, doubled at each failure, at most this.
BACKOFF_MAX = dt.timedelta(hours=6)
# A poll claims its feed this long: a worker that dies mid-poll leaves it to the next one.
POLL_LEASE = dt.timedelta(minutes=10)


# A CAP feed that links to its messages: at most this many are fetched per reading.
CAP_LINKED_MAX = 100


def parse(kind: str, body: bytes) -> list[FeedItem]:
    if kind not in PARSERS:
        raise FeedError(f"unknown feed format {kind!r}: one of {', '.join(PARSERS)}")
    return PARSERS[kind](body)


def read_items(kind: str, body: bytes) -> list[FeedItem]:
    """The items of a document of ``kind``; for a CAP feed whose entries link to their
    messages rather than carry them, the messages fetched one by one (same fetcher, same
    limits). One message that cannot be read is left out; the others count."""
    try:
        return parse(kind, body)
    except FeedError:
        urls = cap.linked_messages(body) if kind == "cap" else []
        if not urls:
            raise
    items: list[FeedItem] = []
    unread = 0
    for url in urls[:CAP_LINKED_MAX]:
        try:
            items.extend(cap.parse(fetch(url).body))
        except (FetchError, FeedError) as exc:
            unread += 1
            logger.warning("CAP message %s left out: %s", url, exc)
    if unread and not items:
        raise FeedError(f"none of the {unread} CAP messages the feed links to could be read")
    return items


@contextlib.contextmanager
def acting_for(name: str) -> Iterator[None]:
    token = acting_as.set(name)
    try:
        yield
    finally:
        acting_as.reset(token)


@dataclass
class ImportResult:
    """What a reading of a feed did, item by item (external id, and why for a skipped one)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.closed)} closed, {len(self.unchanged)} unchanged, "
            f"{len(self.skipped)} skipped"
        )


def _referenced(item: FeedItem) -> Incident | None:
    """The incident of the earliest referenced message we hold (a CAP Update or Cancel)."""
    if not item.references:
        return None
    found = {
        incident.external_id: incident
        for incident in Incident.objects.filter(
            source=item.incident.source, external_id__in=item.references
        )
    }
    return next((found[ref] for ref in item.references if ref in found), None)


def _errors_in_words(exc: InvalidInput) -> str:
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.errors.items())


def _cancel(item: FeedItem, existing: Incident | None, result: ImportResult) -> None:
    if existing is None:
        result.skipped.append(f"{item.external_id}: withdrawn, and never imported")
        return
    try:
        incident_close(incident=existing, by=None)
    except IncidentClosed:
        result.unchanged.append(existing.external_id)
    except InvalidInput as exc:
        result.skipped.append(f"{item.external_id}: {_errors_in_words(exc)}")
    else:
        result.closed.append(existing.external_id)


def item_apply(*, item: FeedItem, min_severity: str, result: ImportResult) -> Incident | None:
    """Make one feed item an incident, or update or close the one it is. Returns the incident
    touched (None when the item was skipped or closed one)."""
    data = item.incident
    if item.skipped:
        result.skipped.append(f"{item.external_id}: {item.skipped}")
        return None
    existing = _referenced(item)
    if item.cancel:
        _cancel(item, existing, result)
        return None
    if existing is not None:
        # An Update carries on the incident of the message it references.
        data.external_id = existing.external_id
    else:
        existing = Incident.objects.filter(source=data.source, external_id=data.external_id).first()
    if data.country and not Country.objects.filter(code=data.country).exists():
        data.country = ""  # not a country the portal curates: the point says where it is
    if existing is None and not severity_at_least(data.severity, min_severity):
        result.skipped.append(f"{item.external_id}: {data.severity}, below the minimum")
        return None
    if existing is not None:
        # What a manager set on it stays: its curated places, its lookahead, and its end
        # when the feed says none. A closed incident stays closed (by hand or by a Cancel:
        # a later poll of the message it cancelled does not reopen it).
        data.places = [place.name for place in existing.places.all()]
        data.lookahead_days = existing.lookahead_days
        if data.ends_on is None or not existing.is_open:
            data.ends_on = existing.ends_on
        if incident_input_of(existing) == data:
            result.unchanged.append(data.external_id)
            return existing
    try:
        incident, created = incident_declare(data=data, by=None, auto_check=False)
    except InvalidInput as exc:
        result.skipped.append(f"{item.external_id}: {_errors_in_words(exc)}")
        return None
    (result.created if created else result.updated).append(incident.external_id)
    return incident


def feed_incident_follow_up(*, incident: Incident) -> None:
    """Tell the managers about a feed incident touching travellers (once per severity) and,
    when it is critical with travellers there, start its safety check (once)."""
    if not incident.is_open:
        return
    rows = selectors.incident_impacted(incident=incident)
    there = any(row.presence == "there" for row in rows)
    if not any(row.presence in ("there", "arriving") for row in rows):
        return  # touches nobody: stored quietly
    # The check first: the managers' e-mail then says it is under way.
    if (
        incident.severity == Severity.CRITICAL
        and there
        and not SafetyCheck.objects.filter(incident=incident).exists()
    ):
        with contextlib.suppress(Conflict):
            check_start(incident=incident, by=None, automatic=True)
    with transaction.atomic():
        notice, created = FeedNotice.objects.get_or_create(
            incident=incident, severity=incident.severity
        )
        if created:
            key = f"incidents.feed_notice:{notice.pk}:{uuid.uuid4().hex}"
            outbox_enqueue(
                task="incidents.tasks.send_feed_notice",
                kwargs={"notice_id": notice.pk, "key": key},
                key=key,
            )


def items_import(
    *, items: list[FeedItem], via: str, min_severity: str = Severity.INFO
) -> ImportResult:
    """Apply a feed's items in order (an Update after the Alert it changes), each in its own
    transaction: one bad item is skipped with its reason, never half-written."""
    result = ImportResult()
    if not any(item.references for item in items):
        # The most severe first (stably): a critical event's safety check starts before
        # the feed's hundreds of minor ones are read. Not when an item refers to another:
        # a CAP Update must follow the Alert it changes.
        ranks = Severity.values
        items = sorted(items, key=lambda item: -ranks.index(item.incident.severity))
    with acting_for(via):
        for item in items:
            incident = item_apply(item=item, min_severity=min_severity, result=result)
            if incident is not None:
                feed_incident_follow_up(incident=incident)
    return result


# --- polling -------------------------------------------------------------------------------


def _backoff(feed: HazardFeed) -> dt.timedelta:
    interval = dt.timedelta(minutes=feed.poll_minutes)
    delay: dt.timedelta = interval * 2 ** min(feed.consecutive_failures, 16)
    return min(delay, max(BACKOFF_MAX, interval))


def _claim(feed_id: int, now: dt.datetime, *, force: bool) -> bool:
    """Take the feed for this poll: due and enabled, or any feed asked for by hand (a manager
    trying a feed before enabling it). Moving next_poll_at on is the claim."""
    feeds = HazardFeed.objects.filter(pk=feed_id)
    if not force:
        feeds = feeds.filter(enabled=True).filter(
            Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
        )
    return bool(feeds.update(next_poll_at=now + POLL_LEASE, last_polled_at=now))


def feed_poll(*, feed_id: int, now: dt.datetime | None = None, force: bool = False) -> str:
    """Poll one feed if it is due (or ``force``): a conditional GET, its items imported. A
    failure keeps the last good state, records the error and postpones the next poll
    (doubling, capped). Returns what happened, in words."""
    now = now or timezone.now()
    if not _claim(feed_id, now, force=force):
        return "not due"
    feed = HazardFeed.objects.get(pk=feed_id)
    try:
        fetched = fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        if fetched.not_modified:
            outcome = "not modified"
        else:
            items = read_items(feed.kind, fetched.body)
            outcome = items_import(
                items=items, via=f"feed: {feed.name}", min_severity=feed.min_severity
            ).summary()
    except Exception as exc:
        # Whatever went wrong (the network, the document, a bug on our side) is this
        # feed's failure, shown in the admin and on /healthz/; the other feeds go on.
        if not isinstance(exc, FetchError | FeedError):
            logger.exception("Hazard feed %r: unexpected error", feed.name)
        _failed(feed, exc, now)
        return f"failed: {exc}"
    _succeeded(feed, fetched, outcome, now)
    return outcome


def _failed(feed: HazardFeed, exc: Exception, now: dt.datetime) -> None:
    feed.consecutive_failures += 1
    feed.last_error = f"{now:%Y-%m-%d %H:%M} UTC: {exc}"[:2000]
    feed.next_poll_at = now + _backoff(feed)
    feed.save(update_fields=["consecutive_failures", "last_error", "next_poll_at"])
    logger.warning(
        "Hazard feed %r failed (%s in a row): %s", feed.name, feed.consecutive_failures, exc
    )


def _succeeded(feed: HazardFeed, fetched: Fetched, outcome: str, now: dt.datetime) -> None:
    feed.consecutive_failures = 0
    feed.last_error = ""
    feed.last_success_at = now
    feed.last_result = outcome[:200]
    if not fetched.not_modified:
        feed.etag, feed.last_modified = fetched.etag[:300], fetched.last_modified[:100]
    feed.next_poll_at = now + dt.timedelta(minutes=feed.poll_minutes)
    feed.save(
        update_fields=[
            "consecutive_failures",
            "last_error",
            "last_success_at",
            "last_result",
            "etag",
            "last_modified",
            "next_poll_at",
        ]
    )


def feeds_due(*, now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        HazardFeed.objects.filter(enabled=True)
        .filter(Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now))
        .order_by("next_poll_at", "pk")
        .values_list("pk", flat=True)
    )


# --- the managers' notice ------------------------------------------------------------------


def _managers() -> list[str]:
    return list(
        User.objects.filter(groups__name=roles.MANAGER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def feed_notice_send(*, notice_id: int, key: str) -> bool:
    """E-mail the security managers that a feed incident touches travellers: once per key."""

    def send() -> None:
        notice = FeedNotice.objects.select_related("incident__country").get(pk=notice_id)
        incident = notice.incident
        rows = [
            row
            for row in selectors.incident_impacted(incident=incident)
            if row.presence in ("there", "arriving")
        ]
        url = settings.PORTAL_BASE_URL.rstrip("/") + reverse("incident-detail", args=[incident.pk])
        send_templated(
            "feed-incident",
            {
                "incident": incident,
                "rows": rows,
                "incident_url": url,
                "check_open": SafetyCheck.objects.filter(
                    incident=incident, status=CheckStatus.OPEN
                ).exists(),
            },
            _managers(),
        )

    return outbox_run_once(key=key, work=send)


# --- health --------------------------------------------------------------------------------


def feeds_health() -> dict[str, Any]:
    """The feeds' state for /healthz/'s details: a detail, never a failure (a feed that is
    down is not the portal being down)."""
    feeds = HazardFeed.objects.filter(enabled=True).order_by("name")
    return {
        "feeds": len(feeds),
        "failing": [
            {
                "name": feed.name,
                "consecutive_failures": feed.consecutive_failures,
                "last_success_at": feed.last_success_at.isoformat()
                if feed.last_success_at
                else None,
                "error": feed.last_error,
            }
            for feed in feeds
            if feed.failing
        ],
    }
