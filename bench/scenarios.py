"""The scenarios of `make bench` (bench/run.py sets up the database, Redis and Django first).

Each group measures one or more metrics of issue 18's table, each with its baseline from the
same run; `Bench.run` runs the groups in order (later ones share the earlier ones' data: a
bigger database is closer to a real one, and nothing measured depends on the other groups'
rows).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Group, User
from django.core.mail import send_mail
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from advisories.models import Advisory, Country, Section
from advisories.packs import pack_import
from advisories.services import advisory_publish
from briefings import rendering, selectors
from briefings.models import Briefing, BriefingStatus
from core import roles
from core.lib.phones import phone_display
from core.models import TravellerProfile
from incidents.models import CheckRecipient, Incident
from trips import selectors as trip_selectors
from trips.models import Stop, Trip, TripStatus
from trips.services import assessment_store

ROOT = Path(__file__).resolve().parents[1]
DEMO_PACK = ROOT / "advisories" / "content" / "demo-pack.json"
CELERY = Path(sys.executable).parent / "celery"
GUNICORN = Path(sys.executable).parent / "gunicorn"

# The re-brief fan-out's countries: Kazakhstan (the shipped content) and neighbours cloned
# from it.
FANOUT_OTHERS = ["UZ", "KG", "TJ"]
ASSESS_COUNTRIES = ["KZ", "UZ", "KG"]
GROWTH_COUNTRY = "TR"  # who-is-where and the incident's impacted list
SAFETY_COUNTRY = "MN"  # the safety check's recipients
PAGES_COUNTRY = "NZ"  # the pages' rows
# The map group's countries, each with its capital (degrees): stops are located around it.
MAP_CAPITALS = {
    GROWTH_COUNTRY: (41.0082, 28.9784),  # Istanbul: the point incident's centre
    "DE": (52.52, 13.405),
    "FR": (48.8566, 2.3522),
    "US": (38.9072, -77.0369),
    "GB": (51.5072, -0.1276),
    "IT": (41.9028, 12.4964),
    "ES": (40.4168, -3.7038),
    "JP": (35.6762, 139.6503),
    "BR": (-15.7939, -47.8828),
    "IN": (28.6139, 77.209),
}
NATIONALITIES = ["GB", "US", "DE", "FR"]
SECTIONS_PER_COUNTRY = 30
RULES_PER_COUNTRY = 10


def median_ms(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            pids.extend(process_tree(int(child)))
    return pids


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give in time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# --- content -----------------------------------------------------------------------------------


def demo_pack() -> dict:
    return json.loads(DEMO_PACK.read_text())


def country_entry(template: dict, code: str) -> dict:
    """The Kazakh entry of the demo pack, re-keyed for `code`, with 30 sections and 10 rules
    (sections beyond the demo's 21 are copies of the first ones under new keys)."""
    prefix = code.lower()
    entry = copy.deepcopy(template)
    entry["code"] = code
    for item in [*entry["advisory"]["sections"], *entry["rules"]]:
        item["key"] = f"{prefix}-{item['key'].removeprefix('kz-')}"
    sections = entry["advisory"]["sections"]
    extra = []
    for index in range(SECTIONS_PER_COUNTRY - len(sections)):
        section = copy.deepcopy(sections[index % len(sections)])
        section["key"] = f"{prefix}-extra-{index}"
        extra.append(section)
    entry["advisory"]["sections"] = sections + extra
    entry["rules"] = entry["rules"][:RULES_PER_COUNTRY]
    # The Kazakh numbers as dialled from anywhere: a domestic "8-717-..." is no number in
    # another country's plan, and packs are checked for that.
    for contact in entry["emergency_contacts"]:
        contact["number"] = (
            phone_display(contact["number"], region="KZ").international or (contact["number"])
        )
    return entry


def import_countries(codes: Iterable[str]) -> None:
    pack = demo_pack()
    template = pack["countries"][0]
    countries = []
    for code in codes:
        if code == "KZ":
            countries.append(template)
        else:
            countries.append(country_entry(template, code))
    pack["countries"] = countries
    pack_import(pack)


def publish_material_change(code: str, note: str) -> None:
    """A content admin edits the advisory's summary and first section, and publishes."""
    advisory = Advisory.objects.get(country_id=code)
    advisory.summary = f"{advisory.summary} {note}"
    advisory.save()
    section = Section.objects.filter(advisory=advisory).order_by("order", "pk").first()
    section.body = f"{section.body}\n\n{note}"
    section.save()
    country = Country.objects.get(pk=code)
    advisory_publish(country=country, by=None, change_note=note, material=True)


# --- people and trips --------------------------------------------------------------------------


def make_users(prefix: str, count: int, role: str = roles.EMPLOYEE) -> list[User]:
    users = User.objects.bulk_create(
        User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.com", first_name="Bench")
        for n in range(count)
    )
    TravellerProfile.objects.bulk_create(
        TravellerProfile(user=user, nationality=NATIONALITIES[n % len(NATIONALITIES)])
        for n, user in enumerate(users)
    )
    group = Group.objects.get(name=role)
    membership = User.groups.through
    membership.objects.bulk_create(membership(user=user, group=group) for user in users)
    return users


def make_trips(
    itineraries: list[tuple[User, str, list[tuple[Any, ...]]]],
    *,
    batch: int = 5_000,
) -> list[Trip]:
    """Trips from (traveller, status, [(country, place text, arrival, departure), ...]); a
    stop may add (latitude, longitude): located by its booking."""
    trips = Trip.objects.bulk_create(
        (
            Trip(
                traveller=traveller,
                created_by=traveller,
                purpose=f"Bench trip {n}",
                status=status,
                first_arrival=min(s[2] for s in stops),
                last_departure=max(s[3] for s in stops),
            )
            for n, (traveller, status, stops) in enumerate(itineraries)
        ),
        batch_size=batch,
    )
    rows: list[Stop] = []
    for trip, (_, _, stops) in zip(trips, itineraries, strict=True):
        for position, (code, place, arrival, departure, *point) in enumerate(stops):
            rows.append(
                Stop(
                    trip=trip,
                    position=position,
                    country_id=code,
                    place_text=place,
                    arrival=arrival,
                    departure=departure,
                    latitude=point[0] if point else None,
                    longitude=point[1] if point else None,
                    location_source="booking" if point else "",
                )
            )
        if len(rows) >= batch:
            Stop.objects.bulk_create(rows)
            rows = []
    Stop.objects.bulk_create(rows)
    return trips


def assess_all(trips: Iterable[Trip]) -> None:
    for trip in trips:
        with transaction.atomic():
            assessment_store(trip, trip_selectors.trip_assess(trip))
            trip.save(update_fields=["risk_level", "approvals_needed"])


def forget_laid_out_chapters() -> None:
    """Empty the chapter cache that every worker shares (private storage)."""
    from django.core.files.storage import storages

    storage = storages["private"]
    if storage.exists(rendering.CHAPTER_CACHE_DIR):
        for name in storage.listdir(rendering.CHAPTER_CACHE_DIR)[1]:
            storage.delete(f"{rendering.CHAPTER_CACHE_DIR}/{name}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def naive_renderer(document: selectors.BriefingDocument) -> Callable[[], bytes]:
    """The briefing rendered from scratch, with nothing reused: its HTML documents (front
    matter, body and every chapter, captured from our renderer) each through a plain
    `weasyprint.HTML(string=...).write_pdf()` with a fresh stylesheet and font configuration,
    merged with pypdf. The baseline of `briefing_render` and `rebrief_fanout_s`."""
    import weasyprint
    from pypdf import PdfWriter

    from briefings.fetcher import assets_base_url, assets_root

    rendering.page_number_pieces()  # laid out once per process: not part of a briefing
    captured: list[tuple[str, str]] = []
    layout = rendering._layout

    def capture(html: str, kind: str):  # type: ignore[no-untyped-def]
        captured.append((html, kind))
        return layout(html, kind)

    rendering._layout = capture  # type: ignore[assignment]
    try:
        rendering.render_briefing_pdf(document, use_cache=False)
    finally:
        rendering._layout = layout  # type: ignore[assignment]
    personal = [html for html, kind in captured if kind == "personal"]
    shared = [html for html, kind in captured if kind != "personal"]  # chapters, contacts...
    # The trip's pages are laid out first, the front matter last (again when its length
    # changed).
    documents = [personal[-1], personal[0], *shared]

    def naive() -> bytes:
        writer = PdfWriter()
        # The plain layouts warn about the contents' links into the other documents.
        logging.getLogger("weasyprint").disabled = True
        for html in documents:
            fonts = weasyprint.text.fonts.FontConfiguration()
            css = weasyprint.CSS(filename=str(assets_root() / "pdf.css"), font_config=fonts)
            pdf = weasyprint.HTML(string=html, base_url=assets_base_url()).write_pdf(
                stylesheets=[css], font_config=fonts
            )
            writer.append(io.BytesIO(pdf))
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    return naive


class Bench:
    def __init__(self, *, args: Any, work: Path) -> None:
        self.args = args
        self.work = work
        self.results: dict[str, dict[str, Any]] = {}
        self.processes: list[subprocess.Popen] = []
        self.today = timezone.localdate()
        self.rng = random.Random(18)

    # --- bookkeeping ---------------------------------------------------------------------------

    def record(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        baseline: float | None = None,
        ratio: float | None = None,
    ) -> None:
        def rounded(number: float | None) -> float | None:
            return None if number is None else round(float(number), 4)

        self.results[name] = {
            "value": rounded(value),
            "unit": unit,
            "baseline": rounded(baseline),
            "ratio": rounded(ratio),
        }
        print(f"  {name}: {self.results[name]}", flush=True)

    def run(self, *, only: set[str]) -> dict[str, dict[str, Any]]:
        groups: list[tuple[str, Callable[[], None]]] = [
            ("assessment", self.assessment_growth),
            ("render", self.briefing_render),
            ("rebrief", self.rebrief_fanout),
            ("safety", self.safety_check),
            # Before the growth group's 300,000 stops: the list is measured over 20,000 trips.
            ("api", self.api_trips_list),
            ("growth", self.lookup_growth),
            ("map", self.map_growth),
            ("pages", self.page_queries),
            ("bookings", self.booking_ingest),
            ("feed", self.feed_to_check),
        ]
        self.manager = make_users("manager", 1, roles.MANAGER)[0]
        for name, group in groups:
            if only and name not in only:
                continue
            began = time.perf_counter()
            print(f"== {name}", flush=True)
            group()
            print(f"   ({time.perf_counter() - began:.0f} s)", flush=True)
        return self.results

    # --- processes -----------------------------------------------------------------------------

    def start_worker(self, concurrency: int) -> subprocess.Popen:
        from portal.celery import app

        app.control.purge()  # nothing left over from the data's set-up
        log = self.work / f"worker-{len(self.processes)}.log"
        process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "portal",
                "worker",
                "-l",
                "info",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "-Q",
                os.environ["CELERY_TASK_DEFAULT_QUEUE"],
                "-n",
                f"bench-{len(self.processes)}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(process)
        deadline = time.monotonic() + 120
        while "ready." not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def stop_processes(self) -> None:
        for process in self.processes:
            self.stop(process)

    # --- assessment_growth ---------------------------------------------------------------------

    def assessment_growth(self) -> None:
        """Assess and store a 5-stop, 3-country trip against a catalogue of only the trip's
        countries, then against `--catalogue` countries (30 sections and 10 rules each)."""
        import_countries(ASSESS_COUNTRIES)
        traveller = make_users("assessed", 1)[0]
        start = self.today + dt.timedelta(days=40)
        stops = []
        for index in range(5):
            arrival = start + dt.timedelta(days=4 * index)
            code = ASSESS_COUNTRIES[index % 3]
            stops.append((code, "Almaty", arrival, arrival + dt.timedelta(days=3)))
        trip = make_trips([(traveller, TripStatus.DRAFT, stops)])[0]

        def assess() -> None:
            with transaction.atomic():
                assessment_store(trip, trip_selectors.trip_assess(trip))

        runs = 5 if self.args.tiny else 30
        assess()
        small = median_ms(assess, runs)
        with CaptureQueriesContext(connection) as small_queries:
            assess()
        codes = [
            code
            for code in Country.objects.order_by("code").values_list("code", flat=True)
            if code not in ASSESS_COUNTRIES
        ][: self.args.catalogue - len(ASSESS_COUNTRIES)]
        began = time.perf_counter()
        for start_index in range(0, len(codes), 25):
            import_countries(codes[start_index : start_index + 25])
        print(f"   catalogue of {len(codes) + 3} countries in {time.perf_counter() - began:.0f} s")
        assess()
        large = median_ms(assess, runs)
        with CaptureQueriesContext(connection) as large_queries:
            assess()
        self.record("assessment_growth", large, "ms", baseline=small, ratio=large / small)
        self.record("assessment_queries_small", len(small_queries), "queries")
        self.record("assessment_queries_large", len(large_queries), "queries")

    # --- briefing_render -----------------------------------------------------------------------

    def briefing_render(self) -> None:
        """One 13-page briefing in a warm process (its chapter cached) against the same
        briefing rendered from scratch (naive_renderer)."""
        sys.path.insert(0, str(ROOT / "bench"))
        import bench_render

        document = bench_render.demo_document(21)
        naive = naive_renderer(document)
        runs = self.args.render_runs
        rendering.render_briefing_pdf(document)  # warm: fonts, stylesheets, the chapter
        ours = median_ms(lambda: rendering.render_briefing_pdf(document), runs)
        baseline = median_ms(naive, runs)
        pages = rendering.render_briefing_pdf(document).pages
        print(f"   {pages} pages")
        self.record("briefing_render", ours, "ms", baseline=baseline, ratio=baseline / ours)

    # --- rebrief_fanout_s, rebrief_soonest_first, worker_rss_mb, worker_scaling ------------------

    def _fanout_trips(self, count: int, countries: list[str], prefix: str) -> list[Trip]:
        """`count` approved trips of 2-3 stops, the first in countries[0], departing over the
        next six months, several per traveller, assessed as on approval."""
        travellers = make_users(prefix, max(1, count // 4))
        itineraries = []
        for n in range(count):
            arrival = self.today + dt.timedelta(days=3 + (n * 180) // max(count, 1))
            stops = []
            codes = [countries[0], *self.rng.sample(countries[1:], self.rng.choice([1, 2]))]
            for code in codes:
                departure = arrival + dt.timedelta(days=self.rng.randrange(2, 5))
                stops.append((code, "Almaty", arrival, departure))
                arrival = departure
            itineraries.append((travellers[n % len(travellers)], TripStatus.APPROVED, stops))
        # Filed in no particular order: the database's order must not be the departures'.
        self.rng.shuffle(itineraries)
        trips = make_trips(itineraries)
        assess_all(trips)
        return trips

    def _fan_out(self, *, code: str, trips: list[Trip], concurrency: int, note: str) -> dict:
        """Publish a material change of `code` with a worker of `concurrency` processes, and
        wait until every touched trip has its new briefing ready."""
        worker = self.start_worker(concurrency)
        ids = [trip.pk for trip in trips]
        before = set(Briefing.objects.filter(trip_id__in=ids).values_list("pk", flat=True))
        peak_rss = 0.0
        began = time.perf_counter()
        started_at = timezone.now()
        publish_material_change(code, note)
        deadline = time.monotonic() + max(600, 6 * len(ids))
        while True:
            for pid in process_tree(worker.pid):
                peak_rss = max(peak_rss, rss_mb(pid))
            ready = (
                Briefing.objects.filter(trip_id__in=ids, status=BriefingStatus.READY)
                .exclude(pk__in=before)
                .count()
            )
            if ready >= len(ids):
                break
            failed = (
                Briefing.objects.filter(trip_id__in=ids, status=BriefingStatus.FAILED)
                .exclude(pk__in=before)
                .first()
            )
            if failed is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"fan-out stuck at {ready}/{len(ids)}: "
                    f"{failed.error if failed else 'timed out'}"
                )
            time.sleep(0.25)
        elapsed = time.perf_counter() - began
        self.stop(worker)
        rendered_at = dict(
            Briefing.objects.filter(trip_id__in=ids, status=BriefingStatus.READY)
            .exclude(pk__in=before)
            .values_list("trip_id", "rendered_at")
        )
        print(f"   {len(ids)} briefings, {concurrency} processes: {elapsed:.1f} s")
        return {
            "seconds": elapsed,
            "rss": peak_rss,
            "rendered_at": rendered_at,
            "started_at": started_at,
        }

    def rebrief_fanout(self) -> None:
        count = self.args.trips
        import_countries(["KZ", *FANOUT_OTHERS])
        began = time.perf_counter()
        trips = self._fanout_trips(count, ["KZ", *FANOUT_OTHERS], "fanout")
        print(f"   {count} trips assessed in {time.perf_counter() - began:.0f} s")

        run = self._fan_out(code="KZ", trips=trips, concurrency=2, note="Protests in Almaty.")
        # The baseline: the same briefings rendered one by one from scratch (naive_renderer)
        # in this one process; a sample, scaled to all.
        new = list(
            Briefing.objects.filter(trip__in=trips, status=BriefingStatus.READY, superseded=False)
        )
        sample = self.rng.sample(new, min(self.args.baseline_sample, len(new)))
        renders = [
            naive_renderer(selectors.briefing_document(briefing=briefing, today=self.today))
            for briefing in sample
        ]
        began = time.perf_counter()
        for naive in renders:
            naive()
        per_trip = (time.perf_counter() - began) / len(sample)
        baseline = per_trip * len(trips)
        self.record(
            "rebrief_fanout_s",
            run["seconds"],
            "s",
            baseline=baseline,
            ratio=baseline / run["seconds"],
        )
        self.record("rebrief_per_trip_ms", run["seconds"] * 1000 / len(trips), "ms")

        by_departure = sorted(trips, key=lambda trip: (trip.first_arrival, trip.pk))
        soonest = by_departure[: max(1, len(trips) // 10)]
        latest = by_departure[len(trips) // 2 :]
        first_late = min(run["rendered_at"][trip.pk] for trip in latest)
        ahead = sum(run["rendered_at"][trip.pk] < first_late for trip in soonest)
        self.record("rebrief_soonest_first", ahead / len(soonest), "share")
        self.record("worker_rss_mb", run["rss"], "MB")

        # The same fan-out again with one worker process: another material change to the
        # same 500 trips, every chapter to lay out again as the first time (the neighbours'
        # content did not change: their chapters would come from the shared cache).
        forget_laid_out_chapters()
        one = self._fan_out(code="KZ", trips=trips, concurrency=1, note="Protests are over.")
        self.record(
            "worker_scaling",
            run["seconds"],
            "s",
            baseline=one["seconds"],
            ratio=one["seconds"] / run["seconds"],
        )

    # --- safety_check_5000_s -------------------------------------------------------------------

    def safety_check(self) -> None:
        from incidents.checks.services import check_start

        count = self.args.recipients
        import_countries([SAFETY_COUNTRY])
        travellers = make_users("safe", count)
        arrival, departure = (
            self.today - dt.timedelta(days=1),
            self.today + dt.timedelta(days=3),
        )
        make_trips(
            [
                (traveller, TripStatus.CLEARED, [(SAFETY_COUNTRY, "Almaty", arrival, departure)])
                for traveller in travellers
            ]
        )
        incident = Incident.objects.create(
            title="Earthquake", category="natural", country_id=SAFETY_COUNTRY, starts_on=self.today
        )
        worker = self.start_worker(2)
        began = time.perf_counter()
        check = check_start(incident=incident, by=self.manager)
        deadline = time.monotonic() + max(300, count / 5)
        while (
            CheckRecipient.objects.filter(safety_check=check, delivered_cycle__gte=1).count()
            < count
        ):
            if time.monotonic() > deadline:
                raise RuntimeError("the safety check's e-mails were not all sent in time")
            # The figure is about two seconds: a quarter-second poll would add up to an
            # eighth of it; a tenth of a second, at a count of a few milliseconds a time.
            time.sleep(0.1)
        ours = time.perf_counter() - began
        self.stop(worker)
        began = time.perf_counter()
        for traveller in travellers:
            send_mail(
                "Are you OK?",
                "An incident was reported near you. Answer: https://example.org/",
                None,
                [traveller.email],
            )
        baseline = time.perf_counter() - began
        self.record("safety_check_5000_s", ours, "s", baseline=baseline, ratio=baseline / ours)

    # --- locations_growth, impacted_growth -----------------------------------------------------

    def _background_stops(self, count: int, travellers: list[User]) -> None:
        """`count` stops (three a trip) over three years around today in ten countries."""
        countries = [GROWTH_COUNTRY, "DE", "FR", "US", "GB", "IT", "ES", "JP", "BR", "IN"]
        statuses = [TripStatus.APPROVED, TripStatus.CLEARED, TripStatus.COMPLETED]
        statuses += [TripStatus.CANCELLED, TripStatus.DRAFT]
        itineraries = []
        for n in range(max(1, count // 3)):
            arrival = self.today + dt.timedelta(days=self.rng.randrange(-548, 548))
            stops = []
            for _ in range(3):
                departure = arrival + dt.timedelta(days=self.rng.randrange(1, 6))
                code = self.rng.choice(countries)
                if code == GROWTH_COUNTRY and abs((arrival - self.today).days) < 12:
                    code = "DE"  # the answer stays the `present` travellers at every size
                stops.append((code, "", arrival, departure))
                arrival = departure
            itineraries.append((travellers[n % len(travellers)], self.rng.choice(statuses), stops))
            if len(itineraries) >= 10_000:
                make_trips(itineraries)
                itineraries = []
        if itineraries:
            make_trips(itineraries)
        analyze()

    def lookup_growth(self) -> None:
        from incidents.selectors import incident_impacted
        from trips.selectors import whereabouts

        travellers = make_users("growth", 2_000 if not self.args.tiny else 20)
        incident = Incident.objects.create(
            title="Flood", category="natural", country_id=GROWTH_COUNTRY, starts_on=self.today
        )
        runs = 3 if self.args.tiny else 15

        def where() -> int:
            return len(list(whereabouts(on=self.today, country=GROWTH_COUNTRY)))

        def impacted() -> int:
            return len(incident_impacted(incident=incident, on=self.today))

        before = Stop.objects.count()
        present = make_users("present", 3 if self.args.tiny else 60)
        make_trips(
            [
                (
                    traveller,
                    TripStatus.APPROVED,
                    [
                        (
                            GROWTH_COUNTRY,
                            "Istanbul",
                            self.today - dt.timedelta(days=2),
                            self.today + dt.timedelta(days=n % 5),
                        )
                    ],
                )
                for n, traveller in enumerate(present)
            ]
        )
        self._background_stops(self.args.stops_small, travellers)
        where(), impacted()
        small_where, small_impacted = median_ms(where, runs), median_ms(impacted, runs)
        rows_small = (where(), impacted())
        began = time.perf_counter()
        self._background_stops(self.args.stops_large - self.args.stops_small, travellers)
        total = Stop.objects.count() - before
        print(f"   {total:,} stops in {time.perf_counter() - began:.0f} s")
        where(), impacted()
        large_where, large_impacted = median_ms(where, runs), median_ms(impacted, runs)
        rows_large = (where(), impacted())
        print(f"   rows (who is where, impacted): {rows_small} -> {rows_large}")
        if connection.vendor == "postgresql":
            sql, params = whereabouts(on=self.today, country=GROWTH_COUNTRY).query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN {sql}", params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            (self.work / "locations-plan.txt").write_text(plan)
            print("   plan: " + "\n   ".join(plan.splitlines()[:12]))
        self.record(
            "locations_growth",
            large_where,
            "ms",
            baseline=small_where,
            ratio=large_where / small_where,
        )
        self.record(
            "impacted_growth",
            large_impacted,
            "ms",
            baseline=small_impacted,
            ratio=large_impacted / small_impacted,
        )

    # --- map_travellers_growth, nearby_growth --------------------------------------------------

    def _located_background_stops(self, count: int, travellers: list[User]) -> None:
        """`count` stops (three a trip) over three years around today in ten countries, each
        located within about 150 km of its country's capital (a booking's hotel)."""
        countries = list(MAP_CAPITALS)
        statuses = [TripStatus.APPROVED, TripStatus.CLEARED, TripStatus.COMPLETED]
        statuses += [TripStatus.CANCELLED, TripStatus.DRAFT]
        itineraries: list[tuple[User, str, list[tuple[Any, ...]]]] = []
        for n in range(max(1, count // 3)):
            arrival = self.today + dt.timedelta(days=self.rng.randrange(-548, 548))
            stops: list[tuple[Any, ...]] = []
            for _ in range(3):
                departure = arrival + dt.timedelta(days=self.rng.randrange(1, 6))
                code = self.rng.choice(countries)
                if code == GROWTH_COUNTRY and abs((arrival - self.today).days) < 12:
                    code = "DE"  # the answer stays the `present` travellers at every size
                latitude, longitude = MAP_CAPITALS[code]
                stops.append(
                    (
                        code,
                        "",
                        arrival,
                        departure,
                        latitude + self.rng.uniform(-1.4, 1.4),
                        longitude + self.rng.uniform(-1.4, 1.4),
                    )
                )
                arrival = departure
            itineraries.append((travellers[n % len(travellers)], self.rng.choice(statuses), stops))
            if len(itineraries) >= 10_000:
                make_trips(itineraries)
                itineraries = []
        if itineraries:
            make_trips(itineraries)
        analyze()

    def map_growth(self) -> None:
        """The travellers' GeoJSON of a country on a date (the map page's request), and the
        impacted list of an incident with a point and a radius and no country (the stops
        within 50 km of Istanbul, whatever their country), at 3,000 and 300,000 stops."""
        from incidents.selectors import incident_impacted
        from trips.selectors import map_travellers

        travellers = make_users("mapper", 2_000 if not self.args.tiny else 20)
        latitude, longitude = MAP_CAPITALS[GROWTH_COUNTRY]
        incident = Incident.objects.create(
            title="Earthquake",
            category="natural_hazards",
            latitude=latitude,
            longitude=longitude,
            radius_km=50,
            starts_on=self.today,
        )
        runs = 3 if self.args.tiny else 15

        def geojson() -> int:
            return len(map_travellers(on=self.today, country=GROWTH_COUNTRY)["features"])

        def nearby() -> int:
            return len(incident_impacted(incident=incident, on=self.today))

        before = Stop.objects.count()
        present = make_users("located", 3 if self.args.tiny else 60)
        make_trips(
            [
                (
                    traveller,
                    TripStatus.APPROVED,
                    [
                        (
                            GROWTH_COUNTRY,
                            "Istanbul",
                            self.today - dt.timedelta(days=2),
                            self.today + dt.timedelta(days=n % 5),
                            latitude + (n % 7) * 0.01,
                            longitude - (n % 5) * 0.01,
                        )
                    ],
                )
                for n, traveller in enumerate(present)
            ]
        )
        self._located_background_stops(self.args.stops_small, travellers)
        geojson(), nearby()
        small_geojson, small_nearby = median_ms(geojson, runs), median_ms(nearby, runs)
        rows_small = (geojson(), nearby())
        began = time.perf_counter()
        self._located_background_stops(self.args.stops_large - self.args.stops_small, travellers)
        total = Stop.objects.count() - before
        print(f"   {total:,} located stops in {time.perf_counter() - began:.0f} s")
        geojson(), nearby()
        large_geojson, large_nearby = median_ms(geojson, runs), median_ms(nearby, runs)
        rows_large = (geojson(), nearby())
        print(f"   rows (map travellers, nearby): {rows_small} -> {rows_large}")
        self.record(
            "map_travellers_growth",
            large_geojson,
            "ms",
            baseline=small_geojson,
            ratio=large_geojson / small_geojson,
        )
        self.record(
            "nearby_growth",
            large_nearby,
            "ms",
            baseline=small_nearby,
            ratio=large_nearby / small_nearby,
        )

    # --- api_trips_list ------------------------------------------------------------------------

    def api_trips_list(self) -> None:
        from knox.models import AuthToken

        from bench import http_load  # noqa: F401 (checks it imports before the run)

        travellers = make_users("api", 500 if not self.args.tiny else 5)
        itineraries = []
        for n in range(self.args.api_trips):
            arrival = self.today + dt.timedelta(days=self.rng.randrange(-300, 300))
            stops = [("DE", "Berlin", arrival, arrival + dt.timedelta(days=3))]
            itineraries.append((travellers[n % len(travellers)], TripStatus.APPROVED, stops))
        make_trips(itineraries)
        analyze()
        _, token = AuthToken.objects.create(user=self.manager)
        port = free_port()  # not a fixed one: another run (a helper's, a test's) may hold it
        log = self.work / "gunicorn.log"
        gunicorn = subprocess.Popen(
            [
                str(GUNICORN),
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(gunicorn)
        base = f"http://127.0.0.1:{port}"
        load_seconds = self.args.api_seconds * 2 + 4
        try:
            self._wait_http(f"{base}/accounts/login/", gunicorn, log)
            load = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "bench" / "http_load.py"),
                    f"{base}/api/trips/",
                    "--token",
                    token,
                    "--seconds",
                    str(load_seconds),
                    "--connections",
                    "1",
                ],
                stdout=subprocess.PIPE,
            )
            time.sleep(1)
            # In turns, so both meet the same machine (http_load.py).
            measured = self._measure_http(
                [f"{base}/api/trips/", f"{base}/api/bench/trivial/"], token
            )
            ours, trivial = measured[f"{base}/api/trips/"], measured[f"{base}/api/bench/trivial/"]
            load.communicate(timeout=load_seconds + 60)
        finally:
            self.stop(gunicorn)
        if ours["errors"] or trivial["errors"]:
            raise RuntimeError(f"HTTP errors: trip list {ours}, trivial {trivial}")
        self.record(
            "api_trips_list",
            ours["rps"],
            "req/s",
            baseline=trivial["rps"],
            ratio=ours["rps"] / trivial["rps"],
        )
        self.record("api_trips_list_p99_ms", ours["p99_ms"], "ms", baseline=trivial["p99_ms"])

    def _wait_http(self, url: str, process: subprocess.Popen, log: Path) -> None:
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer")

    def _measure_http(self, urls: list[str], token: str) -> dict[str, dict[str, float]]:
        """Each URL for api_seconds in all, in five turns of each."""
        output = subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "http_load.py"),
                *urls,
                "--token",
                token,
                "--seconds",
                str(self.args.api_seconds),  # each URL's, in all
                "--connections",
                "2",
                "--rounds",
                "5",
            ],
            capture_output=True,
            check=True,
            timeout=self.args.api_seconds * len(urls) + 60,
        ).stdout
        return json.loads(output)

    # --- page_queries --------------------------------------------------------------------------

    def _page_rows(self, count: int, prefix: str) -> None:
        """`count` rows for every page: trips awaiting approval, travellers in PAGES_COUNTRY
        today (so on who-is-where and the incident's page), with a stop each."""
        travellers = make_users(prefix, count)
        here = (self.today - dt.timedelta(days=1), self.today + dt.timedelta(days=2))
        later = (self.today + dt.timedelta(days=20), self.today + dt.timedelta(days=25))
        trips = make_trips(
            [
                (traveller, TripStatus.APPROVED, [(PAGES_COUNTRY, "Almaty", *here)])
                for traveller in travellers
            ]
            + [
                (traveller, TripStatus.PENDING_APPROVAL, [(PAGES_COUNTRY, "Almaty", *later)])
                for traveller in travellers
            ]
        )
        assess_all(trips)

    def page_queries(self) -> None:
        import_countries([PAGES_COUNTRY])
        incident = Incident.objects.create(
            title="Storm", category="natural", country_id=PAGES_COUNTRY, starts_on=self.today
        )
        client = Client()
        client.force_login(self.manager)
        pages: dict[str, str] = {
            "dashboard": "/",
            "trip": "",
            "approvals": "/approvals/",
            "locations": f"/locations/?country={PAGES_COUNTRY}&date={self.today.isoformat()}",
            "incident": f"/incidents/{incident.pk}/",
        }

        def count_queries() -> dict[str, int]:
            trip = Trip.objects.filter(stops__country_id=PAGES_COUNTRY).order_by("pk").first()
            pages["trip"] = f"/trips/{trip.pk}/"
            counts = {}
            for name, url in pages.items():
                client.get(url)  # warm: sessions, caches
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}")
                counts[name] = len(queries)
            return counts

        self._page_rows(self.args.page_rows_small, "pagesmall")
        small = count_queries()
        self._page_rows(self.args.page_rows_large - self.args.page_rows_small, "pagelarge")
        large = count_queries()
        for name in pages:
            self.record(
                f"page_queries.{name}",
                large[name],
                "queries",
                baseline=small[name],
                ratio=large[name] / small[name],
            )
        self.record(
            "page_queries",
            sum(large.values()),
            "queries",
            baseline=sum(small.values()),
            ratio=sum(large.values()) / sum(small.values()),
        )

    # --- booking_ingest ------------------------------------------------------------------------

    def booking_ingest(self) -> None:
        """`--booking-emails` booking e-mails through import_bookings, against filing the
        same trips through the trip service (bench/bench_bookings.py)."""
        from bench import bench_bookings
        from bookings.mail.extractors import extractor_in_use

        import_countries(["KZ"])
        count = self.args.booking_emails
        times = bench_bookings.booking_ingest(
            count=count, work=self.work, today=self.today, make_users=make_users
        )
        print(f"   {count} e-mails read by {extractor_in_use()}", flush=True)
        self.record(
            "booking_ingest",
            times["by_email"],
            "s",
            baseline=times["by_hand"],
            ratio=times["by_hand"] / times["by_email"],
        )

    # --- feed_to_check_s -----------------------------------------------------------------------

    def feed_to_check(self) -> None:
        """A `--feed-items` USGS feed with one critical quake near `--feed-travellers`
        travellers, polled by the scheduler's task on a real worker, against the same check
        started by hand (bench/bench_feeds.py)."""
        from bench import bench_feeds
        from incidents.checks.services import check_start
        from incidents.models import HazardFeed, SafetyCheck, Severity
        from incidents.tasks import poll_hazard_feeds

        if not Country.objects.filter(code="KZ").exists():
            import_countries(["KZ"])
        count = self.args.feed_travellers
        travellers = make_users("quake", count)
        arrival, departure = self.today - dt.timedelta(days=1), self.today + dt.timedelta(days=3)
        latitude, longitude = bench_feeds.ALMATY
        make_trips(
            [
                (
                    traveller,
                    TripStatus.CLEARED,
                    [
                        (
                            "KZ",
                            "Almaty",
                            arrival,
                            departure,
                            latitude + self.rng.uniform(-0.2, 0.2),
                            longitude + self.rng.uniform(-0.2, 0.2),
                        )
                    ],
                )
                for traveller in travellers
            ]
        )
        analyze()
        body = bench_feeds.usgs_body(items=self.args.feed_items, now=timezone.now(), rng=self.rng)
        worker = self.start_worker(2)
        timeout = max(300, count / 5)
        # The baseline first: the feed's incident also e-mails its travellers (alerts), and
        # those tasks, still queued, would slow a check started after it.
        incident = Incident.objects.create(**bench_feeds.equivalent_incident_fields(self.today))
        began = time.perf_counter()
        by_hand_check = check_start(incident=incident, by=self.manager)
        bench_feeds.wait_until_queued(lambda: by_hand_check, timeout=timeout, what="by hand")
        by_hand = time.perf_counter() - began
        with bench_feeds.feed_server(body) as url:
            feed = HazardFeed.objects.create(
                name="USGS M4.5+ past day (bench)",
                kind="usgs",
                url=url,
                min_severity=Severity.INFO,  # all its items are read, not only the critical one
            )
            began = time.perf_counter()
            poll_hazard_feeds()  # the beat's tick: the feed's poll goes to the worker
            check = bench_feeds.wait_until_queued(
                lambda: SafetyCheck.objects.filter(
                    incident__source="usgs",
                    incident__external_id=f"usgs:{bench_feeds.CRITICAL_ID}",
                ).first(),
                timeout=timeout,
                what="the feed",
            )
            by_feed = time.perf_counter() - began
            # The poll itself may still be reading the minor quakes: let it finish.
            deadline = time.monotonic() + timeout
            while not HazardFeed.objects.get(pk=feed.pk).last_result:
                if time.monotonic() > deadline:
                    raise RuntimeError("the feed's poll did not finish in time")
                time.sleep(0.1)
        recipients = CheckRecipient.objects.filter(safety_check=check).count()
        self.stop(worker)
        print(
            f"   {self.args.feed_items} items, {recipients} asked "
            f"({HazardFeed.objects.get(pk=feed.pk).last_result})",
            flush=True,
        )
        self.record("feed_to_check_s", by_feed, "s", baseline=by_hand, ratio=by_hand / by_feed)
