"""What a booking e-mail becomes (product.md, "Bookings"): each fixture, written as the real
ones are, through the e-mail door's service, by the real extractor and by the fallback."""

from __future__ import annotations

import pytest
import time_machine
from django.core import mail

from advisories.packs import pack_import
from bookings.mail.extractors import KITINERARY, MARKUP
from bookings.mail.receive import DOOR_COMMAND, booking_email_receive
from bookings.models import Booking, BookingState
from tests import factories
from tests.bookings.email_helpers import BEFORE_THE_TRIPS, EXTRACTORS, fixture, needs_kitinerary
from trips.models import Trip, TripStatus


@pytest.fixture(autouse=True)
def _world(db):
    with time_machine.travel(BEFORE_THE_TRIPS, tick=True):
        pack_import(factories.content_pack("KZ"), by=None)
        yield


@pytest.fixture(params=EXTRACTORS)
def extractor(request, settings):
    settings.BOOKINGS_EXTRACTOR = request.param
    return request.param


@pytest.fixture
def eva(db):
    return factories.employee(
        username="eva", email="eva.green@example.org", first_name="Eva", last_name="Green"
    )


def receive(name: str, capture):
    with capture(execute=True):
        return booking_email_receive(raw=fixture(name), door=DOOR_COMMAND, by=None)


def test_a_flight_booking_becomes_the_travellers_submitted_trip(
    extractor, eva, django_capture_on_commit_callbacks
):
    outcome = receive("flight-jsonld-connection.eml", django_capture_on_commit_callbacks)
    [result] = outcome.results
    assert (result.status, result.created) == ("assigned", True)
    booking = Booking.objects.get(reference="RXJ34P")
    assert booking.traveller == eva
    assert result.trip.traveller == eva
    assert result.trip.status != TripStatus.DRAFT
    assert not [message for message in mail.outbox if "travel desk" in message.subject]


def test_the_same_email_twice_changes_nothing(extractor, eva, django_capture_on_commit_callbacks):
    receive("flight-jsonld-connection.eml", django_capture_on_commit_callbacks)
    bookings, trips = Booking.objects.count(), Trip.objects.count()
    again = receive("flight-jsonld-connection.eml", django_capture_on_commit_callbacks)
    assert [result.created for result in again.results] == [False]
    assert (Booking.objects.count(), Trip.objects.count()) == (bookings, trips)


def test_a_cancellation_cancels_the_trip_nothing_else_holds(
    extractor, eva, django_capture_on_commit_callbacks
):
    first = receive("flight-jsonld-connection.eml", django_capture_on_commit_callbacks)
    receive("flight-cancelled.eml", django_capture_on_commit_callbacks)
    trip = Trip.objects.get(pk=first.results[0].trip.pk)
    assert trip.status == TripStatus.CANCELLED
    assert Booking.objects.get(reference="RXJ34P").status == "cancelled"


def test_a_hotel_booked_separately_joins_the_trip_of_the_flights(
    extractor, eva, django_capture_on_commit_callbacks
):
    flights = receive("flight-jsonld-connection.eml", django_capture_on_commit_callbacks)
    hotel = receive("hotel-microdata.eml", django_capture_on_commit_callbacks)
    assert hotel.results[0].status == "assigned"
    assert hotel.results[0].trip.pk == flights.results[0].trip.pk
    assert Trip.objects.filter(traveller=eva).count() == 1


def test_a_multi_leg_journey_and_a_flight_across_the_date_line_each_make_a_trip(
    extractor, eva, django_capture_on_commit_callbacks
):
    journey = receive("multi-leg-rail.eml", django_capture_on_commit_callbacks)
    pacific = receive("dateline-no-offsets.eml", django_capture_on_commit_callbacks)
    assert journey.results[0].status == "assigned"
    assert pacific.results[0].status == "assigned"
    assert journey.results[0].trip.pk != pacific.results[0].trip.pk


def test_a_booking_for_an_unknown_traveller_waits_and_its_sender_is_told(
    extractor, django_capture_on_commit_callbacks
):
    outcome = receive("hotel-microdata.eml", django_capture_on_commit_callbacks)
    [result] = outcome.results
    assert (result.status, result.trip) == ("unassigned", None)
    assert Booking.objects.get(reference="HA-558201").state == BookingState.UNASSIGNED
    [reply] = mail.outbox
    assert reply.to == ["reservations@hotel-almaty.example"]
    assert "waits for the travel desk" in reply.subject
    assert "HA-558201" in reply.body
    # Told once: the same e-mail again sends nothing more.
    receive("hotel-microdata.eml", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1


def test_a_forwarded_booking_of_someone_else_waits_for_the_travel_desk(
    extractor, eva, django_capture_on_commit_callbacks
):
    tom = factories.employee(username="tom", email="tom.hale@example.org")
    outcome = receive("forwarded-someone-else.eml", django_capture_on_commit_callbacks)
    [result] = outcome.results
    assert result.status == "unassigned"
    assert not Trip.objects.filter(traveller__in=[eva, tom]).exists()
    [reply] = mail.outbox
    assert reply.to == ["eva.green@example.org"]


def test_an_email_without_a_reservation_is_kept_once_and_its_sender_told_once(
    extractor, eva, django_capture_on_commit_callbacks
):
    first = receive("no-reservation.eml", django_capture_on_commit_callbacks)
    again = receive("no-reservation.eml", django_capture_on_commit_callbacks)
    assert first.results == [] and first.kept is not None
    assert again.kept.pk == first.kept.pk
    kept = Booking.objects.get(pk=first.kept.pk)
    assert kept.state == BookingState.UNASSIGNED
    assert kept.sender_email == "eva.green@example.org"
    assert "No reservation" in kept.unassigned_reason
    assert "Trip to Almaty next month" in kept.raw
    assert [message.to for message in mail.outbox] == [["eva.green@example.org"]]


@needs_kitinerary
def test_a_vendor_email_without_markup_is_read_by_kitinerary(
    settings, eva, django_capture_on_commit_callbacks
):
    settings.BOOKINGS_EXTRACTOR = KITINERARY
    outcome = receive("vendor-iberia-text.eml", django_capture_on_commit_callbacks)
    [result] = outcome.results
    # The e-mail names no traveller and comes from the airline: it waits to be assigned.
    assert result.booking.reference == "QWE7RT"
    assert result.status == "unassigned"


def test_without_kitinerary_a_vendor_email_without_markup_is_kept_unassigned(
    settings, django_capture_on_commit_callbacks
):
    settings.BOOKINGS_EXTRACTOR = MARKUP
    outcome = receive("vendor-iberia-text.eml", django_capture_on_commit_callbacks)
    assert outcome.results == []
    assert outcome.kept.state == BookingState.UNASSIGNED


@needs_kitinerary
def test_a_pdf_boarding_pass_without_times_is_kept_with_the_reason(
    settings, eva, django_capture_on_commit_callbacks
):
    settings.BOOKINGS_EXTRACTOR = KITINERARY
    outcome = receive("boarding-pass-pdf.eml", django_capture_on_commit_callbacks)
    # kitinerary reads the pass's barcode (KC 942 LHR-ALA, RXJ34P) but a pass carries the day
    # of the flight, not its times: the e-mail waits for the travel desk, saying why.
    assert outcome.results == []
    assert outcome.kept.state == BookingState.UNASSIGNED
    assert "RXJ34P" in outcome.kept.unassigned_reason
