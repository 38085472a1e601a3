"""From a booking's segments to a trip's stops (product.md, "Bookings: trips that arrive by
themselves"). Pure: segments in, stops out, no ORM.

- each place the traveller arrives at is a stop from the arrival's local date to the next
  departure from it (local there too);
- a connection where the next departure leaves within 24 hours and no hotel is booked there is
  a transit stop;
- the return to where the journey began is not a stop;
- a hotel's city (and coordinates) refine the stop it falls in; a hotel in no stop (booked
  apart from the flights) is a stop of its own, check-in to check-out;
- a stop with no later departure ends at its hotel's check-out, or with neither on its arrival
  day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bookings.validation import Location, SegmentData

TRANSIT_WITHIN = dt.timedelta(hours=24)


@dataclass(frozen=True)
class DerivedStop:
    country: str
    place: str
    arrival: dt.date
    departure: dt.date
    transit: bool = False
    latitude: float | None = None
    longitude: float | None = None


def _same_place(a: Location, b: Location) -> bool:
    if a.code and a.code == b.code:
        return True
    return a.country == b.country and a.city.casefold() == b.city.casefold()


def _hotel_in(
    hotel: SegmentData, *, country: str, arrival: dt.date, departure: dt.date | None
) -> bool:
    """A hotel falls in a stop when it is in the stop's country and its nights meet the stay:
    checked in from the arrival day (or the night before, for a late landing) and before the
    next departure."""
    assert hotel.check_in is not None and hotel.check_out is not None
    if hotel.country != country:
        return False
    if departure is None:
        return hotel.check_out >= arrival and hotel.check_in >= arrival - dt.timedelta(days=1)
    return (hotel.check_in < departure and hotel.check_out > arrival) or hotel.check_in == arrival


def _moves(segments: Iterable[SegmentData]) -> list[SegmentData]:
    moving = [segment for segment in segments if segment.kind != "hotel"]
    return sorted(moving, key=lambda segment: (segment.departs, segment.arrives))


def stops_derive(segments: Sequence[SegmentData]) -> list[DerivedStop]:
    """The stops a booking's segments make, in time order."""
    moves = _moves(segments)
    hotels = sorted(
        (segment for segment in segments if segment.kind == "hotel"),
        key=lambda hotel: (hotel.check_in, hotel.check_out),
    )
    used: set[int] = set()
    stops: list[DerivedStop] = []
    home = moves[0].origin if moves else None
    for index, move in enumerate(moves):
        assert move.destination is not None and move.arrives is not None
        there = move.destination
        if home is not None and _same_place(there, home):
            continue
        following = moves[index + 1] if index + 1 < len(moves) else None
        arrival = move.arrives.date()
        leaves = following.departs if following is not None else None
        found = next(
            (
                (position, hotel)
                for position, hotel in enumerate(hotels)
                if position not in used
                and _hotel_in(
                    hotel,
                    country=there.country,
                    arrival=arrival,
                    departure=leaves.date() if leaves else None,
                )
            ),
            None,
        )
        if found is not None:
            used.add(found[0])
        booked = found[1] if found else None
        if leaves is not None:
            departure = max(arrival, leaves.date())
        elif booked is not None and booked.check_out is not None:
            departure = max(arrival, booked.check_out)
        else:
            departure = arrival
        transit = leaves is not None and booked is None and leaves - move.arrives < TRANSIT_WITHIN
        stops.append(
            DerivedStop(
                country=there.country,
                place=(booked.city if booked and booked.city else there.city),
                arrival=arrival,
                departure=departure,
                transit=transit,
                latitude=booked.latitude
                if booked and booked.latitude is not None
                else there.latitude,
                longitude=booked.longitude
                if booked and booked.longitude is not None
                else there.longitude,
            )
        )
    for position, hotel in enumerate(hotels):
        if position in used:
            continue
        assert hotel.check_in is not None and hotel.check_out is not None
        stops.append(
            DerivedStop(
                country=hotel.country,
                place=hotel.city,
                arrival=hotel.check_in,
                departure=hotel.check_out,
                latitude=hotel.latitude,
                longitude=hotel.longitude,
            )
        )
    return sorted(stops, key=lambda stop: (stop.arrival, stop.departure))
