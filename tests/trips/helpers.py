"""Helpers the trips tests share (test modules never import from one another)."""

from __future__ import annotations

import datetime as dt
import re

from trips import services
from trips.models import Trip
from trips.services import StopInput, TripInput


def d(offset: int) -> dt.date:
    """The date `offset` days from today."""
    return dt.date.today() + dt.timedelta(days=offset)


def file_trip(
    traveller,
    *,
    country: str = "MN",
    place: str = "Old Harbour",
    activities=(),
    submit: bool = True,
    start: int = 10,
    days: int = 8,
    purpose: str = "Plant audit",
    by=None,
) -> Trip:
    """A one-stop trip filed through the service (submitted unless told otherwise)."""
    data = TripInput(
        purpose=purpose,
        stops=[
            StopInput(
                country=country,
                place=place,
                arrival=d(start),
                departure=d(start + days),
                activities=list(activities),
            )
        ],
    )
    trip = services.trip_create(by=by or traveller, data=data, traveller=traveller)
    if submit:
        trip = services.trip_submit(trip=trip, by=by or traveller)
    return trip


def trip_links(response) -> int:
    """How many trip pages a page links to."""
    return len(re.findall(r'href="/trips/\d+/"', response.content.decode()))
