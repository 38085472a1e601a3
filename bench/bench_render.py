"""Briefing render: a full render (the country chapter laid out too) against a render whose
chapter comes from the cache (only the personal pages laid out, then the chapter stamped in).

Run: .venv/bin/python bench/bench_render.py [--runs 15]
Prints the median and best milliseconds of each path, the pages, and the ratio full/cached.
Uses the shipped demo content (Kazakhstan, 21 sections) and no database.

Measured (2 vCPU, --runs 7, medians): full 784 -> 645 ms, cached 427 -> 316-350 ms (best
337 -> 311 ms), after holding GC off during renders, stamping chapters in a WeasyPrint
finisher instead of re-parsing with pypdf, and cheaper margin boxes and contents numbers.

Then (same machine, old and new code run alternately, three runs each, --runs 7): full
605-632 -> 575-582 ms, cached 302-311 -> 267-272 ms, with the contents' page numbers written
as text after the body is laid out and the glance cards as inline blocks instead of a flex
row.

Then (process time, docs/performance.md): cached ~294 -> ~200 ms, with no page laid out per
chapter page (one running header repeated under the cached chapter's pages), page numbers
written by the finisher, and the contacts and sources laid out once per process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Its own folder when run alone; imported by `make bench`, the bench's (whose workers, started
# after this import, must share the bench's chapter cache).
os.environ.setdefault("PRIVATE_STORAGE_ROOT", tempfile.mkdtemp(prefix="bench-briefings-"))

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.utils import timezone  # noqa: E402

from advisories.models import AdvisoryVersion  # noqa: E402
from briefings import rendering, selectors  # noqa: E402
from core.models import TravellerProfile  # noqa: E402
from trips.models import Trip  # noqa: E402


def demo_document(sections: int) -> selectors.BriefingDocument:
    pack = json.loads((ROOT / "advisories" / "content" / "demo-pack.json").read_text())
    entry = pack["countries"][0]
    version = AdvisoryVersion(
        country_id="KZ",
        number=1,
        level=entry["advisory"]["level"],
        content={"advisory": entry["advisory"]},
        published_at=timezone.now(),
    )
    keys = [s["key"] for s in entry["advisory"]["sections"]][:sections]
    chapter = selectors._chapter("KZ", "Kazakhstan", version, keys)
    user = User(username="bench", first_name="Bench", last_name="Traveller")
    user.profile = TravellerProfile(user=user, nationality="GB")
    trip = Trip(
        pk=1,
        traveller=user,
        purpose="Pipeline inspection",
        first_arrival=dt.date(2027, 3, 1),
        last_departure=dt.date(2027, 3, 13),
    )
    requirements = [
        {
            "kind": "registration",
            "kind_label": "Registration",
            "title": rule.get("title") or rule["key"],
            "detail": rule.get("detail", ""),
            "due": dt.date(2027, 3, 5),
            "country_name": "Kazakhstan",
            "place": "Almaty",
            "authority": rule.get("authority", ""),
            "citation": rule.get("citation", ""),
        }
        for rule in entry["rules"][:4]
    ]
    return selectors.BriefingDocument(
        briefing_id=1,
        version=1,
        reason="approved",
        changes=[],
        trip=trip,
        traveller_name="Bench Traveller",
        traveller={"name": "Bench Traveller", "nationality": "GB", "passport_type": "Ordinary"},
        risk_level=2,
        risk_name="Moderate",
        explanation=["Kazakhstan advisory: level 2"],
        approval_reasons=[],
        destinations=["Almaty, Kazakhstan"],
        stops=[
            {
                "country": "KZ",
                "country_name": "Kazakhstan",
                "place": "Almaty",
                "arrival": dt.date(2027, 3, 1),
                "departure": dt.date(2027, 3, 13),
                "nights": 12,
                "activities": ["driving"],
                "transit": False,
            }
        ],
        requirements=requirements,
        contacts=[
            {**c, "country_name": "Kazakhstan"}
            for c in entry["emergency_contacts"]
            if c["place"] in (None, "Almaty")
        ],
        chapters=[chapter],
        sources=[
            {
                **s,
                "retrieved": dt.date.fromisoformat(s["retrieved"]),
                "used_in": ["Kazakhstan, version 1"],
            }
            for s in pack["sources"]
        ],
        content_versions=[
            {
                "country": "KZ",
                "country_name": "Kazakhstan",
                "number": 1,
                "published_at": timezone.now(),
                "level": 2,
            }
        ],
        generated_on=dt.date(2027, 2, 1),
    )


def measure(function, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--sections", type=int, default=21)
    args = parser.parse_args()

    document = demo_document(args.sections)
    rendering.render_briefing_pdf(document)  # warm up: fonts, stylesheets, templates
    full = measure(lambda: rendering.render_briefing_pdf(document, use_cache=False), args.runs)
    cached = measure(lambda: rendering.render_briefing_pdf(document), args.runs)
    result = rendering.render_briefing_pdf(document)
    chapter, _ = rendering.chapter_pdf(document.chapters[0])

    print(
        f"briefing: {result.pages} pages ({chapter.pages} of them the cached chapter), "
        f"{len(result.pdf) // 1024} KiB; {args.runs} runs each"
    )
    for label, times in (
        ("full render (chapter laid out)", full),
        ("cached chapter + personal", cached),
    ):
        print(f"{label:34s} median {statistics.median(times):7.1f} ms   best {min(times):7.1f} ms")
    print(
        f"ratio full / cached: median {statistics.median(full) / statistics.median(cached):.2f}x, "
        f"best {min(full) / min(cached):.2f}x"
    )


if __name__ == "__main__":
    main()
