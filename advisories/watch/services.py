"""Writes of watched sources: a poll (conditional GET, backoff), a reading applied (its rating
kept; a changed text imported as a draft, content admins told), and the reviews that clear a
source's flags. Nothing here publishes: a content admin publishes the draft, or not."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from advisories.diffs import changes_in_words, draft_diff
from advisories.importers.documents import DocumentError
from advisories.importers.drafts import DraftImportError, document_import_draft, document_parse
from advisories.models import SourceRating, WatchedSource
from advisories.selectors import advisory_snapshot, published_version
from advisories.watch.fetch import Fetched, FetchError, fetch
from advisories.watch.parsers import parse_source
from advisories.watch.ratings import rating_for
from advisories.watch.reading import SourceFormatError, SourceReading
from core.audit import audit_record
from core.outbox import outbox_enqueue
from core.roles import CONTENT_ADMIN

logger = logging.getLogger(__name__)

# After n failures in a row the next poll waits 2**(n-1) hours (1, 2, 4, ...), never more
# than a week: a source that is down for a moment is read again soon, one that is gone is
# not hammered.
BACKOFF_FIRST = dt.timedelta(hours=1)
BACKOFF_MAX = dt.timedelta(days=7)


@dataclass(frozen=True)
class PollOutcome:
    source: WatchedSource
    status: str  # "not_modified" | "unchanged" | "baseline" | "changed" | "failed"
    error: str = ""


def backoff(failures: int) -> dt.timedelta:
    return min(BACKOFF_FIRST * (1 << min(max(0, failures - 1), 16)), BACKOFF_MAX)


def _rating_keep(*, source: WatchedSource, reading: SourceReading, now: dt.datetime) -> None:
    """A SourceRating row for this reading; a reading that repeats the latest rating only
    moves its retrieval time (the rating is confirmed as of now)."""
    latest = source.ratings.first()
    if latest is not None and (latest.code, latest.url, latest.updated_at) == (
        reading.rating_code,
        reading.url,
        reading.updated_at,
    ):
        SourceRating.objects.filter(pk=latest.pk).update(retrieved_at=now)
        return
    mapped = rating_for(reading.kind, reading.rating_code)
    SourceRating.objects.create(
        source=source,
        code=reading.rating_code,
        rating=reading.rating[:200],
        level=mapped.level if mapped else None,
        against_all_travel=bool(mapped and mapped.against_all_travel),
        retrieved_at=now,
        updated_at=reading.updated_at,
        url=reading.url[:500],
    )


def _draft_from(*, source: WatchedSource, reading: SourceReading) -> dict[str, object]:
    """The reading imported into the country's draft (merging into curated sections as the
    admin's document import suggests); what changed against the published advisory."""
    country = source.country
    parsed = document_parse(country=country, data=reading.document.encode("utf-8"), fmt="fcdo")
    mapped = rating_for(reading.kind, reading.rating_code)
    # A country without an advisory gets a draft one at the source's own level, for the
    # content admin to judge before anything is published.
    document_import_draft(country=country, parsed=parsed, level=mapped.level if mapped else 3)
    published = published_version(country.code)
    draft = advisory_snapshot(country) or {}
    before = published.content if published else None
    words = changes_in_words(before, draft)
    blocks = draft_diff(before, draft)
    return {
        "changes": [*words.levels, *words.others],
        "blocks": [block.title for block in blocks],
    }


@transaction.atomic
def source_reading_apply(
    *, source: WatchedSource, reading: SourceReading, now: dt.datetime | None = None
) -> str:
    """Keep the reading's rating; if the text changed since the last reading, import it as a
    draft and tell content admins. The first reading of a source is its baseline: the curated
    advisory was written from it, so it is kept, not imported. Returns "unchanged",
    "baseline" or "changed"."""
    now = now or timezone.now()
    source = WatchedSource.objects.select_for_update().select_related("country").get(pk=source.pk)
    _rating_keep(source=source, reading=reading, now=now)
    digest = reading.digest
    if digest == source.content_digest:
        return "unchanged"
    first = not source.content_digest
    source.content_digest = digest
    if first:
        source.save(update_fields=["content_digest"])
        audit_record(
            actor=None,
            action="advisory.source_baseline",
            obj=source,
            details={"country": source.country_id, "kind": source.kind, "rating": reading.rating},
        )
        return "baseline"
    draft = _draft_from(source=source, reading=reading)
    source.changed_at = now
    source.change_note = reading.change_note
    source.change_unreviewed = True
    source.save(update_fields=["content_digest", "changed_at", "change_note", "change_unreviewed"])
    audit_record(
        actor=None,
        action="advisory.source_changed",
        obj=source,
        details={
            "country": source.country_id,
            "kind": source.kind,
            "rating": reading.rating,
            "change_note": reading.change_note[:500],
            "digest": digest,
            **draft,
        },
    )
    key = f"source-changed:{source.pk}:{digest}"
    outbox_enqueue(
        task="advisories.tasks.send_source_changed_email",
        kwargs={"source_id": source.pk, "key": key, "changes": draft["changes"]},
        key=key,
    )
    return "changed"


def _failed(*, source: WatchedSource, error: str, now: dt.datetime) -> PollOutcome:
    # The last good state (digest, validators, ratings) is kept: only the failure is recorded.
    source.last_polled_at = now
    source.consecutive_failures += 1
    source.last_error = error[:2000]
    source.next_poll_at = now + backoff(source.consecutive_failures)
    source.save(
        update_fields=["last_polled_at", "consecutive_failures", "last_error", "next_poll_at"]
    )
    logger.warning(
        "Watched source %s failed (%s in a row): %s", source.pk, source.consecutive_failures, error
    )
    return PollOutcome(source, "failed", error)


def source_poll(
    *,
    source: WatchedSource,
    now: dt.datetime | None = None,
    fetcher: Callable[..., Fetched] = fetch,
) -> PollOutcome:
    """Read the source now: a conditional GET, then the reading applied. A failure (network,
    HTTP status, size, a response the parser or the importer refuses) is kept with the source
    and postpones its next poll by the backoff."""
    now = now or timezone.now()
    try:
        fetched = fetcher(source.url, etag=source.etag, last_modified=source.last_modified)
        if fetched.not_modified:
            status = "not_modified"
            # The source confirms what it said: its latest rating stands as of now.
            latest = source.ratings.first()
            if latest is not None:
                SourceRating.objects.filter(pk=latest.pk).update(retrieved_at=now)
        else:
            reading = parse_source(
                source.kind,
                fetched.body,
                country_code=source.country_id,
                country_name=source.country.name,
                url=source.url,
            )
            status = source_reading_apply(source=source, reading=reading, now=now)
            source.refresh_from_db()
            source.etag, source.last_modified = fetched.etag[:255], fetched.last_modified[:64]
    except (FetchError, SourceFormatError, DocumentError, DraftImportError) as exc:
        return _failed(source=source, error=str(exc), now=now)
    except Exception as exc:
        # Anything else a stranger's response provokes is this source's failure too: it is
        # kept with the source (and logged with its traceback), and the other sources are
        # still polled.
        logger.exception("Watched source %s: unexpected error", source.pk)
        return _failed(source=source, error=f"{exc.__class__.__name__}: {exc}", now=now)
    source.last_polled_at = source.last_success_at = now
    source.consecutive_failures = 0
    source.last_error = ""
    source.next_poll_at = now + dt.timedelta(hours=source.poll_hours)
    source.save(
        update_fields=[
            "etag",
            "last_modified",
            "last_polled_at",
            "last_success_at",
            "consecutive_failures",
            "last_error",
            "next_poll_at",
        ]
    )
    return PollOutcome(source, status)


def source_file_read(*, source: WatchedSource, data: bytes, now: dt.datetime | None = None) -> str:
    """One saved response, read as if just polled (``manage.py watch_sources --file``).
    Raises SourceFormatError, DocumentError or DraftImportError for a response it refuses."""
    reading = parse_source(
        source.kind,
        data,
        country_code=source.country_id,
        country_name=source.country.name,
        url=source.url,
    )
    return source_reading_apply(source=source, reading=reading, now=now)


def source_change_reviewed(*, source: WatchedSource, by: Any) -> None:
    """A content admin has looked at the draft a change made: the badge stops counting it."""
    WatchedSource.objects.filter(pk=source.pk).update(change_unreviewed=False)
    audit_record(actor=by, action="advisory.source_change_reviewed", obj=source)


def source_disagreement_reviewed(*, source: WatchedSource, by: Any) -> bool:
    """A content admin accepts the source's latest rating beside our level: the country is no
    longer flagged for it until the source rates it differently or our level changes. False
    when the source has no rating yet."""
    latest = source.ratings.first()
    if latest is None:
        return False
    published = published_version(source.country_id)
    source.reviewed_rating = latest.code
    source.reviewed_level = published.level if published else None
    source.save(update_fields=["reviewed_rating", "reviewed_level"])
    audit_record(
        actor=by,
        action="advisory.source_rating_reviewed",
        obj=source,
        details={"rating": latest.rating, "ours": source.reviewed_level},
    )
    return True


def content_admin_emails() -> list[str]:
    users = get_user_model().objects.filter(groups__name=CONTENT_ADMIN, is_active=True)
    return sorted({email for email in users.values_list("email", flat=True) if email})
