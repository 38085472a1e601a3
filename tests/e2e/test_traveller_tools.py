"""The traveller's tools in a real browser (Debian's Chromium through Playwright): the trip
form previews what the trip will need as the stop is filled in, the draft page shows the same
preview, a requirement is ticked off on the trip page, the trip list finds the trip, and the
personal calendar feed (no login) carries the trip and its due dates. Screenshots go to
test-artifacts/screenshots/."""

import datetime as dt
import re

import pytest
from icalendar import Calendar

from tests.e2e.helpers import choose_country, log_in, shot
from tests.factories import employee
from trips.models import RequirementTick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_traveller_previews_ticks_off_lists_and_subscribes(
    live_server,
    catalogue,
    browser,
):
    base = live_server.url
    erin = employee(username="erin", first_name="Erin", last_name="Traveller")
    erin.profile.nationality = "GB"
    erin.profile.save()
    arrive = dt.date.today() + dt.timedelta(days=12)
    leave = arrive + dt.timedelta(days=8)

    # --- the form previews the assessment as the stop is filled in ----------------------
    page = log_in(browser, base, "erin")
    page.get_by_role("link", name="New trip").first.click()
    page.get_by_label("Purpose").fill("Sealed Valley survey")
    stop = page.locator("[data-stop]").nth(0)
    choose_country(stop, "Mongolia")
    stop.get_by_label("Place").fill("Sealed Valley")
    stop.get_by_label("Arrival").fill(arrive.isoformat())
    stop.get_by_label("Departure").fill(leave.isoformat())
    stop.get_by_label("Driving a vehicle").check()
    preview = page.locator("[data-trip-preview]")
    preview.get_by_text("International Driving Permit").wait_for()
    text = preview.inner_text()
    assert "preview, not stored" in text
    assert "Level 4 · High" in text and "needs a security manager's approval" in text
    registration_due = arrive + dt.timedelta(days=4)
    assert f"Due {registration_due:%a} {registration_due.day} {registration_due:%b %Y}" in text
    shot(page, "20-trip-form-preview")

    # --- the draft page shows the same preview; submitting stores it --------------------
    page.get_by_role("button", name="Save draft", exact=True).last.click()
    page.wait_for_url(re.compile(r"/trips/\d+/$"))
    trip_id = int(re.search(r"/trips/(\d+)/", page.url).group(1))
    assert "Preview: what this trip would need" in page.content()
    shot(page, "21-draft-preview")
    page.get_by_role("button", name="Submit for assessment").click()
    page.wait_for_url(f"{base}/trips/{trip_id}/")
    body = page.content()
    assert "Awaiting approval" in body and "Preview: what this trip would need" not in body

    # --- a requirement is ticked off on the trip page ------------------------------------
    item = page.locator("li.requirement", has_text="International Driving Permit")
    item.get_by_label("Note for International Driving Permit (optional)").fill("From the AA")
    item.get_by_role("button", name="Mark done").click()
    page.wait_for_url(re.compile(rf"/trips/{trip_id}/"))
    assert "Done: International Driving Permit." in page.content()
    assert (
        "Note: From the AA"
        in page.locator("li.requirement", has_text="International Driving Permit").inner_text()
    )
    assert RequirementTick.objects.get(trip_id=trip_id).done_at is not None
    shot(page, "22-requirement-ticked")

    # --- the trip list finds it -----------------------------------------------------------
    page.get_by_role("link", name="Trips", exact=True).first.click()
    page.wait_for_url(f"{base}/trips/")
    page.get_by_role("searchbox", name="Search").fill("sealed valley")
    page.get_by_role("button", name="Search", exact=True).click()
    assert page.get_by_role("link", name="Sealed Valley survey").count() == 1
    shot(page, "23-trip-list")
    page.get_by_role("searchbox", name="Search").fill("no such trip")
    page.get_by_role("button", name="Search", exact=True).click()
    assert "No trip matches this search" in page.content()

    # --- the calendar feed, read without signing in ---------------------------------------
    page.goto(f"{base}/profile/")
    page.get_by_role("button", name="Get my calendar address").click()
    address = page.get_by_label("Your calendar address").input_value()
    assert address.startswith(base + "/calendar/") and address.endswith(".ics")
    shot(page, "24-profile-calendar")
    anonymous = browser.new_context()
    response = anonymous.request.get(address)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    summaries = {
        str(event["summary"]) for event in Calendar.from_ical(response.body()).walk("VEVENT")
    }
    assert "Trip: Sealed Valley survey" in summaries
    assert "Due: Register your stay" in summaries
    assert "Done: International Driving Permit" in summaries
    anonymous.close()
