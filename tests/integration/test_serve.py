"""`make serve` for real: scripts/serve.sh against PostgreSQL (a database of this test's own)
and Redis, on a free port: gunicorn answers /healthz/ green (so its Celery worker and beat are
up too), the login page, and a static file through WhiteNoise, its access log without a feed's
secret; one Ctrl-C stops everything.
And it refuses several gunicorn workers on SQLite unless told so."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.workers import broker_url, redis_or_skip

pytestmark = pytest.mark.integration

BASE_DIR = Path(settings.BASE_DIR)
SERVE = BASE_DIR / "scripts" / "serve.sh"


def unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_server() -> dict:
    """Where the test PostgreSQL runs: this run's own when it is on PostgreSQL, else the
    machine's on 127.0.0.1."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return {
            "host": db.get("HOST") or "127.0.0.1",
            "port": int(db.get("PORT") or 5432),
            "user": db.get("USER") or "postgres",
            "password": db.get("PASSWORD") or "",
        }
    return {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": ""}


@pytest.fixture
def serve_database():
    import psycopg

    server = postgres_server()
    name = f"portal_serve_{secrets.token_hex(4)}"
    try:
        admin = psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=3, **server)
    except psycopg.OperationalError as error:
        unavailable(f"PostgreSQL at {server['host']}:{server['port']} is unreachable: {error}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        credentials = server["user"] + (f":{server['password']}" if server["password"] else "")
        yield f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_make_serve_runs_the_portal_on_gunicorn_with_its_worker_and_scheduler(
    serve_database, tmp_path
):
    redis = broker_url()
    redis_or_skip(redis)
    port = free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "DATABASE_URL": serve_database,
        "CELERY_BROKER_URL": redis,
        # A queue of its own: its worker takes no other test's tasks.
        "CELERY_TASK_DEFAULT_QUEUE": f"serve-{secrets.token_hex(4)}",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "USE_X_FORWARDED_PROTO": "1",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "EMAIL_URL": "console:",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "WORKER_CONCURRENCY": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DEBUG", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        ["bash", str(SERVE)],
        cwd=BASE_DIR,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a process group of its own, as a terminal gives it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Migrating and collecting (and compressing) the static files comes first.
        deadline = time.monotonic() + 480
        health = (0, "")
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = get(f"{base}/healthz/")
            except OSError:
                health = (0, "")
            if health[0] == 200:
                break
            time.sleep(1)
        output = log.read_text(errors="replace")
        assert health[0] == 200, f"/healthz/ said {health}:\n{output[-4000:]}"
        assert '"status": "ok"' in health[1]
        assert f"Listening at: {base}" in output  # gunicorn's
        assert "celery@" in output  # the worker's banner
        assert "beat: Starting" in output

        # Behind the TLS proxy (USE_X_FORWARDED_PROTO): the page, with DEBUG off.
        https = {"X-Forwarded-Proto": "https"}
        status, page = get(f"{base}/accounts/login/", https)
        assert status == 200
        assert 'name="password"' in page
        stylesheet = re.search(r'href="(/static/[^"]+\.css)"', page)
        assert stylesheet, page
        assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet[1])  # WhiteNoise's manifest name
        assert get(f"{base}{stylesheet[1]}", https)[0] == 200

        # The access log masks the secret of a calendar feed's address (portal.logging).
        secret = secrets.token_urlsafe(32)
        assert get(f"{base}/calendar/{secret}.ics", https)[0] == 404
        deadline = time.monotonic() + 10
        while '"GET /calendar/[hidden].ics HTTP/1.1" 404' not in log.read_text(errors="replace"):
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-4000:]
            time.sleep(0.2)
        assert secret not in log.read_text(errors="replace")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    # gunicorn lets a worker finish what it serves for up to its graceful timeout (30 s), then
    # kills it: the group is gone within that and a margin, however loaded the machine.
    assert group_gone(process.pid, timeout=60), subprocess.run(
        ["ps", "-o", "pid,stat,args", "-g", str(process.pid)], capture_output=True, text=True
    ).stdout


def group_gone(pgid: int, *, timeout: float) -> bool:
    """Nothing of the process group is left running (the worker's pool, gunicorn's workers)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.5)
    return False


def test_make_serve_refuses_several_gunicorn_workers_on_sqlite(tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "WEB_CONCURRENCY": "3",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("SERVE_ALLOW_SQLITE_WORKERS", None)

    result = subprocess.run(
        ["bash", str(SERVE)], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 2
    assert "refusing to start 3 gunicorn workers on SQLite" in result.stderr
    assert "SERVE_ALLOW_SQLITE_WORKERS=1" in result.stderr
    assert not (tmp_path / "portal.sqlite3").exists()  # nothing was started or migrated
