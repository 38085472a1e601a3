"""A trip into a crisis tells the truth, in a real browser (Debian's Chromium through
Playwright; issue 22): with a critical earthquake open in Old Harbour, an employee files a
trip there for tomorrow; the form's live preview says level 4 and that it needs a security
manager's approval, naming the incident; submitted, the trip awaits approval and its page names
the incident. Screenshots go to test-artifacts/screenshots/."""

import datetime as dt
import re

import pytest

from advisories.models import Place
from tests.e2e.helpers import choose_country, log_in, shot
from tests.factories import IncidentFactory, country, employee
from trips.models import Trip, TripStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_trip_into_a_critical_incident_previews_level_4_and_waits_for_approval(
    live_server, catalogue, browser
):
    base = live_server.url
    today = dt.date.today()
    IncidentFactory(
        title="Earthquake in Old Harbour",
        severity="critical",
        category="natural_hazards",
        country=country("MN"),
        places=[Place.objects.get(country_id="MN", name="Old Harbour")],
        starts_on=today - dt.timedelta(days=1),
    )
    employee(username="erin", first_name="Erin", last_name="Traveller")

    page = log_in(browser, base, "erin")
    page.get_by_role("link", name="New trip").first.click()
    page.get_by_label("Purpose").fill("Harbour plant audit")
    stop = page.locator("[data-stop]").nth(0)
    choose_country(stop, "Mongolia")
    stop.get_by_label("Place").fill("Old Harbour")
    stop.get_by_label("Arrival").fill((today + dt.timedelta(days=1)).isoformat())
    stop.get_by_label("Departure").fill((today + dt.timedelta(days=3)).isoformat())

    # --- the live preview: the raised level, the approval and the incident ----------------
    preview = page.locator("[data-trip-preview]")
    preview.locator("[data-assessment-incidents]").wait_for()
    text = preview.inner_text()
    assert "Level 4" in text
    assert "needs a security manager's approval" in text
    assert "Earthquake in Old Harbour" in text
    assert "Critical incident: Earthquake in Old Harbour" in text
    shot(page, "40-crisis-preview")

    # --- submitted: awaiting approval, and the page names the incident ---------------------
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/trips/\d+/$"))
    trip = Trip.objects.get()
    assert trip.status == TripStatus.PENDING_APPROVAL
    assert trip.risk_level == 4
    assert "Awaiting approval" in page.content()
    risk_card = page.locator("section", has=page.locator("#risk-title"))
    assert "Earthquake in Old Harbour" in risk_card.inner_text()
    assert "Level 4" in risk_card.inner_text()
    shot(page, "41-crisis-trip-pending")
