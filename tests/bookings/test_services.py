import pytest

from bookings.models import Booking, BookingState, Segment
from bookings.services import (
    BookingInvalid,
    booking_assign,
    booking_dismiss,
    booking_keep_unassigned,
    booking_receive,
)
from core.errors import InvalidInput
from core.models import AuditEntry
from tests.bookings.helpers import almaty_return, at, booking, d, flight, hotel
from tests.factories import arranger_for, employee, manager
from trips.models import Trip, TripStatus
from trips.services import StopInput, TripInput, trip_create, trip_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def eva():
    return employee(username="eva", email="Eva.Green@example.org")


def stops_of(trip):
    return [
        (s.country_id, s.place_text, (s.arrival - d(0)).days, (s.departure - d(0)).days, s.transit)
        for s in trip.stops.order_by("position")
    ]


def test_a_new_booking_makes_a_submitted_trip_for_the_traveller_named_in_it(eva):
    result = booking_receive(payload=booking(), by=None, door="feed")
    assert (result.status, result.created) == ("assigned", True)
    trip = result.trip
    assert trip.traveller == eva
    assert trip.purpose == "Flights LHR-ALA, booking RXJ34P"
    assert trip.status in (TripStatus.APPROVED, TripStatus.PENDING_APPROVAL)
    assert trip.assessments.count() == 1
    assert stops_of(trip) == [("KZ", "Almaty", 11, 14, False)]
    assert Segment.objects.filter(booking=result.booking).count() == 2
    assert AuditEntry.objects.filter(action="booking.received").count() == 1


def test_the_same_booking_twice_changes_nothing(eva):
    first = booking_receive(payload=booking(), by=None, door="feed")
    audit_before = AuditEntry.objects.count()
    again = booking_receive(payload=booking(), by=None, door="feed")
    assert (again.booking.pk, again.trip.pk, again.created) == (
        first.booking.pk,
        first.trip.pk,
        False,
    )
    assert AuditEntry.objects.count() == audit_before
    assert Trip.objects.count() == 1
    assert first.trip.assessments.count() == 1


def test_an_update_re_derives_the_stops_of_the_same_trip(eva):
    first = booking_receive(payload=booking(), by=None, door="feed")
    later = booking_receive(payload=booking(*almaty_return(back=16)), by=None, door="feed")
    assert (later.created, later.trip.pk) == (False, first.trip.pk)
    assert stops_of(later.trip) == [("KZ", "Almaty", 11, 16, False)]
    assert later.trip.assessments.count() == 2
    assert Trip.objects.count() == 1


def test_a_cancelled_booking_cancels_the_trip_nothing_else_holds(eva):
    first = booking_receive(payload=booking(), by=None, door="feed")
    cancelled = booking_receive(payload=booking(status="cancelled"), by=None, door="feed")
    first.trip.refresh_from_db()
    assert first.trip.status == TripStatus.CANCELLED
    assert cancelled.booking.status == "cancelled"


def test_a_hotel_booked_separately_joins_the_trip_of_its_flights(eva):
    flights = booking_receive(payload=booking(), by=None, door="feed")
    stay = booking_receive(
        payload=booking(
            hotel("Hotel Almaty", "Almaty", "KZ", 11, 14), reference="H-77", source="hotels-r-us"
        ),
        by=None,
        door="feed",
    )
    assert stay.trip.pk == flights.trip.pk
    assert Trip.objects.count() == 1
    assert stops_of(stay.trip) == [("KZ", "Almaty", 11, 14, False)]
    # Cancelling the flights leaves the trip to the hotel that still holds it.
    booking_receive(payload=booking(status="cancelled"), by=None, door="feed")
    stay.trip.refresh_from_db()
    assert stay.trip.status != TripStatus.CANCELLED


def test_a_booking_overlapping_a_trip_filed_by_hand_joins_it_and_keeps_its_activities(eva):
    trip = trip_create(
        by=eva,
        data=TripInput(
            purpose="Plant audit",
            stops=[StopInput(country="KZ", place="Almaty", arrival=d(11), departure=d(13))],
        ),
    )
    trip_submit(trip=trip, by=eva)
    result = booking_receive(payload=booking(), by=None, door="feed")
    assert result.trip.pk == trip.pk
    assert result.trip.purpose == "Plant audit"
    assert stops_of(result.trip) == [("KZ", "Almaty", 11, 14, False)]
    # The hand-filed stop still holds the trip when the booking is cancelled.
    booking_receive(payload=booking(status="cancelled"), by=None, door="feed")
    trip.refresh_from_db()
    assert trip.status != TripStatus.CANCELLED


def test_a_booking_for_an_unknown_traveller_waits_unassigned():
    result = booking_receive(payload=booking(email="nobody@example.org"), by=None, door="feed")
    assert (result.status, result.trip) == ("unassigned", None)
    assert "nobody@example.org" in result.booking.unassigned_reason
    assert Trip.objects.count() == 0


def test_a_forwarded_booking_of_someone_else_waits_unassigned(eva):
    colleague = employee(email="bob@example.org")
    result = booking_receive(payload=booking(), by=None, door="email", sender_email=colleague.email)
    assert result.status == "unassigned"
    assert "not their travel arranger" in result.booking.unassigned_reason


def test_a_traveller_forwarding_their_own_booking_without_a_name_in_it_gets_the_trip(eva):
    result = booking_receive(
        payload=booking(email=""), by=None, door="email", sender_email="eva.green@EXAMPLE.org"
    )
    assert (result.status, result.trip.traveller) == ("assigned", eva)


def test_an_arranger_may_send_the_bookings_of_their_travellers(eva):
    arranger = arranger_for(eva, email="arr@example.org")
    result = booking_receive(payload=booking(), by=None, door="email", sender_email=arranger.email)
    assert (result.status, result.trip.traveller) == ("assigned", eva)


def test_an_invalid_booking_writes_nothing(eva):
    segments = almaty_return()
    segments[0]["to"] = "XXX"
    with pytest.raises(BookingInvalid) as caught:
        booking_receive(payload=booking(*segments), by=None, door="feed")
    assert caught.value.errors == {"segments[0].to": ['unknown airport "XXX"']}
    assert Booking.objects.count() == Trip.objects.count() == 0


def test_a_booking_clashing_with_another_trip_writes_nothing(eva):
    booking_receive(payload=booking(), by=None, door="feed")
    elsewhere = [
        flight("TK", "1980", "LHR", "IST", at(12, "07:00"), at(12, "13:00", "+03:00")),
        hotel("Pera", "Istanbul", "TR", 12, 13),
    ]
    with pytest.raises(BookingInvalid) as caught:
        booking_receive(payload=booking(*elsewhere, reference="OTHER"), by=None, door="feed")
    assert "segments" in caught.value.errors
    assert Booking.objects.count() == 1


def test_an_unassigned_booking_is_assigned_by_a_manager_and_its_trip_made(eva):
    waiting = booking_receive(
        payload=booking(email="e.green@private.example"), by=None, door="feed"
    )
    result = booking_assign(booking=waiting.booking, traveller=eva, by=manager())
    assert (result.status, result.trip.traveller) == ("assigned", eva)
    assert stops_of(result.trip) == [("KZ", "Almaty", 11, 14, False)]


def test_an_arranger_assigns_only_to_their_travellers(eva):
    waiting = booking_receive(
        payload=booking(email="e.green@private.example"), by=None, door="feed"
    )
    stranger = arranger_for()
    with pytest.raises(InvalidInput):
        booking_assign(booking=waiting.booking, traveller=eva, by=stranger)
    result = booking_assign(booking=waiting.booking, traveller=eva, by=arranger_for(eva))
    assert result.status == "assigned"


def test_an_email_without_a_reservation_is_kept_and_can_be_dismissed():
    kept = booking_keep_unassigned(
        raw="Hello", door="email", by=None, sender_email="x@example.org", reason="No reservation."
    )
    assert kept.state == BookingState.UNASSIGNED
    result = booking_dismiss(booking=kept, by=manager())
    assert result.status == "dismissed"
    assert Booking.objects.get(pk=kept.pk).state == BookingState.DISMISSED


def test_a_booking_overlapping_a_draft_joins_it_and_submits_it(eva):
    draft = trip_create(
        by=eva,
        data=TripInput(
            purpose="Almaty plans",
            stops=[StopInput(country="KZ", place="Almaty", arrival=d(12), departure=d(13))],
        ),
    )
    result = booking_receive(payload=booking(), by=None, door="feed")
    assert result.trip.pk == draft.pk
    assert result.trip.status != TripStatus.DRAFT


def test_a_waiting_booking_sent_again_once_its_traveller_exists_is_assigned():
    first = booking_receive(payload=booking(), by=None, door="feed")
    assert first.status == "unassigned"
    eva = employee(email="eva.green@example.org")
    changed = booking_receive(payload=booking(*almaty_return(back=15)), by=None, door="feed")
    assert (changed.status, changed.trip.traveller, changed.created) == ("assigned", eva, False)


def test_an_update_that_raises_the_level_sends_the_approved_trip_back_for_approval(catalogue):
    """Mongolia is level 2 in the test catalogue; its Sealed Valley is a level-4 closed area."""
    employee(email="eva.green@example.org")
    there = [
        flight("OM", "502", "ALA", "ULN", at(10, "09:00", "+05:00"), at(10, "14:00", "+08:00")),
        flight("OM", "501", "ULN", "ALA", at(16, "15:00", "+08:00"), at(16, "17:00", "+05:00")),
    ]
    harbour = hotel("Harbour Inn", "Old Harbour", "MN", 10, 16)
    first = booking_receive(payload=booking(*there, harbour), by=None, door="feed")
    assert first.trip.status == TripStatus.APPROVED
    valley = hotel("Valley Lodge", "Sealed Valley", "MN", 10, 16)
    later = booking_receive(payload=booking(*there, valley), by=None, door="feed")
    assert later.trip.pk == first.trip.pk
    later.trip.refresh_from_db()
    assert later.trip.status == TripStatus.PENDING_APPROVAL
    assert later.trip.risk_level == 4


def test_a_booking_without_a_reference_sent_twice_changes_nothing(eva):
    first = booking_receive(payload=booking(reference=""), by=None, door="email")
    again = booking_receive(payload=booking(reference=""), by=None, door="email")
    assert (again.booking.pk, again.created) == (first.booking.pk, False)
    assert Booking.objects.count() == 1
    assert first.trip.assessments.count() == 1


def test_a_booked_stop_is_on_the_map_at_its_airport_and_stays_there_when_updated(eva):
    import airportsdata

    almaty = airportsdata.load("IATA")["ALA"]
    result = booking_receive(payload=booking(), by=None, door="feed")
    stop = result.trip.stops.get()
    # No curated Almaty in this world: the airport's point, from the booking.
    assert (stop.location_source, stop.location_approximate) == ("booking", False)
    assert (round(stop.latitude, 2), round(stop.longitude, 2)) == (
        round(almaty["lat"], 2),
        round(almaty["lon"], 2),
    )

    later = booking(*almaty_return(back=15))
    booking_receive(payload=later, by=None, door="feed")
    stop = result.trip.stops.get()
    assert stop.location_source == "booking"
    assert round(stop.latitude, 2) == round(almaty["lat"], 2)
