"""Bookings in a real browser (Debian's Chromium through Playwright): a booking the travel
agency's feed posts (token auth, over HTTP) is on the traveller's dashboard as a submitted
trip with its flight; one for an address the portal does not know waits on /bookings/ until a
security manager gives it to its traveller. Screenshots go to test-artifacts/screenshots/."""

import re

import pytest
from django.contrib.auth.models import Group

from bookings.models import Booking, BookingState
from core import roles
from tests.bookings.helpers import almaty_return, booking
from tests.e2e.helpers import PASSWORD, log_in, shot
from tests.factories import UserFactory, employee, manager
from trips.models import Trip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_fed_booking_becomes_a_trip_and_an_unknown_one_is_assigned_by_a_manager(
    live_server, browser
):
    base = live_server.url
    feed = UserFactory(username="acme-feed")
    feed.groups.set([Group.objects.get(name=roles.BOOKING_FEED)])
    employee(username="eva", email="eva.green@example.org", first_name="Eva", last_name="Green")
    manager(username="maria")

    # --- the feed posts a booking with its token --------------------------------------------
    agency = browser.new_context()
    token = agency.request.post(
        f"{base}/api/auth/token/", data={"username": "acme-feed", "password": PASSWORD}
    ).json()["token"]
    headers = {"Authorization": f"Token {token}"}
    posted = agency.request.post(f"{base}/api/bookings/", data=booking(), headers=headers)
    assert posted.status == 201
    assert posted.json()["status"] == "assigned"
    unknown = booking(
        *almaty_return(start=40, back=44), reference="QWE123", email="eva@home.example"
    )
    waiting = agency.request.post(f"{base}/api/bookings/", data=unknown, headers=headers)
    assert (waiting.status, waiting.json()["status"]) == (201, "unassigned")
    waiting_id = waiting.json()["booking"]
    agency.close()

    # --- the traveller finds the trip on her dashboard, with its flight ---------------------
    page = log_in(browser, base, "eva")
    page.get_by_role("link", name="Flights LHR-ALA, booking RXJ34P").first.click()
    page.wait_for_url(re.compile(r"/trips/\d+/$"))
    section = page.locator("section.trip-bookings")
    assert "RXJ34P" in section.inner_text()
    assert "KC 942" in section.inner_text()
    shot(page, "60-booked-trip")
    page.context.close()

    # --- a manager gives the waiting booking to its traveller -------------------------------
    page = log_in(browser, base, "maria")
    page.goto(f"{base}/bookings/")
    row = page.locator(f"#booking-{waiting_id}")
    assert "eva@home.example" in row.inner_text()
    shot(page, "61-unassigned-bookings")
    box = row.get_by_role("combobox", name="Traveller")
    box.fill("eva")  # the exact username (or the full label) settles the picker
    box.press("Tab")
    with page.expect_navigation():
        row.get_by_role("button", name="Assign").click()
    assert "The booking is Eva Green's now" in page.locator(".messages").inner_text()
    assert "No booking is waiting for a traveller." in page.content()
    shot(page, "62-booking-assigned")
    assigned = Booking.objects.get(reference="QWE123")
    assert assigned.state == BookingState.ASSIGNED
    assert Trip.objects.filter(traveller__username="eva").count() == 2
    page.context.close()
