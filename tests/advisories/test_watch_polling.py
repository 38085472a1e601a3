import contextlib
import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail

from advisories.models import Section, SourceRating, WatchedSource
from advisories.selectors import published_version
from advisories.watch import fetch as fetch_module
from advisories.watch.fetch import FetchError, fetch
from advisories.watch.services import backoff, source_poll
from core.audit import AuditEntry
from tests.advisories.watch_helpers import fcdo_changed, fixture, published_kazakhstan, watched
from tests.factories import content_admin

NOW = dt.datetime(2026, 12, 7, 6, 0, tzinfo=dt.UTC)


class Source:
    """A local HTTP server standing in for a source: it answers what the test says, 304 when
    the request's validators match the current ETag."""

    def __init__(self):
        self.body, self.status, self.etag, self.delay = b"", 200, '"v1"', 0.0
        self.requests: list[dict[str, str]] = []
        source = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                source.requests.append(dict(self.headers))
                if source.delay:
                    threading.Event().wait(source.delay)
                if source.status == 200 and self.headers.get("If-None-Match") == source.etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(source.status)
                self.send_header("ETag", source.etag)
                self.send_header("Last-Modified", "Mon, 07 Dec 2026 05:00:00 GMT")
                self.send_header("Content-Length", str(len(source.body)))
                self.end_headers()
                # The client may have given up (the timeout test): nothing to answer to.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(source.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/kazakhstan"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    source = Source()
    yield source
    source.close()


@pytest.fixture
def editors(db):
    return [content_admin(email="editor@example.org")]


def poll(source: WatchedSource, now=NOW):
    source.refresh_from_db()
    return source_poll(source=source, now=now)


def test_a_changed_fcdo_response_becomes_a_draft_with_its_note_and_content_admins_are_told(
    server, editors, django_capture_on_commit_callbacks
):
    published_kazakhstan(level=2)
    source = watched(url=server.url)
    server.body = fixture("fcdo_kazakhstan.json")
    assert poll(source).status == "baseline"
    server.body, server.etag = (
        fcdo_changed(
            alert_status=["avoid_all_but_essential_travel_to_whole_country"],
            note="Updated advice on the border with Kyrgyzstan.",
            paragraph="Protests in Zhanaozen have turned violent; avoid the town.",
        ),
        '"v2"',
    )
    with django_capture_on_commit_callbacks(execute=True):
        outcome = poll(source, NOW + dt.timedelta(days=1))
    assert outcome.status == "changed"
    source.refresh_from_db()
    assert source.change_unreviewed
    assert source.change_note == "Updated advice on the border with Kyrgyzstan."
    drafted = Section.objects.filter(advisory__country_id="KZ", body__contains="Zhanaozen")
    assert drafted.exists()
    # Nothing is published by itself.
    assert published_version("KZ").number == 1
    (email,) = mail.outbox
    assert email.to == ["editor@example.org"]
    assert email.subject == ("FCDO changed its advice for Kazakhstan: a draft awaits your review")
    assert "Their note: Updated advice on the border with Kyrgyzstan." in email.body
    assert (
        "FCDO: advise against all but essential travel to the whole country"
        " (4 on our scale; ours is 2)"
    ) in email.body

    assert AuditEntry.objects.filter(action="advisory.source_changed").count() == 1


def test_a_second_poll_with_no_change_does_nothing(
    server, editors, django_capture_on_commit_callbacks
):
    published_kazakhstan()
    source = watched(url=server.url)
    server.body = fixture("fcdo_kazakhstan.json")
    poll(source)
    sections = Section.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert poll(source, NOW + dt.timedelta(days=1)).status == "not_modified"
    assert server.requests[-1]["If-None-Match"] == '"v1"'
    assert server.requests[-1]["If-Modified-Since"] == "Mon, 07 Dec 2026 05:00:00 GMT"
    # A server that ignores the validators and sends the same text again: the same digest.
    server.etag = '"v1-again"'
    with django_capture_on_commit_callbacks(execute=True):
        assert poll(source, NOW + dt.timedelta(days=2)).status == "unchanged"
    assert Section.objects.count() == sections
    assert SourceRating.objects.count() == 1
    assert mail.outbox == []
    source.refresh_from_db()
    assert not source.change_unreviewed


def test_a_failing_source_keeps_its_last_good_state_and_its_error_and_backs_off(server, db):
    published_kazakhstan()
    source = watched(url=server.url)
    server.body = fixture("fcdo_kazakhstan.json")
    poll(source)
    source.refresh_from_db()
    digest = source.content_digest
    server.status = 500
    first = poll(source, NOW + dt.timedelta(days=1))
    second = poll(source, NOW + dt.timedelta(days=1, hours=1))
    assert (first.status, first.error) == ("failed", "HTTP 500 Internal Server Error")
    assert second.status == "failed"
    source.refresh_from_db()
    assert source.consecutive_failures == 2
    assert source.last_error == "HTTP 500 Internal Server Error"
    assert source.content_digest == digest
    assert source.last_success_at == NOW
    assert source.next_poll_at == NOW + dt.timedelta(days=1, hours=3)
    server.status = 200
    server.etag = '"v3"'
    assert poll(source, NOW + dt.timedelta(days=2)).status == "unchanged"
    source.refresh_from_db()
    assert (source.consecutive_failures, source.last_error) == (0, "")
    assert source.next_poll_at == NOW + dt.timedelta(days=3)


def test_a_response_the_parser_refuses_is_a_failure_not_a_draft(server, db):
    published_kazakhstan()
    source = watched(url=server.url)
    server.body = b"<html><body>Service unavailable</body></html>"
    outcome = poll(source)
    assert outcome.status == "failed"
    assert outcome.error.startswith("not JSON")
    source.refresh_from_db()
    assert (source.content_digest, source.etag) == ("", "")


def test_the_backoff_doubles_from_an_hour_and_stops_at_a_week():
    assert [backoff(n) for n in (1, 2, 3)] == [
        dt.timedelta(hours=1),
        dt.timedelta(hours=2),
        dt.timedelta(hours=4),
    ]
    assert backoff(30) == dt.timedelta(days=7)


def test_a_source_that_does_not_answer_in_time_is_a_timeout(server):
    server.delay = 2.0
    with pytest.raises(FetchError, match=r"no answer within 0\.5 seconds"):
        fetch(server.url, timeout=0.5)


def test_a_response_larger_than_the_limit_is_refused(server, monkeypatch):
    server.body = b"x" * 2048
    with pytest.raises(FetchError, match="larger than 1024 bytes"):
        fetch(server.url, max_bytes=1024)
    assert fetch_module.MAX_BYTES > 1024 * 1024


def test_the_scheduled_task_polls_only_the_sources_that_are_due(server, db, settings):
    from advisories.tasks import poll_watched_sources

    published_kazakhstan()
    server.body = fixture("fcdo_kazakhstan.json")
    due = watched(url=server.url)
    later = watched("us_state", url=server.url + "/not-yet")
    WatchedSource.objects.filter(pk=later.pk).update(
        next_poll_at=dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
    )
    assert poll_watched_sources() == 1
    due.refresh_from_db()
    assert due.last_success_at is not None
    assert "watch-sources" in settings.CELERY_BEAT_SCHEDULE
    assert (
        settings.CELERY_BEAT_SCHEDULE["watch-sources"]["task"]
        == "advisories.tasks.poll_watched_sources"
    )


def test_an_unexpected_error_is_kept_with_the_source_and_the_next_source_is_still_polled(
    server, db
):
    from advisories.tasks import poll_watched_sources

    published_kazakhstan()
    server.body = fixture("us_state_advisories.xml")
    broken = watched("fcdo", url=server.url)
    fine = watched("us_state", url=server.url + "?feed=us")

    def fetcher(url, **kwargs):
        raise UnicodeError("a response nobody expected")

    # Polled just now (the task below reads the real clock).
    assert source_poll(source=broken, fetcher=fetcher).status == "failed"
    broken.refresh_from_db()
    assert broken.last_error == "UnicodeError: a response nobody expected"
    assert poll_watched_sources() == 1  # the broken one waits for its backoff
    fine.refresh_from_db()
    assert fine.last_success_at is not None
