"""Our level beside the watched official sources' ratings, for any page or briefing that shows
a country: ``{% their_ratings code %}`` (a short block), ``{% rating_lines trip as lines %}``
(one line per source, for a trip's assessment or briefing), and ``{% sources_disagree_by_trip
rows as flagged %}`` with ``flagged|of_trip:trip`` (the approval queue's badges). Each reads
advisories.watch.selectors; a trip is only read through its ``stops`` (advisories does not
import trips)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from advisories.watch import selectors as watch_selectors
from core.lib.countries import country_name

register = template.Library()


@register.inclusion_tag("advisories/_their_ratings.html")
def their_ratings(code: str) -> dict[str, Any]:
    return {"ratings": watch_selectors.country_ratings(code)}


def _codes(trip: Any) -> list[str]:
    return list(dict.fromkeys(stop.country_id for stop in trip.stops.all()))


@register.simple_tag
def rating_lines(trip_or_codes: Any) -> list[dict[str, Any]]:
    """Per country of a trip (or of a list of codes), our level and each source's line."""
    codes: Iterable[str] = (
        _codes(trip_or_codes) if hasattr(trip_or_codes, "stops") else trip_or_codes
    )
    codes = [code for code in codes if code]
    ratings = watch_selectors.ratings_for(codes)
    return [
        {
            "country": country_name(code),
            "ours": ratings[code.upper()].ours,
            "theirs": ratings[code.upper()].theirs,
            "disagree": ratings[code.upper()].disagree,
        }
        for code in codes
        if ratings[code.upper()].theirs
    ]


@register.simple_tag
def sources_disagree_by_trip(rows: Iterable[Any]) -> dict[int, list[str]]:
    """For a page of trips (or of rows holding one as ``trip``), the names of each trip's
    countries flagged "sources disagree", by trip id: read once for the whole page, so a
    longer queue costs no more queries."""
    trips = [row["trip"] if isinstance(row, dict) else row for row in rows]
    codes = {trip.pk: _codes(trip) for trip in trips}
    flagged = watch_selectors.countries_sources_disagree(
        code for trip_codes in codes.values() for code in trip_codes
    )
    return {
        pk: [country_name(code) for code in trip_codes if code.upper() in flagged]
        for pk, trip_codes in codes.items()
    }


@register.filter
def of_trip(by_trip: dict[int, list[str]], trip: Any) -> list[str]:
    return by_trip.get(trip.pk, [])
