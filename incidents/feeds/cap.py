"""Common Alerting Protocol 1.2 (OASIS): a single ``<alert>`` message, or an Atom or RSS feed
carrying alerts in its entries, parsed with defusedxml (outside XML is never given to the
standard library's parsers: no entity expansion, no external entities, no DTDs).

- ``msgType`` Alert declares; Update changes the incident of the message it references;
  Cancel closes it. ``references`` lists earlier messages as ``sender,identifier,sent``.
- Only ``status`` Actual becomes an incident (Exercise, System, Test and Draft are skipped).
- Severity (contracts.md): the ``info`` block's Extreme, Severe, anything else is critical,
  warning, info (the most severe block of a multilingual message counts).
- The area: a ``circle`` ("lat,lon radius_km") gives its point and radius; a ``polygon``
  ("lat,lon lat,lon ...") its centroid and the distance to its farthest vertex; several shapes
  one point and the radius that holds them all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from core.lib.geo import distance_km
from incidents.feeds import CATEGORY, FeedError, FeedItem, radius_in_range
from incidents.models import Incident, Severity
from incidents.services import IncidentInput

SOURCE = "cap"
NS = "urn:oasis:names:tc:emergency:cap:1.2"
# CAP 1.1 messages are still sent by some publishers: the elements read here are the same.
NAMESPACES = (NS, "urn:oasis:names:tc:emergency:cap:1.1")
SEVERITY = {"Extreme": Severity.CRITICAL, "Severe": Severity.WARNING}
EXTERNAL_ID_MAX = Incident._meta.get_field("external_id").max_length or 200


def _tag(name: str, namespace: str = NS) -> str:
    return f"{{{namespace}}}{name}"


def _namespace(element: Element) -> str:
    return element.tag[1:].partition("}")[0] if element.tag.startswith("{") else NS


def _find(element: Element, name: str) -> str:
    found = element.find(_tag(name, _namespace(element)))
    return (found.text or "").strip() if found is not None else ""


def _all(element: Element, name: str) -> list[Element]:
    return element.findall(_tag(name, _namespace(element)))


@dataclass(frozen=True)
class Area:
    latitude: float
    longitude: float
    radius_km: float


def _pair(text: str) -> tuple[float, float] | None:
    try:
        latitude, longitude = (float(part) for part in text.split(","))
    except ValueError:
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def circle_area(text: str) -> Area | None:
    """``"lat,lon radius"`` (radius in km; 0 means the point itself)."""
    point, _, radius = text.strip().partition(" ")
    centre = _pair(point)
    try:
        km = float(radius.strip() or 0)
    except ValueError:
        return None
    if centre is None or not math.isfinite(km) or km < 0:
        return None
    return Area(centre[0], centre[1], km)


def polygon_area(text: str) -> Area | None:
    """The centroid of the polygon (the area-weighted one, on the plane of its degrees: CAP
    polygons are a district or a county wide) and the distance to its farthest vertex."""
    points = [pair for part in text.split() if (pair := _pair(part)) is not None]
    if len(points) < 3 or len(points) != len(text.split()):
        return None
    if points[0] == points[-1]:
        points = points[:-1]
    twice_area = cx = cy = 0.0
    for (y0, x0), (y1, x1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        twice_area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(twice_area) < 1e-12:
        # Degenerate (all vertices on a line): the mean of the vertices.
        latitude = sum(lat for lat, _ in points) / len(points)
        longitude = sum(lon for _, lon in points) / len(points)
    else:
        latitude, longitude = cy / (3 * twice_area), cx / (3 * twice_area)
    radius = max(distance_km(latitude, longitude, lat, lon) for lat, lon in points)
    return Area(round(latitude, 5), round(longitude, 5), round(radius, 1))


def combined_area(areas: list[Area]) -> Area | None:
    """One point and a radius holding every shape: the mean of their centres, and the
    farthest reach of any shape from it."""
    if not areas:
        return None
    if len(areas) == 1:
        return areas[0]
    latitude = sum(area.latitude for area in areas) / len(areas)
    longitude = sum(area.longitude for area in areas) / len(areas)
    radius = max(
        distance_km(latitude, longitude, area.latitude, area.longitude) + area.radius_km
        for area in areas
    )
    return Area(round(latitude, 5), round(longitude, 5), round(radius, 1))


def _time(text: str) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def external_id(identifier: str) -> str:
    """``cap:<identifier>``; an identifier too long for the column (some are whole URLs) is
    kept as its digest, the same every time it is read."""
    value = f"cap:{identifier}"
    if len(value) <= EXTERNAL_ID_MAX:
        return value
    return f"cap:sha256:{hashlib.sha256(identifier.encode()).hexdigest()}"


def _references(text: str) -> list[str]:
    """``sender,identifier,sent`` triples, space-separated, as external ids (cap:<identifier>)."""
    ids = []
    for triple in text.split():
        parts = triple.split(",")
        if len(parts) >= 2 and parts[1]:
            ids.append(external_id(parts[1]))
    return ids


def _info(alert: Element) -> Element | None:
    """The info block to read: English when there is one, else the first."""
    blocks = _all(alert, "info")
    for block in blocks:
        if _find(block, "language").lower().startswith("en"):
            return block
    return blocks[0] if blocks else None


def _severity(alert: Element) -> str:
    ranks = Severity.values
    found = [SEVERITY.get(_find(block, "severity"), Severity.INFO) for block in _all(alert, "info")]
    return max(found, key=ranks.index) if found else Severity.INFO


def _area(info: Element) -> tuple[Area | None, str]:
    shapes: list[Area] = []
    names: list[str] = []
    for area in _all(info, "area"):
        if name := _find(area, "areaDesc"):
            names.append(name)
        for circle in _all(area, "circle"):
            if (shape := circle_area(circle.text or "")) is not None:
                shapes.append(shape)
        for polygon in _all(area, "polygon"):
            if (shape := polygon_area(polygon.text or "")) is not None:
                shapes.append(shape)
    return combined_area(shapes), ", ".join(names)


def _summary(info: Element, sender: str) -> str:
    parts = [text for name in ("description", "instruction") if (text := _find(info, name))]
    if sender:
        parts.append(f"Issued by {sender}.")
    web = _find(info, "web")
    if web.startswith("https://"):
        parts.append(f"[More information]({web})")
    return "\n\n".join(parts)


def alert_item(alert: Element) -> FeedItem | None:
    """One CAP alert as a feed item (None when it has no identifier)."""
    identifier = _find(alert, "identifier")
    if not identifier:
        return None
    msg_type = _find(alert, "msgType")
    status = _find(alert, "status")
    sent = _time(_find(alert, "sent"))
    info = _info(alert)
    area, area_names = _area(info) if info is not None else (None, "")
    event = (_find(info, "event") if info is not None else "") or "Alert"
    headline = _find(info, "headline") if info is not None else ""
    title = headline or (f"{event}, {area_names}" if area_names else event)
    onset = None
    expires = None
    if info is not None:
        onset = _time(_find(info, "onset")) or _time(_find(info, "effective"))
        expires = _time(_find(info, "expires"))
    start = onset or sent
    starts_on = start.astimezone(dt.UTC).date() if start else None
    # An alert is open through the day it expires (an end date of today would close it now).
    ends_on = expires.astimezone(dt.UTC).date() + dt.timedelta(days=1) if expires else None
    if ends_on is not None and starts_on is not None and ends_on < starts_on:
        ends_on = None
    incident = IncidentInput(
        title=" ".join(title.split())[:200],
        country="",
        starts_on=starts_on,
        ends_on=ends_on,
        severity=_severity(alert),
        category=CATEGORY,
        summary=_summary(info, _find(alert, "senderName") or _find(alert, "sender"))
        if info is not None
        else "",
        source=SOURCE,
        external_id=external_id(identifier),
        latitude=area.latitude if area else None,
        longitude=area.longitude if area else None,
        radius_km=radius_in_range(area.radius_km) if area else None,
    )
    skipped = ""
    if status != "Actual":
        skipped = f"status {status or 'missing'}, not an actual alert"
    elif msg_type not in ("Alert", "Update", "Cancel"):
        skipped = f"message type {msg_type or 'missing'}"
    elif area is None and msg_type != "Cancel":
        skipped = "no circle or polygon to place it"
    references = _references(_find(alert, "references")) if msg_type != "Alert" else []
    if msg_type in ("Update", "Cancel") and not references and not skipped:
        skipped = f"a {msg_type} that references no earlier message"
    return FeedItem(
        incident=incident,
        references=references,
        cancel=msg_type == "Cancel",
        skipped=skipped,
    )


ATOM = "http://www.w3.org/2005/Atom"
ATOM_ENTRY = f"{{{ATOM}}}entry"
# The CAP elements an Atom entry may carry itself (the US National Weather Service's feeds),
# and where they go in an alert.
_ENTRY_ALERT = ("identifier", "sent", "status", "msgType", "references")
_ENTRY_INFO = ("event", "severity", "effective", "onset", "expires")
_ENTRY_AREA = ("areaDesc", "polygon", "circle")


def _entry_alert(entry: Element) -> Element | None:
    """An Atom entry that carries CAP elements itself rather than an ``<alert>``, as the
    alert they make: its id is the identifier when it gives none, its title the headline
    and its summary the description."""
    namespace = next(
        (ns for ns in NAMESPACES if entry.find(_tag("severity", ns)) is not None), None
    )
    if namespace is None:
        return None

    def atom(name: str) -> str:
        found = entry.find(f"{{{ATOM}}}{name}")
        return (found.text or "").strip() if found is not None else ""

    def copy(parent: Element, names: tuple[str, ...]) -> None:
        for name in names:
            for found in entry.findall(_tag(name, namespace)):
                SubElement(parent, _tag(name, namespace)).text = found.text

    alert = Element(_tag("alert", namespace))
    copy(alert, _ENTRY_ALERT)
    if alert.find(_tag("identifier", namespace)) is None:
        SubElement(alert, _tag("identifier", namespace)).text = atom("id")
    if alert.find(_tag("sent", namespace)) is None:
        SubElement(alert, _tag("sent", namespace)).text = atom("published") or atom("updated")
    info = SubElement(alert, _tag("info", namespace))
    copy(info, _ENTRY_INFO)
    SubElement(info, _tag("headline", namespace)).text = atom("title")
    SubElement(info, _tag("description", namespace)).text = atom("summary")
    copy(SubElement(info, _tag("area", namespace)), _ENTRY_AREA)
    return alert


def parse(body: bytes) -> list[FeedItem]:
    """The alerts of a CAP message or of an Atom or RSS feed carrying them, in document
    order (so an Update follows the Alert it changes)."""
    try:
        root = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise FeedError(f"not CAP XML: {exc}") from None
    alert_tags = {_tag("alert", namespace) for namespace in NAMESPACES}
    alerts = [element for element in root.iter() if element.tag in alert_tags]
    if not alerts:
        alerts = [alert for entry in root.iter(ATOM_ENTRY) if (alert := _entry_alert(entry))]
    if not alerts:
        raise FeedError("no CAP 1.2 alert in the document")
    items = [alert_item(alert) for alert in alerts]
    return [item for item in items if item is not None]


CAP_TYPES = ("application/cap+xml", "application/common-alerting-protocol+xml")


def linked_messages(body: bytes) -> list[str]:
    """The addresses of the CAP messages an Atom or RSS feed links to instead of carrying them
    (most national feeds do): each entry's link of a CAP type, else its one link ending in
    .xml or .cap. The poll fetches them; this reads only the feed."""
    urls: list[str] = []
    for entry in feedparser.parse(body).entries:
        links = entry.get("links", [])
        typed = [link.get("href", "") for link in links if link.get("type") in CAP_TYPES]
        guessed = [
            link.get("href", "")
            for link in links
            if link.get("href", "").lower().endswith((".xml", ".cap"))
        ]
        for url in typed or guessed[:1]:
            if url.startswith(("http://", "https://")) and url not in urls:
                urls.append(url)
    return urls
