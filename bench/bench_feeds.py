"""`feed_to_check_s`: a USGS feed of `--feed-items` earthquakes, one of them critical (M 6.8)
near `--feed-travellers` travellers in Almaty, polled by the scheduler's task
(`incidents.tasks.poll_hazard_feeds`, which hands the feed to a real worker): seconds from the
poll to every recipient of the check it starts being queued, against a manager starting the
same check by hand (`check_start`) on an equivalent incident. The ratio is the hand's seconds
over the feed's: >= 0.8 means the feed path costs at most a quarter more.

The feed is served by a small HTTP server on loopback (as tests/incidents/
test_feeds_polling.py does), so the worker fetches, parses and imports it as in production.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from incidents.feeds import CATEGORY, earthquake_radius_km
from incidents.models import CheckRecipient, SafetyCheck

# The travellers' city and the critical event's epicentre, a few kilometres away (degrees).
ALMATY = (43.25, 76.95)
EPICENTRE = (43.20, 76.90)
CRITICAL_MAGNITUDE = 6.8
CRITICAL_ID = "benchcrit1"


def _feature(*, event_id: str, magnitude: float, place: str, point: tuple, at_ms: int) -> dict:
    latitude, longitude = point
    return {
        "type": "Feature",
        "id": event_id,
        "properties": {
            "mag": magnitude,
            "place": place,
            "time": at_ms,
            "updated": at_ms,
            "alert": None,
            "status": "reviewed",
            "tsunami": 0,
            "type": "earthquake",
            "title": f"M {magnitude:.1f} - {place}",
        },
        "geometry": {"type": "Point", "coordinates": [longitude, latitude, 10.0]},
    }


def usgs_body(*, items: int, now: dt.datetime, rng: random.Random) -> bytes:
    """A USGS summary GeoJSON of `items` events: minor quakes (M 4.5-5.4) in the south-west
    Pacific, far from anyone, and one M 6.8 near Almaty, last, as a real feed may list it."""
    at_ms = int(now.timestamp() * 1000)
    features = [
        _feature(
            event_id=f"benchminor{n:04d}",
            magnitude=round(rng.uniform(4.5, 5.4), 1),
            place="South of the Fiji Islands",
            point=(rng.uniform(-30, -10), rng.uniform(165, 179)),
            at_ms=at_ms - n * 60_000,
        )
        for n in range(max(0, items - 1))
    ]
    features.append(
        _feature(
            event_id=CRITICAL_ID,
            magnitude=CRITICAL_MAGNITUDE,
            place="12 km SW of Almaty, Kazakhstan",
            point=EPICENTRE,
            at_ms=at_ms,
        )
    )
    document = {
        "type": "FeatureCollection",
        "metadata": {"title": "USGS Magnitude 4.5+ Earthquakes, Past Day", "count": items},
        "features": features,
    }
    return json.dumps(document).encode("utf-8")


@contextmanager
def feed_server(body: bytes) -> Iterator[str]:
    """The URL of a loopback HTTP server answering every GET with `body` (GeoJSON)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/geo+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/summary/4.5_day.geojson"
    finally:
        httpd.shutdown()
        httpd.server_close()


def all_queued(check: SafetyCheck) -> bool:
    """Every recipient of the check's first cycle queued: the safety-check scenario's
    condition (delivered_cycle >= 1)."""
    recipients = CheckRecipient.objects.filter(safety_check=check)
    return recipients.exists() and not recipients.filter(delivered_cycle__lt=1).exists()


def wait_until_queued(
    find_check: Callable[[], SafetyCheck | None], *, timeout: float, what: str
) -> SafetyCheck:
    """Wait for the check to exist and all its asks to be queued (polled every 0.1 s, as
    the safety-check scenario does)."""
    deadline = time.monotonic() + timeout
    while True:
        check = find_check()
        if check is not None and all_queued(check):
            return check
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: the check's e-mails were not all queued in time")
        time.sleep(0.1)


def equivalent_incident_fields(today: dt.date) -> dict:
    """The feed's critical incident as a manager would declare it by hand."""
    latitude, longitude = EPICENTRE
    return {
        "title": "M 6.8 earthquake near Almaty (by hand)",
        "category": CATEGORY,
        "severity": "critical",
        "latitude": latitude,
        "longitude": longitude,
        "radius_km": earthquake_radius_km(CRITICAL_MAGNITUDE),
        "starts_on": today,
    }
