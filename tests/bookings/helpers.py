"""Bookings as a feed sends them, dated from today so they never go stale."""

from __future__ import annotations

import datetime as dt
from typing import Any


def d(offset: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=offset)


def at(offset: int, clock: str, zone: str = "+00:00") -> str:
    """A local time `offset` days from today: at(10, "20:15", "+06:00")."""
    return f"{d(offset).isoformat()}T{clock}:00{zone}"


def flight(
    carrier: str, number: str, origin: str, destination: str, departs: str, arrives: str
) -> dict[str, Any]:
    return {
        "type": "flight",
        "carrier": carrier,
        "number": number,
        "from": origin,
        "to": destination,
        "departs": departs,
        "arrives": arrives,
    }


def hotel(
    name: str, city: str, country: str, check_in: int, check_out: int, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "hotel",
        "name": name,
        "city": city,
        "country": country,
        "check_in": d(check_in).isoformat(),
        "check_out": d(check_out).isoformat(),
        **extra,
    }


def almaty_return(start: int = 10, back: int = 14) -> list[dict[str, Any]]:
    """London to Almaty overnight, and back: the contract's example."""
    return [
        flight("KC", "942", "LHR", "ALA", at(start, "20:15"), at(start + 1, "06:30", "+05:00")),
        flight("KC", "941", "ALA", "LHR", at(back, "08:00", "+05:00"), at(back, "11:30")),
    ]


def booking(
    *segments: dict[str, Any],
    reference: str = "RXJ34P",
    source: str = "acme-tmc",
    email: str = "eva.green@example.org",
    status: str = "confirmed",
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reference": reference,
        "source": source,
        "status": status,
        "segments": list(segments) or almaty_return(),
    }
    if email:
        body["traveller"] = {"email": email, "name": "Eva Green"}
    return body
