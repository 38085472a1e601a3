"""How the pure rules engine scales with the itinerary and the catalogue.

Run: .venv/bin/python bench/bench_engine.py
Prints the median time to assess a trip, and each case's ratio to the baseline (a 3-stop trip
against a one-country catalogue) measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trips import engine

START = dt.date(2027, 3, 1)


def catalogue(countries: int, sections: int, rules: int) -> engine.Content:
    advisories, all_rules = {}, {}
    for c in range(countries):
        code = f"X{chr(65 + c % 26)}{c}"[:2] if countries <= 26 else f"C{c}"
        advisories[code] = engine.Advisory(
            country=code,
            country_name=code,
            level=2,
            version=1,
            sections=tuple(
                engine.Section(
                    key=f"{code}-s{i}",
                    country=code,
                    topic="crime",
                    heading=f"Note {i}",
                    level=3 if i % 7 == 0 else None,
                    places=frozenset({"Town 1"}) if i % 3 == 0 else frozenset(),
                    months=frozenset({1, 2}) if i % 5 == 0 else frozenset(),
                )
                for i in range(sections)
            ),
        )
        all_rules[code] = tuple(
            engine.Rule(
                key=f"{code}-r{i}",
                kind=("registration", "document", "activity", "visa_free")[i % 4],
                country=code,
                threshold_days=5,
                deadline_days=5,
                max_days=30,
                nationalities=frozenset({"GB"}),
                activities=frozenset({"driving"}),
            )
            for i in range(rules)
        )
    return engine.Content(advisories=advisories, rules=all_rules)


def itinerary(stops: int, codes: list[str]) -> list[engine.Stop]:
    result = []
    for i in range(stops):
        arrival = START + dt.timedelta(days=3 * i)
        result.append(
            engine.Stop(
                country=codes[i % len(codes)],
                arrival=arrival,
                departure=arrival + dt.timedelta(days=2),
                place=engine.PlaceRef(name="Town 1", country=codes[i % len(codes)]),
                activities=frozenset({"driving"}),
            )
        )
    return result


def median_ms(content: engine.Content, stops: list[engine.Stop], repeat: int = 30) -> float:
    traveller = engine.Traveller(nationality="GB")
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        engine.assess(stops=stops, traveller=traveller, content=content)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    small = catalogue(1, 10, 4)
    large = catalogue(20, 200, 40)
    small_codes = list(small.advisories)
    large_codes = list(large.advisories)
    cases = [
        ("baseline: 3 stops, 1 country, 10 sections, 4 rules", small, itinerary(3, small_codes)),
        ("50 stops, 1 country, 10 sections, 4 rules", small, itinerary(50, small_codes)),
        (
            "3 stops, 20-country catalogue (200 sections, 40 rules each)",
            large,
            itinerary(3, large_codes[:1]),
        ),
        ("50 stops over 20 countries, large catalogue", large, itinerary(50, large_codes)),
    ]
    baseline = None
    for label, content, stops in cases:
        ms = median_ms(content, stops)
        baseline = baseline or ms
        print(f"{label:<64} {ms:8.3f} ms  x{ms / baseline:6.1f}")


if __name__ == "__main__":
    main()
