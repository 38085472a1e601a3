"""`{{ moment|in_zone:zone }}`: a moment as the clock of a traveller's place reads it, and
`{{ zone|zone_label:moment }}`: which clock that is ("Almaty time, UTC+5"), for the pages a
traveller reads where they are (core.lib.timezones)."""

from __future__ import annotations

import datetime as dt

from django import template

from core.lib.timezones import PlaceZone

register = template.Library()


@register.filter
def in_zone(value, zone: PlaceZone) -> str:
    if not isinstance(value, dt.datetime) or not isinstance(zone, PlaceZone):
        return ""
    return zone.moment(value)


@register.filter
def zone_label(zone: PlaceZone, value=None) -> str:
    if not isinstance(zone, PlaceZone):
        return ""
    when = value if isinstance(value, dt.datetime) else dt.datetime.now(dt.UTC)
    return zone.label(when)
