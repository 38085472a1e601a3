"""Real `celery -A portal worker` processes for the integration and end-to-end tests, against
real Redis and the test database of this test run (a file for SQLite, the test database for
PostgreSQL). Test modules import the `celery_worker_factory` fixture from here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(settings.BASE_DIR)
CELERY = BASE_DIR / ".venv" / "bin" / "celery"


def broker_url() -> str:
    configured = os.environ.get("CELERY_BROKER_URL", "")
    return configured if configured.startswith("redis") else "redis://127.0.0.1:6379/15"


def redis_or_skip(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        message = f"Redis at {url} is unreachable: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        credentials = quote(db["USER"] or "", safe="")
        if db.get("PASSWORD"):
            credentials += ":" + quote(db["PASSWORD"], safe="")
        host = db.get("HOST") or "127.0.0.1"
        port = db.get("PORT") or 5432
        return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"
    raise NotImplementedError(connection.vendor)


class Worker:
    """One `celery -A portal worker` in its own process group, consuming a queue of its own
    (so concurrent test runs on one Redis never take each other's tasks)."""

    def __init__(self, *, queue: str, log_dir: Path, env: dict[str, str]):
        self.queue = queue
        self.log_dir = log_dir
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log: Path | None = None
        self.started = 0

    def start(self, *, render_delay: float = 0, mail_delay: float = 0) -> Worker:
        """Start the worker; with `render_delay`, every briefing render first sleeps that
        many seconds (tests/slow_worker.py), so a test can kill it mid-render; with
        `mail_delay`, every safety-check e-mail does (tests/slow_mail_worker.py)."""
        self.started += 1
        self.log = self.log_dir / f"worker-{self.started}.log"
        handle = self.log.open("wb")
        if render_delay:
            program = [sys.executable, "-m", "tests.slow_worker", str(render_delay)]
        elif mail_delay:
            program = [sys.executable, "-m", "tests.slow_mail_worker", str(mail_delay)]
        else:
            program = [str(CELERY)]
        self.process = subprocess.Popen(
            [
                *program,
                "-A",
                "portal",
                "worker",
                "-l",
                "info",
                "--pool=prefork",
                "--concurrency=1",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}-{self.started}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env={**os.environ, **self.env},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill it and its children at once
        )
        self.wait_for_log("ready.", timeout=60)
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def wait_for_log(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"The worker exited:\n{self.output()[-4000:]}")
            time.sleep(0.2)
        raise AssertionError(f"No {text!r} from the worker in {timeout}s:\n{self.output()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: the worker and its pool, no goodbye."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


def reset_producers(app) -> None:
    """Forget the connection pool and the cached queues and router (built from the settings
    on first use), so messages go to the broker and queue configured now."""
    app.__dict__.pop("amqp", None)
    app._pool = None


@pytest.fixture
def celery_worker_factory(settings, tmp_path):
    """Point this process's Celery app at Redis (eager off) and give the test a way to start
    workers that see the same database and private storage."""
    from portal.celery import app

    url = broker_url()
    redis_or_skip(url)
    queue = f"briefings-it-{uuid.uuid4().hex[:10]}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = {
        key: app.conf[key]
        for key in (
            "broker_url",
            "task_always_eager",
            "task_default_queue",
            "broker_transport_options",
        )
    }
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"visibility_timeout": 3600}
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    reset_producers(app)
    workers: list[Worker] = []
    env = {
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # Tasks a task enqueues (a safety check's batches) stay on this run's queue too.
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "PRIVATE_STORAGE_ROOT": str(settings.PRIVATE_STORAGE_ROOT),
        "EMAIL_URL": "locmem:",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    }

    def make(**extra_env: str) -> Worker:
        """A worker; keyword arguments override its environment (EMAIL_URL, ...)."""
        worker = Worker(queue=queue, log_dir=tmp_path, env={**env, **extra_env})
        workers.append(worker)
        return worker

    yield make
    for worker in workers:
        worker.stop()
    import redis

    redis.Redis.from_url(url).delete(queue)
    for key, value in saved.items():
        app.conf[key] = value
    reset_producers(app)
