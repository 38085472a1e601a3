"""`make bench` at tiny sizes: the whole harness (its own PostgreSQL database, Redis, real
Celery workers and gunicorn) runs end to end and writes every metric of issue 18's table with
numbers. No time is asserted: the figures of a smoke run mean nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.workers import broker_url, redis_or_skip

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

# Every metric of the table, with whether it is measured against a baseline.
METRICS = {
    "assessment_growth": True,
    "assessment_queries_small": False,
    "assessment_queries_large": False,
    "briefing_render": True,
    "rebrief_fanout_s": True,
    "rebrief_soonest_first": False,
    "worker_rss_mb": False,
    "worker_scaling": True,
    "api_trips_list": True,
    "api_trips_list_p99_ms": False,
    "locations_growth": True,
    "impacted_growth": True,
    "map_travellers_growth": True,
    "nearby_growth": True,
    "safety_check_5000_s": True,
    "page_queries": True,
    "page_queries.dashboard": True,
    "page_queries.trip": True,
    "page_queries.approvals": True,
    "page_queries.locations": True,
    "page_queries.incident": True,
    "booking_ingest": True,
    "feed_to_check_s": True,
}


def postgres_server_or_skip() -> str:
    """The server of the tests' PostgreSQL database, or the machine's (CI has one)."""
    configured = os.environ.get("DATABASE_URL", "")
    url = urlsplit(configured if configured.startswith("postgres") else "")
    server = url._replace(path="").geturl() if url.scheme else "postgres://postgres@127.0.0.1:5432"
    try:
        import psycopg

        psycopg.connect(f"{server}/postgres", connect_timeout=2).close()
    except Exception as exc:
        message = f"PostgreSQL at {server} is unreachable: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return server


def test_a_tiny_bench_run_writes_every_metric_with_numbers(tmp_path):
    server = postgres_server_or_skip()
    redis_or_skip(broker_url())
    name = f"bench_smoke_{uuid.uuid4().hex[:8]}"
    out = tmp_path / "results.json"
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": f"{server}/{name}",
        "BENCH_BROKER_URL": broker_url(),
        "BENCH_QUEUE": name,
        # Kept between runs for its collected static files (the rest is made afresh).
        "BENCH_WORK_DIR": str(ROOT / "data" / "bench-smoke"),
    }
    try:
        finished = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "run.py"), "--tiny", "--out", str(out)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        import psycopg

        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]

    results = json.loads(out.read_text())
    assert set(METRICS) <= set(results)
    for metric, has_baseline in METRICS.items():
        row = results[metric]
        assert set(row) == {"value", "unit", "baseline", "ratio"}, metric
        assert isinstance(row["value"], int | float), metric
        assert isinstance(row["unit"], str) and row["unit"], metric
        if has_baseline:
            assert isinstance(row["baseline"], int | float), metric
            assert isinstance(row["ratio"], int | float), metric
    assert 0 <= results["rebrief_soonest_first"]["value"] <= 1
    assert "name" in finished.stdout and "ratio" in finished.stdout  # the printed table
