"""Polling the hazard feeds configured in the admin, against a small HTTP server on this
machine (never the network): a conditional GET answered 304 changes nothing, a 500 or a
timeout keeps the last good state, records the error and backs off, and the next good answer
recovers; a failing feed is a detail of /healthz/, not the portal being down. Driven by the
scheduler's own task with a frozen clock."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.core.management import call_command

from incidents.feeds import fetch as fetch_module
from incidents.feeds.services import feed_poll
from incidents.models import HazardFeed, Incident, SafetyCheck
from incidents.tasks import poll_hazard_feeds
from portal import health
from tests.factories import employee, manager
from tests.incidents.feeds_helpers import NOW, feed, mails_to, there_now

pytestmark = pytest.mark.django_db

ETAG = '"usgs-2026-12-08T12:00"'


class FeedServer:
    """Answers each GET with the next of ``answers`` (status, body, headers, delay), keeping
    the requests' headers."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes, dict[str, str], float]] = []
        self.requests: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests.append(dict(self.headers.items()))
                status, body, headers, delay = server.answers.pop(0)
                time.sleep(delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/summary/4.5_day.geojson"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def answer(self, status=200, body=b"", headers=None, delay=0.0) -> None:
        self.answers.append((status, body, headers or {}, delay))


@pytest.fixture
def server():
    served = FeedServer()
    yield served
    served.httpd.shutdown()
    served.httpd.server_close()


@pytest.fixture
def usgs_feed(server):
    return HazardFeed.objects.create(
        name="USGS M4.5+ past day", kind="usgs", url=server.url, min_severity="warning"
    )


@pytest.fixture
def tick(django_capture_on_commit_callbacks):
    """The beat's tick at a given time, running what the outbox sends after each commit."""

    def run(at: dt.datetime) -> int:
        with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
            return poll_hazard_feeds.delay().get()

    return run


def test_a_feed_is_polled_when_due_and_an_unchanged_one_answers_304_changing_nothing(
    server, usgs_feed, tick
):
    server.answer(
        200,
        feed("usgs_summary.geojson"),
        {"ETag": ETAG, "Last-Modified": "Tue, 08 Dec 2026 11:59:00 GMT"},
    )

    assert tick(NOW) == 1

    usgs_feed.refresh_from_db()
    assert Incident.objects.count() == 3  # the M 4.7 is below the feed's minimum
    assert (usgs_feed.etag, usgs_feed.last_success_at) == (ETAG, NOW)
    assert usgs_feed.last_result == "3 created, 0 updated, 0 closed, 0 unchanged, 1 skipped"
    assert usgs_feed.next_poll_at == NOW + dt.timedelta(minutes=15)
    assert tick(NOW + dt.timedelta(minutes=5)) == 0  # not due yet: nothing fetched
    assert len(server.requests) == 1

    server.answer(304)
    tick(NOW + dt.timedelta(minutes=15))

    assert server.requests[1]["If-None-Match"] == ETAG
    assert server.requests[1]["If-Modified-Since"] == "Tue, 08 Dec 2026 11:59:00 GMT"
    usgs_feed.refresh_from_db()
    assert usgs_feed.last_result == "not modified"
    assert usgs_feed.etag == ETAG
    assert Incident.objects.count() == 3


def test_a_failing_feed_keeps_its_last_good_state_backs_off_and_recovers(server, usgs_feed, tick):
    server.answer(200, feed("usgs_summary.geojson"), {"ETag": ETAG})
    tick(NOW)

    server.answer(500, b"Internal Server Error")
    tick(NOW + dt.timedelta(minutes=15))

    usgs_feed.refresh_from_db()
    assert usgs_feed.consecutive_failures == 1
    assert "HTTP 500" in usgs_feed.last_error
    assert (usgs_feed.etag, usgs_feed.last_success_at) == (ETAG, NOW)
    assert Incident.objects.count() == 3
    # Twice its interval after one failure, four times after two.
    assert usgs_feed.next_poll_at == NOW + dt.timedelta(minutes=15 + 30)
    server.answer(500, b"Internal Server Error")
    tick(NOW + dt.timedelta(minutes=45))
    usgs_feed.refresh_from_db()
    assert usgs_feed.consecutive_failures == 2
    assert usgs_feed.next_poll_at == NOW + dt.timedelta(minutes=45 + 60)

    server.answer(200, feed("usgs_summary_revised.geojson"), {"ETag": '"v2"'})
    tick(NOW + dt.timedelta(minutes=105))

    usgs_feed.refresh_from_db()
    assert (usgs_feed.consecutive_failures, usgs_feed.last_error, usgs_feed.etag) == (0, "", '"v2"')
    assert Incident.objects.get(external_id="usgs:us7000almt").severity == "critical"


def test_a_feed_that_does_not_answer_in_time_is_a_failure_said_in_words(
    server, usgs_feed, monkeypatch
):
    monkeypatch.setattr(fetch_module, "READ_TIMEOUT_SECONDS", 0.2)
    server.answer(200, feed("usgs_summary.geojson"), delay=1.0)

    with time_machine.travel(NOW, tick=False):
        outcome = feed_poll(feed_id=usgs_feed.pk)

    assert outcome == "failed: the feed did not answer in time"
    usgs_feed.refresh_from_db()
    assert usgs_feed.consecutive_failures == 1
    assert not Incident.objects.exists()


def test_a_feed_larger_than_the_limit_is_refused(server, usgs_feed, monkeypatch):
    monkeypatch.setattr(fetch_module, "MAX_BYTES", 1024)
    server.answer(200, feed("usgs_summary.geojson"))

    with time_machine.travel(NOW, tick=False):
        outcome = feed_poll(feed_id=usgs_feed.pk)

    assert outcome == "failed: the feed is larger than 1 KB"
    assert not Incident.objects.exists()


def test_a_document_that_is_not_the_feeds_format_is_a_failure_too(server, usgs_feed):
    server.answer(200, b"<html>Down for maintenance</html>")

    with time_machine.travel(NOW, tick=False):
        feed_poll(feed_id=usgs_feed.pk)

    usgs_feed.refresh_from_db()
    assert "not USGS GeoJSON" in usgs_feed.last_error


def test_a_failing_feed_is_a_detail_of_healthz_not_the_portal_down(server, usgs_feed, monkeypatch):
    for name in health.CHECKS:
        monkeypatch.setitem(health.CHECKS, name, lambda: None)
    server.answer(503, b"")
    with time_machine.travel(NOW, tick=False):
        feed_poll(feed_id=usgs_feed.pk)

    report = health.health_report(details=True)

    assert report["status"] == "ok"
    (failing,) = report["details"]["hazard_feeds"]["failing"]
    assert failing["name"] == "USGS M4.5+ past day"
    assert "HTTP 503" in failing["error"]
    assert "hazard_feeds" not in health.public(report)


def test_a_critical_quake_near_a_traveller_starts_a_check_from_the_scheduler_alone(
    server, usgs_feed, tick
):
    manager(username="mara")
    there_now(traveller=employee(username="cora"))
    server.answer(200, feed("usgs_summary_revised.geojson"))

    tick(NOW)

    check = SafetyCheck.objects.get()
    assert check.incident.external_id == "usgs:us7000almt"
    assert check.started_by is None
    assert [m for m in mails_to("cora@example.com") if "Are you OK?" in m.subject]
    assert any(" from USGS: " in m.subject for m in mails_to("mara@example.com"))


@time_machine.travel(NOW, tick=False)
def test_import_incidents_reads_a_feed_file_and_says_what_it_did(tmp_path, capsys):
    path = tmp_path / "cap.xml"
    path.write_bytes(feed("cap_atom.xml"))

    call_command("import_incidents", str(path), "--format", "cap")

    out = capsys.readouterr().out
    assert "created: cap:KZ-MET-0901" in out
    assert "skipped: cap:KZ-MES-DRILL-7: status Exercise, not an actual alert" in out
    assert out.strip().endswith("2 created, 0 updated, 0 closed, 0 unchanged, 1 skipped.")

    path.write_bytes(feed("cap_cancel.xml"))
    call_command("import_incidents", str(path), "--format", "cap")
    assert "closed: cap:KZ-MES-2026-12-08-001" in capsys.readouterr().out


@time_machine.travel(NOW, tick=False)
def test_import_incidents_fetches_a_url_through_the_feeds_fetcher(server, capsys):
    server.answer(200, feed("gdacs_rss.xml"))

    call_command("import_incidents", server.url, "--format", "gdacs")

    assert "3 created" in capsys.readouterr().out
    assert server.requests[0]["User-Agent"].startswith("travel-risk-portal")


def test_import_incidents_refuses_a_file_that_is_not_its_format_in_words(tmp_path):
    from django.core.management.base import CommandError

    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"type": "Topology"}))

    with pytest.raises(CommandError, match="not USGS GeoJSON"):
        call_command("import_incidents", str(path), "--format", "usgs")


def test_a_cap_feed_that_links_to_its_messages_has_each_fetched(server, capsys):
    links = feed("cap_atom_links.xml").replace(
        b"https://alerts.example.kz/", server.url.rsplit("/", 2)[0].encode() + b"/"
    )
    server.answer(200, links)
    server.answer(200, feed("cap_alert_circle.xml"))
    server.answer(200, feed("cap_alert_polygon.xml"))

    with time_machine.travel(NOW, tick=False):
        call_command("import_incidents", server.url, "--format", "cap")

    assert "2 created" in capsys.readouterr().out
    assert len(server.requests) == 3
    assert Incident.objects.get(external_id="cap:KZ-MES-2026-12-08-001").severity == "critical"


def test_managers_configure_feeds_in_the_admin_and_see_a_failing_ones_error(server, usgs_feed):
    from tests.factories import logged_in

    server.answer(500, b"")
    with time_machine.travel(NOW, tick=False):
        feed_poll(feed_id=usgs_feed.pk)
    client = logged_in(manager())

    page = client.get("/admin/incidents/hazardfeed/")

    assert page.status_code == 200
    assert "Failing (1 in a row)" in page.content.decode()
    assert "HTTP 500" in page.content.decode()
    added = client.post(
        "/admin/incidents/hazardfeed/add/",
        {
            "name": "GDACS",
            "kind": "gdacs",
            "url": "ftp://www.gdacs.org/xml/rss.xml",
            "min_severity": "warning",
            "enabled": "on",
            "poll_minutes": "15",
        },
    )
    assert added.status_code == 200  # refused: only http and https are fetched
    assert not HazardFeed.objects.filter(name="GDACS").exists()


def test_poll_now_in_the_admin_polls_the_feed_and_says_how_it_went(server, usgs_feed):
    from tests.factories import logged_in

    server.answer(200, feed("usgs_summary.geojson"))
    client = logged_in(manager())

    page = client.post(
        "/admin/incidents/hazardfeed/",
        {"action": "poll_now", "_selected_action": [usgs_feed.pk]},
        follow=True,
    )

    assert "USGS M4.5+ past day: 3 created" in page.content.decode()
    assert Incident.objects.count() == 3
