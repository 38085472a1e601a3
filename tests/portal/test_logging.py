"""Answer-link and calendar-feed tokens never reach the logs (portal.logging, settings.LOGGING):
runserver's request lines, Django's "Not Found" warnings, gunicorn's access log."""

from __future__ import annotations

import datetime as dt
import io
import logging
from types import SimpleNamespace

import pytest
from django.core.servers.basehttp import WSGIRequestHandler

from portal.logging import hide_url_secrets

ANSWER_TOKEN = "WzEyLDNd:1tXyZq:9kM_b-Qx2Yv3LzO8pE4rT0uWcJnHs6dAfGiKlVmNo"
FEED_TOKEN = "Yq3n0m9lHk2P7w_xvS4J-eUo5Tg8RbZcDaFi1L6rKsM"


@pytest.mark.parametrize(
    ("logged", "kept"),
    [
        (f"GET /checks/answer/{ANSWER_TOKEN}/ HTTP/1.1", "GET /checks/answer/[hidden]/ HTTP/1.1"),
        (f"/calendar/{FEED_TOKEN}.ics", "/calendar/[hidden].ics"),
        (
            f"https://portal.example/checks/answer/{ANSWER_TOKEN}",
            "https://portal.example/checks/answer/[hidden]",
        ),
        ("/checks/answer/WzEy%3A1tX/?x=1", "/checks/answer/[hidden]/?x=1"),
        ("GET /trips/12/calendar.ics HTTP/1.1", "GET /trips/12/calendar.ics HTTP/1.1"),
        ("GET /incidents/4/ HTTP/1.1", "GET /incidents/4/ HTTP/1.1"),
    ],
)
def test_the_secret_part_of_a_path_is_hidden_and_nothing_else(logged, kept):
    assert hide_url_secrets(logged) == kept


@pytest.fixture
def captured():
    """What the named logger's configured handlers write, into a buffer for the test."""
    buffers: dict[str, io.StringIO] = {}
    restore = []

    def capture(name: str) -> io.StringIO:
        buffer = buffers.setdefault(name, io.StringIO())
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler):
                restore.append((handler, handler.setStream(buffer)))
        return buffer

    yield capture
    for handler, stream in restore:
        handler.setStream(stream)


def test_runservers_request_line_is_logged_without_the_token(captured):
    written = captured("django.server")
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.requestline = f"POST /checks/answer/{ANSWER_TOKEN}/ HTTP/1.1"
    handler.request = None
    handler.client_address = ("127.0.0.1", 50000)

    handler.log_request(302, 0)

    line = written.getvalue()
    assert '"POST /checks/answer/[hidden]/ HTTP/1.1" 302 0' in line
    assert ANSWER_TOKEN not in line


@pytest.mark.django_db
def test_a_not_found_warning_names_the_path_without_the_token(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/calendar/{FEED_TOKEN}.ics").status_code == 404

    assert "Not Found: /calendar/[hidden].ics" in caplog.text
    assert FEED_TOKEN not in caplog.text


@pytest.mark.django_db
def test_a_head_request_on_an_answer_link_is_refused_without_logging_the_token(client, caplog):
    # Mail scanners open links with HEAD: refused quietly, the token in no log line.
    with caplog.at_level(logging.DEBUG):
        assert client.head(f"/checks/answer/{ANSWER_TOKEN}/").status_code == 405

    assert ANSWER_TOKEN not in caplog.text


@pytest.fixture
def gunicorn_access_log():
    """gunicorn's logger set up as `make serve` starts it (--access-logfile -), on the
    gunicorn.access logger settings.LOGGING configured; put back as it was afterwards."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    access = logging.getLogger("gunicorn.access")
    before = (list(access.handlers), access.propagate, access.level)
    config = Config()
    config.set("accesslog", "-")
    yield Logger(config)
    access.handlers[:] = before[0]
    access.propagate, access.level = before[1], before[2]


def test_gunicorns_access_log_hides_the_token_in_the_request_line_and_the_referer(
    gunicorn_access_log, captured, capsys
):
    written = captured("gunicorn.access")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/calendar/{FEED_TOKEN}.ics",
        "PATH_INFO": f"/calendar/{FEED_TOKEN}.ics",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "192.0.2.4",
        "HTTP_REFERER": f"https://portal.example/checks/answer/{ANSWER_TOKEN}/",
        "HTTP_USER_AGENT": "Calendar/1.0",
    }
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("USER-AGENT", "Calendar/1.0")])

    gunicorn_access_log.access(response, request, environ, dt.timedelta(milliseconds=12))

    line = written.getvalue()
    assert '"GET /calendar/[hidden].ics HTTP/1.1" 200 512' in line
    assert '"https://portal.example/checks/answer/[hidden]/"' in line
    assert FEED_TOKEN not in line and ANSWER_TOKEN not in line
    assert FEED_TOKEN not in capsys.readouterr().out
