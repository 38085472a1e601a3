import datetime as dt

import pytest

from bookings.validation import BookingInvalid, booking_parse
from tests.bookings.helpers import almaty_return, at, booking, d, flight, hotel

TODAY = dt.date.today()


def errors_of(payload, **kwargs) -> dict:
    with pytest.raises(BookingInvalid) as caught:
        booking_parse(payload, today=TODAY, **kwargs)
    return caught.value.errors


def test_a_booking_is_understood_with_airports_resolved_and_local_times():
    data = booking_parse(booking(), today=TODAY)
    outbound = data.segments[0]
    assert (outbound.origin.city, outbound.origin.country, outbound.origin.tz) == (
        "London",
        "GB",
        "Europe/London",
    )
    assert outbound.destination.code == "ALA"
    assert outbound.destination.latitude == pytest.approx(43.35, abs=0.01)
    assert outbound.arrives.date() == d(11)
    assert data.traveller_email == "eva.green@example.org"


def test_times_written_in_utc_are_read_as_the_local_time_at_the_airport():
    late = flight("KC", "942", "LHR", "ALA", at(10, "20:15"), at(10, "23:30", "Z"))
    data = booking_parse(booking(late), today=TODAY)
    assert data.segments[0].arrives.date() == d(11)
    assert data.segments[0].arrives.isoformat().endswith("04:30:00+05:00")


def test_an_unknown_airport_is_named_by_its_segment():
    segments = almaty_return()
    segments[1]["from"] = "XXX"
    assert errors_of(booking(*segments)) == {"segments[1].from": ['unknown airport "XXX"']}


def test_every_problem_is_reported_at_once_by_its_json_path():
    bad = [
        flight("KC", "942", "LHR", "ALA", at(10, "20:15"), at(10, "06:30", "+05:00")),
        hotel("Hotel Almaty", "Almaty", "QQ", 12, 11),
        {
            "type": "rail",
            "from": {"city": "Almaty", "country": "KZ"},
            "to": "ALA",
            "departs": "2027-03-09T08:00:00",
            "arrives": at(20, "10:00", "+05:00"),
        },
    ]
    errors = errors_of(booking(*bad, status="maybe"))
    assert set(errors) == {
        "status",
        "segments[0].arrives",
        "segments[1].country",
        "segments[1].check_out",
        "segments[2].departs",
    }
    assert "ends before it starts" in errors["segments[0].arrives"][0]
    assert errors["segments[1].country"] == ['unknown country "QQ"']
    assert "no offset" in errors["segments[2].departs"][0]


def test_a_reservation_for_a_past_date_is_refused_unless_it_is_an_update():
    past = [flight("KC", "942", "LHR", "ALA", at(-5, "20:15"), at(-4, "06:30", "+05:00"))]
    errors = errors_of(booking(*past))
    assert "past date" in errors["segments[0].arrives"][0]
    assert booking_parse(booking(*past), today=TODAY, allow_past=True).segments


def test_dates_beyond_the_portals_horizon_are_refused():
    far = [hotel("Hotel Almaty", "Almaty", "KZ", 3000, 3002)]
    assert "segments[0].check_in" in errors_of(booking(*far))


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ([], "non_field_errors"),
        ({"segments": []}, "segments"),
        ({"segments": [{"type": "boat"}]}, "segments[0].type"),
        ({"reference": "X" * 65, "segments": [hotel("H", "Almaty", "KZ", 1, 2)]}, "reference"),
        ({"segments": [hotel("H", "Almaty", "KZ", 1, 2)] * 41}, "segments"),
        (
            {"traveller": {"email": "nobody"}, "segments": [hotel("H", "Almaty", "KZ", 1, 2)]},
            "traveller.email",
        ),
        (
            {"segments": [hotel("H", "Almaty", "KZ", 1, 2, latitude=91, longitude=0)]},
            "segments[0].latitude",
        ),
    ],
)
def test_malformed_input_is_a_field_error_never_a_crash(payload, path):
    assert path in errors_of(payload)


def test_rail_between_cities_takes_city_and_country():
    rail = {
        "type": "rail",
        "from": {"city": "Almaty", "country": "kz"},
        "to": {"city": "Astana", "country": "KZ"},
        "departs": at(12, "08:00", "+05:00"),
        "arrives": at(12, "20:00", "+05:00"),
    }
    data = booking_parse(booking(rail), today=TODAY)
    assert (data.segments[0].destination.city, data.segments[0].destination.country) == (
        "Astana",
        "KZ",
    )
