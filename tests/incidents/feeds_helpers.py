"""What the hazard feed tests share: the saved feeds, a frozen morning after the Almaty quake
of tests/fixtures/feeds/usgs_summary.geojson, and travellers placed by their coordinates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core import mail

from tests.factories import country, trip_with_stops

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
# 12:00 UTC on the day of the fixtures' Almaty quake (02:14 UTC) and mudflow.
NOW = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
# The city centre, about 14 km from the quake's epicentre and 8 km from the mudflow's centre.
ALMATY = (43.2567, 76.9286)
ASTANA = (51.1605, 71.4704)


def feed(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def staying(point, *, arrival, departure, traveller=None, purpose="Site visit", code="KZ"):
    """An approved trip with one stop at ``point`` (coordinates from its booking)."""
    return trip_with_stops(
        {
            "country": country(code),
            "arrival": arrival,
            "departure": departure,
            "latitude": point[0],
            "longitude": point[1],
            "location_source": "booking",
        },
        purpose=purpose,
        **({"traveller": traveller} if traveller else {}),
    )


def there_now(point=ALMATY, **kwargs):
    return staying(
        point,
        arrival=TODAY - dt.timedelta(days=2),
        departure=TODAY + dt.timedelta(days=4),
        **kwargs,
    )


def arriving(point=ALMATY, **kwargs):
    return staying(
        point,
        arrival=TODAY + dt.timedelta(days=2),
        departure=TODAY + dt.timedelta(days=5),
        **kwargs,
    )


def mails_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]
