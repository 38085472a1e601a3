"""`{{ doc.stops|itinerary_map }}`: the itinerary page's SVG map (briefings/itinerary_map.py),
and `{{ doc.stops|unmapped_stops }}`, the stops it could not place, as "2. Zhanatas farm"."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from briefings.itinerary_map import itinerary_svg, map_stops

register = template.Library()


@register.filter
def itinerary_map(stops: Iterable[Mapping[str, Any]]) -> SafeString:
    # Built from numbers and escaped names only (itinerary_svg escapes every text it writes).
    return mark_safe(itinerary_svg(map_stops(stops)))  # noqa: S308


@register.filter
def unmapped_stops(stops: Iterable[Mapping[str, Any]]) -> list[str]:
    return [
        f"{number}. {stop.get('place') or stop.get('country_name', '')}"
        for number, stop in enumerate(stops, start=1)
        if stop.get("latitude") is None or stop.get("longitude") is None
    ]
