"""The USGS earthquake GeoJSON feeds (earthquake.usgs.gov/earthquakes/feed/v1.0/geojson.php):
a FeatureCollection of events (the summary feeds) or one Feature (an event's detail).

Severity (contracts.md): magnitude >= 6.5 or a PAGER alert orange or red is critical, >= 5.5 or
yellow is a warning, anything else info. The radius comes from the magnitude
(``earthquake_radius_km``). The event's ``id`` is its external id: a later reading with a
corrected magnitude updates the same incident."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from incidents.feeds import CATEGORY, FeedError, FeedItem, earthquake_radius_km
from incidents.models import Severity
from incidents.services import IncidentInput

SOURCE = "usgs"


def severity_of(magnitude: float | None, alert: str | None) -> str:
    mag = magnitude if magnitude is not None else -math.inf
    if mag >= 6.5 or alert in ("orange", "red"):
        return Severity.CRITICAL
    if mag >= 5.5 or alert == "yellow":
        return Severity.WARNING
    return Severity.INFO


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _string(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _when(milliseconds: Any) -> dt.datetime | None:
    value = _number(milliseconds)
    if value is None:
        return None
    try:
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _title(kind: str, magnitude: float | None, place: str) -> str:
    what = f"M {magnitude:.1f} {kind}" if magnitude is not None else kind.capitalize()
    return f"{what}, {place}" if place else what


def _summary(
    *, magnitude: float | None, depth: float | None, place: str, at: dt.datetime, props: dict
) -> str:
    lines = []
    strength = f"Magnitude {magnitude:.1f}" if magnitude is not None else "An earthquake"
    where = f" {place}" if place else ""
    deep = f" at a depth of {depth:.0f} km" if depth is not None else ""
    lines.append(f"{strength}{deep},{where}, on {at.day} {at:%B %Y at %H:%M} UTC.")
    if props.get("alert"):
        lines.append(f"USGS PAGER alert level: {props['alert']}.")
    if props.get("tsunami") == 1:
        lines.append("The event is in a region that may generate a tsunami.")
    if isinstance(props.get("url"), str) and props["url"].startswith("https://"):
        lines.append(f"[USGS event page]({props['url']})")
    return "\n\n".join(lines)


def _item(feature: dict) -> FeedItem | None:
    event_id = feature.get("id")
    props = feature.get("properties")
    geometry = feature.get("geometry")
    if not isinstance(event_id, str) or not event_id or not isinstance(props, dict):
        return None
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        return None
    longitude, latitude = _number(coordinates[0]), _number(coordinates[1])
    depth = _number(coordinates[2]) if len(coordinates) > 2 else None
    at = _when(props.get("time"))
    if latitude is None or longitude is None or at is None:
        return None
    magnitude = _number(props.get("mag"))
    alert = _string(props.get("alert")) or None
    place = _string(props.get("place"))
    kind = _string(props.get("type")) or "earthquake"
    incident = IncidentInput(
        title=_title(kind, magnitude, place)[:200],
        country="",
        starts_on=at.date(),
        severity=severity_of(magnitude, alert),
        category=CATEGORY,
        summary=_summary(magnitude=magnitude, depth=depth, place=place, at=at, props=props),
        source=SOURCE,
        external_id=f"usgs:{event_id}",
        latitude=latitude,
        longitude=longitude,
        radius_km=earthquake_radius_km(magnitude),
    )
    if props.get("status") == "deleted":
        # USGS withdrew the event (a false detection): its incident, if any, is closed.
        return FeedItem(incident=incident, references=[incident.external_id], cancel=True)
    return FeedItem(incident=incident)


def parse(body: bytes) -> list[FeedItem]:
    """The events of a USGS GeoJSON document, in the feed's order; features without an id,
    a time or coordinates are left out."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise FeedError(f"not USGS GeoJSON: {exc}") from None
    if not isinstance(document, dict):
        raise FeedError("not USGS GeoJSON: expected a FeatureCollection or a Feature")
    if document.get("type") == "Feature":
        features = [document]
    elif document.get("type") == "FeatureCollection" and isinstance(document.get("features"), list):
        features = document["features"]
    else:
        raise FeedError("not USGS GeoJSON: expected a FeatureCollection or a Feature")
    items = [_item(feature) for feature in features if isinstance(feature, dict)]
    return [item for item in items if item is not None]
