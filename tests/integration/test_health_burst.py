"""Issue 23: fifty concurrent /healthz/ requests on `make run`'s server (runserver, one thread
a request) against Redis, then a trip filed and submitted through the API: every health
request answers, and the submission (which queues its work through the broker pool that the
old worker ping exhausted) goes through."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.integration.test_serve import free_port
from tests.workers import broker_url, redis_or_skip

pytestmark = pytest.mark.integration

BASE_DIR = Path(settings.BASE_DIR)
BURST = 50


def request(
    url: str, *, body: dict | None = None, headers: dict | None = None, timeout: float = 30
) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    sent = urllib.request.Request(
        url,
        data=data,
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST" if data is not None else "GET",
    )
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture
def dev_server(tmp_path):
    """`make run`'s web server on a free port: a fresh SQLite database with the demo loaded,
    Redis as the broker (a queue of its own, and no worker: nothing answers the ping)."""
    redis = broker_url()
    redis_or_skip(redis)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "CELERY_BROKER_URL": redis,
        "CELERY_TASK_DEFAULT_QUEUE": f"burst-{secrets.token_hex(4)}",
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "EMAIL_URL": "console:",
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    python = sys.executable
    for command in (["migrate", "--noinput"], ["loaddemo"]):
        subprocess.run(
            [python, "manage.py", *command],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
    log = (tmp_path / "runserver.log").open("wb")
    process = subprocess.Popen(
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
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
        yield base
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_fifty_concurrent_health_checks_leave_the_server_able_to_file_a_trip(dev_server):
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        answers = list(
            pool.map(lambda _: request(f"{dev_server}/healthz/", timeout=30), range(BURST))
        )

    # No worker runs and no heartbeat was sent: down, and saying so, but answered.
    assert [status for status, _ in answers] == [503] * BURST
    assert all(body["down"] and "details" not in body for _, body in answers)

    status, token = request(
        f"{dev_server}/api/auth/token/", body={"username": "employee", "password": "demo"}
    )
    assert status == 200, token
    auth = {"Authorization": f"Token {token['token']}"}
    soon = dt.date.today() + dt.timedelta(days=20)
    status, trip = request(
        f"{dev_server}/api/trips/",
        body={
            "purpose": "Customer visit after the burst",
            "stops": [
                {
                    "country": "KZ",
                    "place": "Almaty",
                    "arrival": soon.isoformat(),
                    "departure": (soon + dt.timedelta(days=3)).isoformat(),
                }
            ],
        },
        headers=auth,
    )
    assert status == 201, trip
    status, submitted = request(
        f"{dev_server}/api/trips/{trip['id']}/submit/", body={}, headers=auth
    )
    assert status == 200, submitted
    assert submitted["status"] != "draft"
