"""Who an incident touches, over 300,000 stops on PostgreSQL: the impacted-travellers selector
with the Stop index (country, departure, arrival) against the same query without it.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal .venv/bin/python \
         bench/bench_impacted.py [--stops 300000] [--runs 15]
Creates a throwaway database (test_<name>), fills it, prints the median and best milliseconds
of incident_impacted() with and without the index, the ratio, and PostgreSQL's plan; then
drops the database. Refuses to run on SQLite: the index is for PostgreSQL's planner.

Measured (2 vCPU shared with other work, load ~5, --runs 15; 300,000 stops over three years
in ten countries, 10% in Kazakhstan; 189 overlap the window, 61 of trips going ahead): with
the index median 36 ms, best 15 ms; without, median 64 ms, best 60 ms. The rows' query itself
runs in ~1.5 ms (189 index lookups by id, then nested loops over trips and travellers);
without the index the ids' query reads all 30,000 Kazakh stops. Joined in one query,
PostgreSQL misjudged the overlap (7,500 stops expected, 189 found) and hash-joined all 50,000
trips going ahead (~30 ms): hence the two queries in incidents.selectors._candidate_stops.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from advisories.models import Place  # noqa: E402
from incidents.models import Incident  # noqa: E402
from incidents.selectors import _candidate_stops, incident_impacted  # noqa: E402
from trips.models import Stop, Trip  # noqa: E402

COUNTRIES = ["KZ", "UZ", "KG", "TJ", "MN", "GB", "US", "DE", "FR", "TR"]
STATUSES = ["approved", "cleared", "completed", "cancelled", "draft", "pending_approval"]


def fill(stops: int, seed: int = 31030) -> Incident:
    rng = random.Random(seed)
    almaty = Place.objects.create(country_id="KZ", name="Almaty")
    astana = Place.objects.create(country_id="KZ", name="Astana")
    users = User.objects.bulk_create(User(username=f"traveller{n}") for n in range(5_000))
    start = dt.date(2025, 1, 1)
    trips_count = stops // 3
    trips = Trip.objects.bulk_create(
        (
            Trip(
                traveller=users[n % len(users)],
                created_by=users[n % len(users)],
                purpose=f"Trip {n}",
                status=rng.choice(STATUSES),
            )
            for n in range(trips_count)
        ),
        batch_size=5_000,
    )
    batch: list[Stop] = []
    for trip in trips:
        arrival = start + dt.timedelta(days=rng.randrange(3 * 365))
        for position in range(3):
            departure = arrival + dt.timedelta(days=rng.randrange(1, 6))
            code = rng.choice(COUNTRIES)
            place = rng.choice([almaty, astana, None]) if code == "KZ" else None
            batch.append(
                Stop(
                    trip=trip,
                    position=position,
                    country_id=code,
                    place=place,
                    place_text="Shymbulak" if code == "KZ" and place is None else "",
                    arrival=arrival,
                    departure=departure,
                )
            )
            arrival = departure
        if len(batch) >= 10_000:
            Stop.objects.bulk_create(batch)
            batch = []
    Stop.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    incident = Incident.objects.create(
        title="Blast", category="terrorism", country_id="KZ", starts_on=dt.date(2026, 6, 10)
    )
    incident.places.set([almaty])
    return incident


def timed(incident: Incident, runs: int) -> tuple[list[float], int]:
    times, rows = [], 0
    for _ in range(runs):
        began = time.perf_counter()
        rows = len(incident_impacted(incident=incident, on=dt.date(2026, 6, 11)))
        times.append((time.perf_counter() - began) * 1000)
    return times, rows


def plan(incident: Incident) -> str:
    """PostgreSQL's plan of the rows' query (the ids' query before it is a plain index scan)."""
    sql, params = _candidate_stops(incident).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stops", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL server: the index is for its planner.")
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        began = time.perf_counter()
        incident = fill(args.stops)
        print(
            f"{Stop.objects.count():,} stops, {Trip.objects.count():,} trips "
            f"(filled in {time.perf_counter() - began:.0f} s)"
        )
        with_index, rows = timed(incident, args.runs)
        print(
            f"with the index:    median {statistics.median(with_index):7.1f} ms, "
            f"best {min(with_index):7.1f} ms ({rows} rows)"
        )
        print(plan(incident))
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX stop_country_dates")
            without, rows_without = timed(incident, args.runs)
            print(
                f"without the index: median {statistics.median(without):7.1f} ms, "
                f"best {min(without):7.1f} ms ({rows_without} rows)"
            )
            print(plan(incident))
            transaction.set_rollback(True)
        assert rows == rows_without
        print(
            f"ratio without/with (medians): "
            f"{statistics.median(without) / statistics.median(with_index):.1f}x"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
