"""The GDACS RSS feed (www.gdacs.org/xml/rss.xml), read with feedparser: each item's
``gdacs:`` elements (eventtype, eventid, episodeid, alertlevel, severity, iso3, country,
fromdate, todate, iscurrent) and its ``geo:Point``.

Severity (contracts.md): alert level Red, Orange, Green is critical, warning, info. The radius:
an earthquake's from its magnitude (``earthquake_radius_km``); other hazards by kind
(``RADIUS_KM``), as GDACS gives only a point. The external id is the event (type and id), not
the episode: a new episode of a flood updates the flood's incident."""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
import pycountry

from incidents.feeds import CATEGORY, FeedError, FeedItem, earthquake_radius_km
from incidents.models import Severity
from incidents.services import IncidentInput

SOURCE = "gdacs"

SEVERITY = {"red": Severity.CRITICAL, "orange": Severity.WARNING, "green": Severity.INFO}

# GDACS event types, in words, and the area an event of the kind touches around its point
# when the feed gives none (an earthquake's comes from its magnitude).
KINDS = {
    "EQ": "earthquake",
    "TC": "tropical cyclone",
    "FL": "flood",
    "VO": "volcanic eruption",
    "DR": "drought",
    "WF": "forest fire",
    "TS": "tsunami",
}
RADIUS_KM = {"TC": 300.0, "FL": 100.0, "VO": 50.0, "DR": 500.0, "WF": 50.0, "TS": 200.0}
DEFAULT_RADIUS_KM = 100.0


def _text(entry: Any, name: str) -> str:
    value = entry.get(name)
    return value.strip() if isinstance(value, str) else ""


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _date(entry: Any, name: str) -> dt.date | None:
    raw = _text(entry, name)
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw).astimezone(dt.UTC).date()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _published(entry: Any) -> dt.date | None:
    parsed = entry.get("published_parsed")
    if not parsed:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(parsed), tz=dt.UTC).date()


def country_code(iso3: str) -> str:
    """The alpha-2 code of an ISO 3166 alpha-3 one ('' when unknown or not one country)."""
    found = pycountry.countries.get(alpha_3=iso3.strip().upper()) if iso3.strip() else None
    return found.alpha_2 if found is not None else ""


def _magnitude(entry: Any) -> float | None:
    severity = entry.get("gdacs_severity")
    if isinstance(severity, dict) and severity.get("unit", "").upper() == "M":
        return _float(severity.get("value"))
    match = re.search(r"magnitude\s+(\d+(?:\.\d+)?)", entry.get("title", ""), re.IGNORECASE)
    return _float(match.group(1)) if match else None


def _title(kind: str, magnitude: float | None, name: str, country: str) -> str:
    what = f"M {magnitude:.1f} {kind}" if kind == "earthquake" and magnitude else kind
    what = what[0].upper() + what[1:]
    if name:
        what = f"{what} {name}"
    return f"{what}, {country}" if country else what


def _summary(entry: Any, level: str) -> str:
    parts = []
    description = _text(entry, "summary")
    if description:
        parts.append(description)
    parts.append(f"GDACS alert level: {level}.")
    link = _text(entry, "link")
    if link.startswith("https://"):
        parts.append(f"[GDACS report]({link})")
    return "\n\n".join(parts)


def _item(entry: Any) -> FeedItem | None:
    event_type = _text(entry, "gdacs_eventtype").upper()
    event_id = _text(entry, "gdacs_eventid")
    latitude, longitude = _float(entry.get("geo_lat")), _float(entry.get("geo_long"))
    if not event_type or not event_id or latitude is None or longitude is None:
        return None
    level = _text(entry, "gdacs_alertlevel") or _text(entry, "gdacs_episodealertlevel")
    severity = SEVERITY.get(level.lower(), Severity.INFO)
    starts_on = _date(entry, "gdacs_fromdate") or _published(entry)
    if starts_on is None:
        return None
    kind = KINDS.get(event_type, event_type.lower())
    magnitude = _magnitude(entry) if event_type == "EQ" else None
    radius = (
        earthquake_radius_km(magnitude)
        if event_type == "EQ"
        else RADIUS_KM.get(event_type, DEFAULT_RADIUS_KM)
    )
    # An event GDACS no longer follows ended on its last date; a current one is still going.
    ends_on = None
    if _text(entry, "gdacs_iscurrent").lower() == "false":
        ends_on = _date(entry, "gdacs_todate")
        ends_on = max(ends_on, starts_on) if ends_on else None
    country_name = _text(entry, "gdacs_country")
    incident = IncidentInput(
        title=_title(kind, magnitude, _text(entry, "gdacs_eventname"), country_name)[:200],
        country=country_code(_text(entry, "gdacs_iso3")),
        starts_on=starts_on,
        ends_on=ends_on,
        severity=severity,
        category=CATEGORY,
        summary=_summary(entry, level or "unknown"),
        source=SOURCE,
        external_id=f"gdacs:{event_type}{event_id}",
        latitude=latitude,
        longitude=longitude,
        radius_km=radius,
    )
    return FeedItem(incident=incident)


def parse(body: bytes) -> list[FeedItem]:
    """The events of a GDACS RSS document. feedparser reads any XML it is given without
    resolving external entities, and never fetches anything when given bytes."""
    parsed = feedparser.parse(body)
    if not parsed.entries and (parsed.bozo or not parsed.get("version")):
        raise FeedError(f"not a GDACS RSS feed: {parsed.get('bozo_exception') or 'no items'}")
    items = [_item(entry) for entry in parsed.entries]
    return [item for item in items if item is not None]
