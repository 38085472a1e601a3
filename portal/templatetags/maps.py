"""Small maps on a trip's page (its itinerary) and an incident's page (its circle or places,
and the stops of the travellers it touches): `{% trip_map stops %}`, `{% incident_map incident
groups %}`. Each renders a Leaflet map (static/maps/minimap.js) over the outlines the portal
serves, and says in words what could not be drawn."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from portal.maps import map_config, stop_located

register = template.Library()


def _stop_point(stop: Any, label: str, number: int | None = None) -> dict[str, Any]:
    return {
        "lat": stop.latitude,
        "lon": stop.longitude,
        "label": label,
        "number": number,
        "approximate": stop.location_approximate,
    }


def _stop_name(stop: Any) -> str:
    place = stop.place.name if stop.place_id else stop.place_text
    return f"{place}, {stop.country.name}" if place else stop.country.name


@register.inclusion_tag("maps/_small_map.html")
def trip_map(stops: Iterable[Any]) -> dict[str, Any]:
    """The stops in order, numbered as in the itinerary beside it, with a line between them.
    The itinerary's list says which stops are approximate or not on the map."""
    stops = list(stops)
    located = [
        _stop_point(stop, f"{number}. {_stop_name(stop)}", number)
        for number, stop in enumerate(stops, start=1)
        if stop_located(stop)
    ]
    return {
        "map_id": "trip-map",
        "data_id": "trip-map-data",
        "label": "Map of the itinerary",
        "data": map_config(points=located, route=True),
        "shown": bool(located),
        # The itinerary beside the map says, stop by stop, which are approximate or not on it.
    }


@register.inclusion_tag("maps/_small_map.html")
def incident_map(incident: Any, groups: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """The incident's circle (or its curated places) and the stops of the travellers it
    touches (the rows of its impacted list, when the viewer may see them)."""
    areas: list[dict[str, Any]] = []
    if incident.has_point:
        areas.append(
            {
                "lat": incident.latitude,
                "lon": incident.longitude,
                "radius_km": incident.radius_km,
                "severity": incident.severity,
                "label": incident.title,
            }
        )
    unplaced = []
    for place in incident.places.all():
        if place.located:
            areas.append(
                {
                    "lat": place.latitude,
                    "lon": place.longitude,
                    "severity": incident.severity,
                    "label": place.name,
                }
            )
        else:
            unplaced.append(place.name)
    rows = [row for group in groups for row in group["rows"]]
    touched = [
        _stop_point(
            row.stop,
            f"{row.traveller.get_full_name() or row.traveller.username}, {_stop_name(row.stop)}",
        )
        for row in rows
        if stop_located(row.stop)
    ]
    unlocated = [
        f"{row.traveller.get_full_name() or row.traveller.username}, {_stop_name(row.stop)}"
        for row in rows
        if not stop_located(row.stop)
    ]
    return {
        "map_id": "incident-map",
        "data_id": "incident-map-data",
        "label": f"Map of {incident.title}",
        "data": map_config(points=touched, areas=areas, route=False),
        "shown": bool(areas or touched),
        "approximate": [p["label"] for p in touched if p["approximate"]],
        "unlocated": unlocated,
        "unplaced": unplaced,
        "whole_country": not areas and not incident.places.exists() and incident.country_id,
        "country_name": incident.country.name if incident.country_id else "",
    }
