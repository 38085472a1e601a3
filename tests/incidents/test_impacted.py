"""Who an incident touches: the semantics table of product.md ("Incidents and safety
checks"), case by case, and the query budget."""

from __future__ import annotations

import pytest

from incidents.selectors import incident_impacted, incident_window
from tests.factories import IncidentFactory, StopFactory, country, employee, trip_with_stops
from tests.incidents.helpers import day

pytestmark = pytest.mark.django_db


def rows_for(incident, on):
    return [
        (row.trip.purpose, row.presence, row.match)
        for row in incident_impacted(incident=incident, on=on)
    ]


def one(incident, on, *, status="approved", **stop):
    """Presence and match of a single trip with one stop in KZ (None when not listed)."""
    trip_with_stops(
        {"country": country(stop.pop("country", "KZ")), **stop}, status=status, purpose="probe"
    )
    rows = rows_for(incident, on)
    assert len(rows) <= 1
    return rows[0][1:] if rows else None


@pytest.fixture
def almaty_incident(kz):
    # Open, from 10 March, lookahead 3: stops overlapping 10..13 March.
    return IncidentFactory(places=[kz["almaty"]])


# --- presence -----------------------------------------------------------------------------


def test_a_traveller_in_the_place_on_the_day_is_there(almaty_incident, kz):
    assert one(almaty_incident, day(10), place=kz["almaty"], arrival=day(9), departure=day(12)) == (
        "there",
        "place",
    )


def test_a_traveller_due_after_the_day_is_arriving(almaty_incident, kz):
    assert one(
        almaty_incident, day(10), place=kz["almaty"], arrival=day(12), departure=day(15)
    ) == ("arriving", "place")


def test_a_traveller_who_departed_before_the_day_has_left(almaty_incident, kz):
    assert one(almaty_incident, day(12), place=kz["almaty"], arrival=day(9), departure=day(11)) == (
        "left",
        "place",
    )


def test_a_stop_ending_the_day_the_incident_starts_is_there_that_day_and_left_the_next(
    almaty_incident, kz
):
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(5), "departure": day(10)},
        purpose="last day",
    )
    assert rows_for(almaty_incident, day(10)) == [("last day", "there", "place")]
    assert rows_for(almaty_incident, day(11)) == [("last day", "left", "place")]


def test_a_stop_ending_the_day_before_it_starts_is_not_listed(almaty_incident, kz):
    assert (
        one(almaty_incident, day(10), place=kz["almaty"], arrival=day(5), departure=day(9)) is None
    )


def test_an_arrival_on_the_last_lookahead_day_is_listed_and_one_day_later_is_not(
    almaty_incident, kz
):
    assert incident_window(almaty_incident) == (day(10), day(13))
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(13), "departure": day(15)},
        purpose="on the edge",
    )
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(14), "departure": day(15)},
        purpose="too late",
    )
    assert rows_for(almaty_incident, day(10)) == [("on the edge", "arriving", "place")]


def test_an_ended_incident_looks_ahead_from_its_end(kz):
    incident = IncidentFactory(places=[kz["almaty"]], ends_on=day(12), lookahead_days=3)
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(15), "departure": day(16)},
        purpose="in",
    )
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(16), "departure": day(17)},
        purpose="out",
    )
    assert rows_for(incident, day(10)) == [("in", "arriving", "place")]


def test_no_lookahead_means_the_start_day_only_while_open(kz):
    incident = IncidentFactory(places=[kz["almaty"]], lookahead_days=0)
    assert one(incident, day(10), place=kz["almaty"], arrival=day(11), departure=day(12)) is None


# --- match --------------------------------------------------------------------------------


def test_another_curated_place_of_the_country_is_not_touched(almaty_incident, kz):
    assert (
        one(almaty_incident, day(10), place=kz["astana"], arrival=day(10), departure=day(12))
        is None
    )


def test_a_free_text_place_the_portal_does_not_know_is_possibly_affected(almaty_incident, kz):
    assert one(
        almaty_incident,
        day(10),
        place=None,
        place_text="Shymbulak ski resort",
        arrival=day(10),
        departure=day(12),
    ) == ("there", "possibly")


def test_a_stop_with_no_place_at_all_is_possibly_affected(almaty_incident, kz):
    assert one(
        almaty_incident, day(10), place=None, place_text="", arrival=day(11), departure=day(12)
    ) == ("arriving", "possibly")


def test_free_text_naming_the_place_in_whole_words_is_a_place_match(almaty_incident, kz):
    assert one(
        almaty_incident,
        day(10),
        place=None,
        place_text="Almaty, city centre",
        arrival=day(10),
        departure=day(12),
    ) == ("there", "place")


def test_free_text_naming_an_alias_is_a_place_match(almaty_incident, kz):
    assert one(
        almaty_incident,
        day(10),
        place=None,
        place_text="Алматы",
        arrival=day(10),
        departure=day(12),
    ) == ("there", "place")


def test_free_text_naming_another_curated_place_is_not_touched(almaty_incident, kz):
    assert (
        one(
            almaty_incident,
            day(10),
            place=None,
            place_text="Astana",
            arrival=day(10),
            departure=day(12),
        )
        is None
    )


def test_an_incident_without_places_touches_the_whole_country(kz):
    incident = IncidentFactory()
    trip_with_stops(
        {"country": country("KZ"), "place": kz["astana"], "arrival": day(10), "departure": day(11)},
        purpose="astana",
    )
    trip_with_stops(
        {
            "country": country("KZ"),
            "place": None,
            "place_text": "Shymbulak",
            "arrival": day(11),
            "departure": day(12),
        },
        purpose="free text",
    )
    assert rows_for(incident, day(10)) == [
        ("astana", "there", "country"),
        ("free text", "arriving", "country"),
    ]


def test_a_stop_in_another_country_is_not_touched(almaty_incident, kz):
    assert (
        one(
            almaty_incident,
            day(10),
            country="UZ",
            place=None,
            place_text="Almaty",
            arrival=day(10),
            departure=day(12),
        )
        is None
    )


def test_a_transit_stop_counts(almaty_incident, kz):
    assert one(
        almaty_incident,
        day(11),
        place=kz["almaty"],
        arrival=day(11),
        departure=day(11),
        transit=True,
    ) == ("there", "place")


# --- trips going ahead only -------------------------------------------------------------


@pytest.mark.parametrize("status", ["submitted", "pending_approval", "approved", "cleared"])
def test_trips_going_ahead_are_listed(almaty_incident, kz, status):
    assert one(
        almaty_incident,
        day(10),
        status=status,
        place=kz["almaty"],
        arrival=day(10),
        departure=day(12),
    ) == ("there", "place")


@pytest.mark.parametrize("status", ["draft", "cancelled", "rejected", "completed"])
def test_drafts_cancelled_rejected_and_completed_trips_are_not_listed(almaty_incident, kz, status):
    assert (
        one(
            almaty_incident,
            day(10),
            status=status,
            place=kz["almaty"],
            arrival=day(10),
            departure=day(12),
        )
        is None
    )


# --- rows ---------------------------------------------------------------------------------


def test_rows_carry_the_phone_and_emergency_contact_and_come_there_first(almaty_incident, kz):
    erin = employee(username="erin")
    erin.profile.phone = "+44 7700 900123"
    erin.profile.emergency_contact_name = "Sam Traveller"
    erin.profile.emergency_contact_phone = "+44 7700 900999"
    erin.profile.save()
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(12), "departure": day(14)},
        purpose="later",
        traveller=erin,
    )
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(8), "departure": day(9)},
        purpose="gone",
    )
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(10), "departure": day(13)},
        purpose="now",
    )
    rows = incident_impacted(incident=almaty_incident, on=day(10))
    assert [(row.trip.purpose, row.presence) for row in rows] == [
        ("now", "there"),
        ("later", "arriving"),
    ]
    later = rows[1]
    assert later.phone == "+44 7700 900123"
    assert later.emergency_contact == "Sam Traveller +44 7700 900999"
    assert later.check_status is None
    rows = incident_impacted(incident=almaty_incident, on=day(13))
    assert [(row.trip.purpose, row.presence) for row in rows] == [
        ("now", "there"),
        ("later", "there"),
    ]


def test_each_stop_of_a_trip_touched_twice_is_its_own_row(almaty_incident, kz):
    trip_with_stops(
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(9), "departure": day(10)},
        {"country": country("KZ"), "place": kz["astana"], "arrival": day(10), "departure": day(11)},
        {"country": country("KZ"), "place": kz["almaty"], "arrival": day(11), "departure": day(12)},
        purpose="back and forth",
    )
    assert rows_for(almaty_incident, day(10)) == [
        ("back and forth", "there", "place"),
        ("back and forth", "arriving", "place"),
    ]


# --- the query budget -----------------------------------------------------------------------


def _trips(count: int, kz) -> None:
    for n in range(count):
        traveller = employee()
        place = kz["almaty"] if n % 2 else None
        StopFactory(
            trip=trip_with_stops(status="approved", traveller=traveller),
            position=0,
            country=country("KZ"),
            place=place,
            place_text="" if place else f"Suburb {n}",
            arrival=day(9),
            departure=day(12),
        )


@pytest.mark.parametrize("count", [2, 40])
def test_the_impacted_list_takes_the_same_queries_whatever_the_number_of_trips(
    almaty_incident, kz, count, django_assert_num_queries
):
    _trips(count, kz)
    # The incident's places, the overlapping stops' ids, those stops with trip, traveller,
    # profile and place, and the country's curated places with their aliases (for free-text
    # stops).
    with django_assert_num_queries(5):
        rows = incident_impacted(incident=almaty_incident, on=day(10))
        assert len(rows) == count
        # What the page and the CSV read of each row needs nothing more.
        shown = [
            (
                row.phone,
                row.emergency_contact,
                row.traveller.username,
                row.stop.country.name,
                row.place_label,
            )
            for row in rows
        ]
    assert len(shown) == count
