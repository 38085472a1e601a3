"""Profile a re-brief fan-out in one process: where a trip's ~1.3 s of process time goes.

Run: .venv/bin/python bench/profile_fanout.py [--trips 40] [--top 40]
Same set-up as `make bench` (its own PostgreSQL database, default `bench_profile`), but the
tasks run eagerly in this process (re-assessment, renders, e-mails), under cProfile; prints
the process time per trip and the functions with the most cumulative time, and writes the
profile to data/bench-profile/fanout.prof (for snakeviz or pstats).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trips", type=int, default=40)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()

    from bench import run

    work = ROOT / "data" / "bench-profile"
    shutil.rmtree(work, ignore_errors=True)
    os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_profile")
    run.environment(work)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    run.fresh_database()

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from bench import scenarios

    bench = scenarios.Bench(args=argparse.Namespace(tiny=False), work=work)
    scenarios.import_countries(["KZ", *scenarios.FANOUT_OTHERS])
    trips = bench._fanout_trips(args.trips, ["KZ", *scenarios.FANOUT_OTHERS], "profiled")

    profiler = cProfile.Profile()
    began, cpu = time.perf_counter(), time.process_time()
    profiler.enable()
    scenarios.publish_material_change("KZ", "Protests in Almaty.")
    profiler.disable()
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    print(
        f"{len(trips)} trips: {wall:.1f} s wall, {cpu:.1f} s process time, "
        f"{cpu * 1000 / len(trips):.0f} ms of process time a trip"
    )
    profiler.dump_stats(work / "fanout.prof")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
