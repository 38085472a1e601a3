"""`make bench`: every performance target of the portal, each measured as a ratio against a
baseline taken in the same run (absolute times move threefold between machines), a count,
or memory.

Run: .venv/bin/python bench/run.py [--trips 500] [--only rebrief,api] [--tiny]
Sets up what CI has: a PostgreSQL database of its own (dropped and made afresh), Redis db 11
(its queue purged), real `celery -A portal worker` processes and, for the API, gunicorn, all on
loopback; generates its data itself; prints a table and writes bench/results.json:
{"name": {"value": number, "unit": "...", "baseline": number|null, "ratio": number|null}}.
The metrics are in bench/scenarios.py; docs/performance.md has a run's table and what each
optimisation bought.

  BENCH_DATABASE_URL  default postgres://postgres@127.0.0.1:5432/bench (dropped and re-made)
  BENCH_BROKER_URL    default redis://127.0.0.1:6379/11
  BENCH_QUEUE         default bench (the Celery queue; purged before each worker starts)
  BENCH_WORK_DIR      default data/bench (logs, PDFs, e-mails, static files)
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]

SIZES = {
    # name: (default, tiny) -- the tiny sizes are the test suite's smoke run.
    "trips": (500, 4),
    "baseline_sample": (12, 1),
    "render_runs": (7, 1),
    "catalogue": (250, 5),
    "api_trips": (20_000, 60),
    "api_seconds": (10.0, 1.0),
    "stops_small": (3_000, 30),
    "stops_large": (300_000, 300),
    "recipients": (5_000, 10),
    "page_rows_small": (10, 2),
    "page_rows_large": (1_000, 6),
    "booking_emails": (1_000, 5),
    "feed_travellers": (500, 5),
    "feed_items": (200, 20),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="the smoke run's sizes (seconds)")
    parser.add_argument("--only", default="", help="comma-separated groups of scenarios")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    for name, (default, _tiny) in SIZES.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=None)
    args = parser.parse_args(argv)
    for name, (default, tiny) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, tiny if args.tiny else default)
    return args


def environment(work: Path) -> None:
    """The environment of this process, its workers and gunicorn (before Django starts)."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DATABASE_URL": os.environ.get(
                "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench"
            ),
            "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/11"),
            "CELERY_TASK_DEFAULT_QUEUE": os.environ.get("BENCH_QUEUE", "bench"),
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "PORTAL_DATA_DIR": str(work),
            "PRIVATE_STORAGE_ROOT": str(work / "private"),
            "EMAIL_URL": f"file://{work / 'mail'}",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-" + secrets.token_hex(16),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_HSTS_SECONDS": "0",
            "API_THROTTLE_IP": "100000000/minute",
            "API_THROTTLE_USER": "100000000/minute",
            "API_THROTTLE_TOKEN": "100000/minute",
            "PORTAL_BASE_URL": "http://127.0.0.1",
        }
    )
    (work / "mail").mkdir(parents=True, exist_ok=True)


def fresh_database() -> None:
    import psycopg

    url = urlsplit(os.environ["DATABASE_URL"])
    if url.scheme not in ("postgres", "postgresql"):
        return  # SQLite: the file is new in the work folder
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def print_table(results: dict[str, dict]) -> None:
    def number(value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"

    print(f"\n{'name':34} {'value':>12} {'unit':10} {'baseline':>12} {'ratio':>8}")
    for name, row in results.items():
        print(
            f"{name:34} {number(row['value']):>12} {row['unit']:10} "
            f"{number(row['baseline']):>12} {number(row['ratio']):>8}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Stopped (Ctrl-C or kill), the run still stops the workers and gunicorn it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Static files are collected once and kept (collectstatic skips what has not changed);
    # everything else is new each run.
    work = Path(os.environ.get("BENCH_WORK_DIR") or ROOT / "data" / "bench")
    (work / "staticfiles").mkdir(parents=True, exist_ok=True)
    for child in work.iterdir():
        if child.name != "staticfiles":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    environment(work)
    sys.path.insert(0, str(ROOT))
    fresh_database()

    import django

    django.setup()
    from django.core.management import call_command

    began = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    # DEBUG is off, as in production: pages need the collected static files' manifest.
    call_command("collectstatic", verbosity=0, interactive=False)
    from bench import scenarios

    bench = scenarios.Bench(args=args, work=work)
    try:
        results = bench.run(only={g for g in args.only.split(",") if g})
    finally:
        bench.stop_processes()
    print_table(results)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten {args.out} in {time.perf_counter() - began:.0f} s (work folder {work})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
