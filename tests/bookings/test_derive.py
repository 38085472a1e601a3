"""product.md's rules for stops from segments, one row per journey shape."""

import datetime as dt

import pytest

from bookings.derive import stops_derive
from bookings.validation import booking_parse
from tests.bookings.helpers import at, booking, d, flight, hotel

TODAY = dt.date.today()


def rail(origin, destination, departs, arrives):
    return {
        "type": "rail",
        "from": origin,
        "to": destination,
        "departs": departs,
        "arrives": arrives,
    }


def stops(*segments):
    data = booking_parse(booking(*segments), today=TODAY)
    return [
        (
            stop.country,
            stop.place,
            (stop.arrival - TODAY).days,
            (stop.departure - TODAY).days,
            stop.transit,
        )
        for stop in stops_derive(data.segments)
    ]


CASES = {
    "a return flight: one stop, the way home is none": (
        [
            flight("KC", "942", "LHR", "ALA", at(10, "20:15"), at(11, "06:30", "+05:00")),
            flight("KC", "941", "ALA", "LHR", at(14, "08:00", "+05:00"), at(14, "11:30")),
        ],
        [("KZ", "Almaty", 11, 14, False)],
    ),
    "a connection under 24 hours with no hotel is a transit stop": (
        [
            flight("TK", "1980", "LHR", "IST", at(10, "07:00"), at(10, "13:00", "+03:00")),
            flight("TK", "350", "IST", "ALA", at(10, "19:00", "+03:00"), at(11, "03:00", "+05:00")),
            flight("KC", "941", "ALA", "LHR", at(15, "08:00", "+05:00"), at(15, "11:30")),
        ],
        [("TR", "Istanbul", 10, 10, True), ("KZ", "Almaty", 11, 15, False)],
    ),
    "a connection with a hotel booked there is a stop, named by the hotel's city": (
        [
            flight("TK", "1980", "LHR", "IST", at(10, "07:00"), at(10, "13:00", "+03:00")),
            hotel("Airport Inn", "Arnavutkoy", "TR", 10, 11),
            flight("TK", "350", "IST", "ALA", at(11, "09:00", "+03:00"), at(11, "17:00", "+05:00")),
        ],
        [("TR", "Arnavutkoy", 10, 11, False), ("KZ", "Almaty", 11, 11, False)],
    ),
    "a one-way flight with a hotel ends at the check-out": (
        [
            flight("KC", "942", "LHR", "ALA", at(10, "20:15"), at(11, "06:30", "+05:00")),
            hotel("Hotel Almaty", "Almaty", "KZ", 11, 16),
        ],
        [("KZ", "Almaty", 11, 16, False)],
    ),
    "a one-way flight with no hotel ends on its arrival day": (
        [flight("KC", "942", "LHR", "ALA", at(10, "20:15"), at(11, "06:30", "+05:00"))],
        [("KZ", "Almaty", 11, 11, False)],
    ),
    "a hotel booked on its own is a stop of its own": (
        [hotel("Hotel Almaty", "Almaty", "KZ", 11, 14)],
        [("KZ", "Almaty", 11, 14, False)],
    ),
    "rail between cities, then home by air": (
        [
            flight("KC", "942", "LHR", "ALA", at(10, "20:15"), at(11, "06:30", "+05:00")),
            rail(
                {"city": "Almaty", "country": "KZ"},
                {"city": "Astana", "country": "KZ"},
                at(13, "08:00", "+05:00"),
                at(13, "20:00", "+05:00"),
            ),
            flight("KC", "921", "NQZ", "LHR", at(16, "09:00", "+05:00"), at(16, "12:00")),
        ],
        [("KZ", "Almaty", 11, 13, False), ("KZ", "Astana", 13, 16, False)],
    ),
    "across the date line a flight lands the day before it left": (
        [
            flight("HA", "822", "NRT", "HNL", at(10, "08:00", "+09:00"), at(9, "20:00", "-10:00")),
            flight("HA", "821", "HNL", "NRT", at(13, "13:00", "-10:00"), at(14, "17:00", "+09:00")),
        ],
        [("US", "Honolulu", 9, 13, False)],
    ),
}


@pytest.mark.parametrize("segments,expected", CASES.values(), ids=CASES.keys())
def test_stops_are_derived_as_product_md_says(segments, expected):
    assert stops(*segments) == expected


def test_a_hotel_gives_its_coordinates_to_the_stop_it_refines():
    data = booking_parse(
        booking(
            flight("KC", "942", "LHR", "ALA", at(10, "20:15"), at(11, "06:30", "+05:00")),
            hotel("Hotel Almaty", "Almaty", "KZ", 11, 14, latitude=43.26, longitude=76.95),
        ),
        today=TODAY,
    )
    [stop] = stops_derive(data.segments)
    assert (stop.latitude, stop.longitude, stop.departure) == (43.26, 76.95, d(14))
