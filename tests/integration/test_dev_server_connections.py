"""Issue 23: `make run`'s server against PostgreSQL (a database of this test's own) keeps no
connection per request thread: 200 API requests, 20 at a time, leave at most a couple open
(they left 99, and PostgreSQL refused other clients)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.integration.test_serve import free_port, postgres_server, serve_database  # noqa: F401

pytestmark = pytest.mark.integration

BASE_DIR = Path(settings.BASE_DIR)
REQUESTS, AT_ONCE = 200, 20


def open_connections(name: str) -> int:
    import psycopg

    with psycopg.connect(dbname="postgres", connect_timeout=3, **postgres_server()) as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_the_development_server_leaves_no_connection_behind(serve_database, tmp_path):  # noqa: F811
    name = serve_database.rsplit("/", 1)[1]
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": serve_database,
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "DEBUG": "1",
        "DJANGO_SUPERUSER_PASSWORD": secrets.token_urlsafe(16),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    python = sys.executable
    for command in (
        ["migrate", "--noinput"],
        ["createsuperuser", "--noinput", "--username", "ops", "--email", "ops@example.com"],
    ):
        subprocess.run(
            [python, "manage.py", *command],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    process = subprocess.Popen(
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=BASE_DIR,
        env=env,
        stdout=(tmp_path / "runserver.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{base}/accounts/login/", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        login = urllib.request.Request(
            f"{base}/api/auth/token/",
            data=json.dumps(
                {"username": "ops", "password": env["DJANGO_SUPERUSER_PASSWORD"]}
            ).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=30) as response:
            token = json.loads(response.read())["token"]

        def trips(_: int) -> int:
            asked = urllib.request.Request(
                f"{base}/api/trips/", headers={"Authorization": f"Token {token}"}
            )
            with urllib.request.urlopen(asked, timeout=30) as response:
                return response.status

        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            statuses = list(pool.map(trips, range(REQUESTS)))
        assert statuses == [200] * REQUESTS
        # A request's connection closes as its response is finished: give the last a moment.
        deadline = time.monotonic() + 10
        while open_connections(name) > 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert open_connections(name) <= 2
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
