"""The briefing's itinerary map: a small SVG of the trip's stops, numbered as in the itinerary
table, the route between them, and the country outlines around them.

The outlines are the same Natural Earth files the web maps draw (static/vendor/world-atlas:
countries-50m.json, and countries-110m.json for a view across continents), decoded here from
TopoJSON once per worker process rather than shipped a second time as pre-converted GeoJSON:
one set of files to update (static/vendor/README.md), and the decoding (about a tenth of a
second) is paid once by a worker that renders hundreds of briefings. Only the countries
around the stops are drawn, simplified to what shows at this size, so a page with the map
lays out in a few milliseconds more than one without.

WeasyPrint draws inline SVG as vector paths on the itinerary page itself: nothing is fetched
(briefings/fetcher.py refuses the network anyway), and the pages shared between briefings
(the cached chapters, contacts, sources) are untouched.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

import pycountry
from django.conf import settings

OUTLINES = Path("static") / "vendor" / "world-atlas"
# Over a view this many degrees wide, the 1:110m outlines: the 1:50m detail would not show, and
# a continent's worth of it would slow the page's layout.
COARSE_OVER_DEGREES = 40.0
WIDTH, HEIGHT = 480.0, 240.0
# A single stop (or stops close together) still shows its country around it.
MIN_SPAN_DEGREES = 10.0
# Projected points closer than this (in SVG units, three quarters of a printed point) to the
# last one kept are dropped: not visible at this size, and they would only slow the layout.
SIMPLIFY = 1.0
FRAME = 10.0

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Outline:
    numeric: str
    name: str
    polygons: tuple[tuple[Ring, ...], ...]
    west: float
    south: float
    east: float
    north: float


@dataclass(frozen=True)
class MapStop:
    number: int
    latitude: float
    longitude: float
    approximate: bool
    country: str


def _decode_arcs(topology: Mapping[str, Any]) -> list[Ring]:
    """TopoJSON's quantised, delta-encoded arcs as (longitude, latitude) positions."""
    (scale_x, scale_y), (shift_x, shift_y) = (
        topology["transform"]["scale"],
        topology["transform"]["translate"],
    )
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        positions = []
        for dx, dy in arc:
            x += dx
            y += dy
            positions.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(positions)
    return arcs


def _ring(indexes: Iterable[int], arcs: Sequence[Ring]) -> Ring:
    ring: Ring = []
    for index in indexes:
        # A negative index is the one's complement of an arc walked backwards.
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        ring.extend(arc[1:] if ring else arc)
    return ring


@cache
def outlines(scale: str = "50m") -> tuple[Outline, ...]:
    """Every country of the Natural Earth file (1:50m or 1:110m) with its rings and bounding
    box, decoded once per process."""
    path = Path(settings.BASE_DIR) / OUTLINES / f"countries-{scale}.json"
    topology = json.loads(path.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        decoded = tuple(tuple(_ring(ring, arcs) for ring in polygon) for polygon in polygons)
        points = [point for polygon in decoded for ring in polygon for point in ring]
        countries.append(
            Outline(
                numeric=str(geometry.get("id", "")),
                name=geometry.get("properties", {}).get("name", ""),
                polygons=decoded,
                west=min(x for x, _ in points),
                south=min(y for _, y in points),
                east=max(x for x, _ in points),
                north=max(y for _, y in points),
            )
        )
    return tuple(countries)


def _numeric(alpha_2: str) -> str:
    found = pycountry.countries.get(alpha_2=alpha_2)
    return found.numeric if found else ""


class _Projection:
    """Equirectangular, with longitudes shortened by the cosine of the view's middle latitude
    (so shapes look right at the latitudes shown), fitted to the drawing's box."""

    def __init__(self, stops: Sequence[MapStop]) -> None:
        west = min(stop.longitude for stop in stops)
        east = max(stop.longitude for stop in stops)
        south = min(stop.latitude for stop in stops)
        north = max(stop.latitude for stop in stops)
        self.shrink = math.cos(math.radians(max(-70.0, min(70.0, (south + north) / 2))))
        span_x = max((east - west) * self.shrink, MIN_SPAN_DEGREES) * 1.6
        span_y = max(north - south, MIN_SPAN_DEGREES / 2) * 1.6
        # Widen one side so that the view has the box's proportions.
        if span_x / span_y < WIDTH / HEIGHT:
            span_x = span_y * WIDTH / HEIGHT
        else:
            span_y = span_x * HEIGHT / WIDTH
        self.centre_x = (west + east) / 2 * self.shrink
        self.centre_y = (south + north) / 2
        self.scale = WIDTH / span_x
        self.west = (self.centre_x - span_x / 2) / self.shrink
        self.east = (self.centre_x + span_x / 2) / self.shrink
        self.south = self.centre_y - span_y / 2
        self.north = self.centre_y + span_y / 2

    def __call__(self, longitude: float, latitude: float) -> tuple[float, float]:
        x = (longitude * self.shrink - self.centre_x) * self.scale + WIDTH / 2
        y = HEIGHT / 2 - (latitude - self.centre_y) * self.scale
        return x, y

    def shows(self, outline: Outline) -> bool:
        return not (
            outline.east < self.west
            or outline.west > self.east
            or outline.north < self.south
            or outline.south > self.north
        )


def _path(outline: Outline, project: _Projection) -> str:
    commands = []
    for polygon in outline.polygons:
        for ring in polygon:
            kept: list[tuple[float, float]] = []
            for longitude, latitude in ring:
                x, y = project(longitude, latitude)
                # Points beyond the view are pulled onto a frame just outside it: what shows
                # is unchanged, and a large neighbour (Russia, China) costs a few points.
                x = min(max(x, -FRAME), WIDTH + FRAME)
                y = min(max(y, -FRAME), HEIGHT + FRAME)
                if kept and abs(x - kept[-1][0]) + abs(y - kept[-1][1]) < SIMPLIFY:
                    continue
                kept.append((x, y))
            if len(kept) < 3:
                continue
            commands.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in kept) + "Z")
    return "".join(commands)


def map_stops(stops: Iterable[Mapping[str, Any]]) -> list[MapStop]:
    """The briefing's stop rows that have coordinates, numbered as in its itinerary table."""
    return [
        MapStop(
            number=number,
            latitude=float(stop["latitude"]),
            longitude=float(stop["longitude"]),
            approximate=bool(stop.get("approximate")),
            country=stop.get("country", ""),
        )
        for number, stop in enumerate(stops, start=1)
        if stop.get("latitude") is not None and stop.get("longitude") is not None
    ]


def _marker(stop: MapStop, x: float, y: float) -> str:
    # An approximate stop (a city's centre guessed from its name) is hollow and dashed.
    if stop.approximate:
        circle, ink = 'fill="#ffffff" stroke="#12416e" stroke-dasharray="2 1.5"', "#12416e"
    else:
        circle, ink = 'fill="#12416e" stroke="#ffffff"', "#ffffff"
    return (
        f'<g class="stop{" approximate" if stop.approximate else ""}">'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" stroke-width="1.5" {circle}/>'
        f'<text x="{x:.1f}" y="{y + 3.2:.1f}" fill="{ink}">{stop.number}</text></g>'
    )


def itinerary_svg(stops: Sequence[MapStop], *, title: str = "Map of the itinerary") -> str:
    """An <svg> of these stops (empty when there are none): a path per country in view, the
    countries visited shaded, the route in order, a numbered marker per stop."""
    if not stops:
        return ""
    project = _Projection(stops)
    visited = {_numeric(stop.country) for stop in stops}
    countries = []
    scale = "110m" if project.east - project.west > COARSE_OVER_DEGREES else "50m"
    for outline in outlines(scale):
        if not project.shows(outline):
            continue
        path = _path(outline, project)
        if path:
            shade = (
                ' class="country visited" fill="#f6e3bf"'
                if outline.numeric in visited
                else (' class="country"')
            )
            countries.append(f'<path{shade} data-country="{escape(outline.name)}" d="{path}"/>')
    points = [project(stop.longitude, stop.latitude) for stop in stops]
    route = (
        '<polyline class="route" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>'
        if len(points) > 1
        else ""
    )
    markers = "".join(_marker(stop, x, y) for stop, (x, y) in zip(stops, points, strict=True))
    # Presentation attributes, not a stylesheet: WeasyPrint's SVG renderer reads them
    # directly, and the drawing stays the same whatever pdf.css says.
    return (
        f'<svg class="itinerary-map" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" width="{WIDTH:.0f}" height="{HEIGHT:.0f}">'
        f"<title>{escape(title)}</title>"
        '<defs><clipPath id="itinerary-map-view">'
        f'<rect width="{WIDTH:.0f}" height="{HEIGHT:.0f}"/></clipPath></defs>'
        f'<rect width="{WIDTH:.0f}" height="{HEIGHT:.0f}" fill="#cfe3f3"/>'
        '<g clip-path="url(#itinerary-map-view)">'
        f'<g fill="#f4f4f1" stroke="#8a94a3" stroke-width="0.5">{"".join(countries)}</g>'
        f'<g fill="none" stroke="#12416e" stroke-width="1.6" stroke-dasharray="5 3">{route}</g>'
        f'<g font-size="9" font-weight="bold" text-anchor="middle">{markers}</g>'
        "</g>"
        f'<rect width="{WIDTH:.0f}" height="{HEIGHT:.0f}" fill="none" stroke="#8a94a3"/>'
        "</svg>"
    )
