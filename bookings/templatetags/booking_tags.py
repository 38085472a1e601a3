"""Bookings on pages of the apps below (the trip page, who-is-where). trips must not import
bookings, so its templates ask this library instead, as they ask incidents for its notices:
the dependency stays where it belongs, and the pages work unchanged without bookings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django import template

from bookings import selectors
from bookings.models import Segment

register = template.Library()


def _local(text: str) -> str:
    """ "4 Mar 20:15": a time as it was at the place, with no conversion to ours."""
    if not text:
        return ""
    moment = dt.datetime.fromisoformat(text)
    return f"{moment.day} {moment:%b %H:%M}"


def _leg(segment: Segment) -> dict[str, Any]:
    return {
        "kind": segment.get_kind_display(),
        "carrier": segment.carrier,
        "number": segment.number,
        "origin": segment.from_code or segment.from_city,
        "destination": segment.to_code or segment.to_city,
        "departs": _local(segment.departs_local),
        "arrives": _local(segment.arrives_local),
    }


@register.inclusion_tag("bookings/_trip_bookings.html", takes_context=True)
def trip_bookings(context, trip) -> dict[str, Any]:
    """Where a trip came from (its bookings) and its flights, for the trip page."""
    bookings = selectors.trip_bookings(trip)
    request = context.get("request")
    return {
        "bookings": bookings,
        "legs": [_leg(segment) for segment in selectors.trip_flights(trip)] if bookings else [],
        "is_traveller": request is not None and request.user.pk == trip.traveller_id,
    }


@register.simple_tag
def flights_on(on: dt.date, stops: Iterable[Any]) -> dict[int, list[str]]:
    """The flights of the travellers listed that leave or land on a date, by traveller: one
    query for the whole who-is-where page."""
    travellers = sorted({stop.trip.traveller_id for stop in stops})
    return selectors.flights_on(on=on, traveller_ids=travellers) if travellers else {}


@register.filter
def flights_of(flights: dict[int, list[str]], traveller_id: int) -> list[str]:
    return flights.get(traveller_id, []) if flights else []


@register.simple_tag
def bookings_waiting_count(user) -> int:
    """How many unassigned bookings wait for this user (the nav's badge): one count, asked
    only where the nav shows the link (managers and arrangers)."""
    return selectors.bookings_waiting_for(user).count()
