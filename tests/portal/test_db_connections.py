"""Issue 23: `make run`'s development server keeps no database connection between requests
(each request is a thread of its own there, so a kept one is only left open), while gunicorn's
threads keep theirs; tests/integration/test_dev_server_connections.py counts them on
PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgres://portal@127.0.0.1:5432/portal"


def conn_max_age(*argv: str, database_url: str = POSTGRES) -> int:
    """CONN_MAX_AGE as the settings give it to a process started as ``argv``."""
    code = (
        "import sys, django; sys.argv = sys.argv[1:]; django.setup();"
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['CONN_MAX_AGE'])"
    )
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def test_the_development_server_closes_its_database_connection_after_each_request():
    assert conn_max_age("manage.py", "runserver", "127.0.0.1:8000") == 0


@pytest.mark.parametrize(
    "argv", [("gunicorn", "portal.wsgi"), ("manage.py", "migrate"), ("celery", "-A", "portal")]
)
def test_every_other_process_keeps_its_connection_for_a_minute(argv):
    assert conn_max_age(*argv) == 60
