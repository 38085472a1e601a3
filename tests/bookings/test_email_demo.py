"""`loaddemo` receives two booking e-mails: the demo employee's (a booked trip) and one for a
traveller the portal does not know (the unassigned queue); a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from bookings.models import Booking, BookingState
from trips.models import Trip


@pytest.mark.django_db
def test_the_demo_has_a_booked_trip_and_an_unassigned_booking(settings):
    settings.DEBUG = True
    call_command("loaddemo", stdout=io.StringIO())
    booked = Booking.objects.get(reference="DEMO1E")
    assert booked.traveller.username == "employee"
    assert booked.state == BookingState.ASSIGNED
    assert booked.trip is not None and booked.trip.traveller.username == "employee"
    waiting = Booking.objects.get(reference="DEMO2U")
    assert (waiting.state, waiting.traveller) == (BookingState.UNASSIGNED, None)

    counts = (Booking.objects.count(), Trip.objects.count())
    call_command("loaddemo", stdout=io.StringIO())
    assert (Booking.objects.count(), Trip.objects.count()) == counts
    assert Booking.objects.get(reference="DEMO1E").trip == booked.trip
