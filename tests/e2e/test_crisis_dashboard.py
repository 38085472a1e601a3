"""The manager's dashboard in a crisis, in a real browser (Debian's Chromium through
Playwright): an open incident in Almaty with two travellers there, one of whom asked for
help through the safety check, and one arriving; the dashboard opens with it and its counts,
and leads to the check. Screenshots go to test-artifacts/screenshots/."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from incidents.checks.services import check_answer, check_start
from incidents.models import CheckRecipient
from tests.e2e.helpers import log_in, shot
from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    country,
    employee,
    manager,
    trip_with_stops,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_manager_dashboard_opens_with_the_crisis_and_who_needs_help(live_server, browser):
    base = live_server.url
    today = dt.date.today()
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    incident = IncidentFactory(
        title="Earthquake in Almaty", severity="critical", places=[almaty], starts_on=today
    )
    people = {
        "erin": ("Erin", "Helpneeded", -1),
        "tara": ("Tara", "Silent", -2),
        "arno": ("Arno", "Arriving", 2),
    }
    for username, (first, last, start) in people.items():
        trip_with_stops(
            {
                "country": country("KZ"),
                "place": almaty,
                "arrival": today + dt.timedelta(days=start),
                "departure": today + dt.timedelta(days=start + 4),
            },
            traveller=employee(username=username, first_name=first, last_name=last),
        )
    boss = manager(username="morgan", first_name="Morgan", last_name="Security")
    check = check_start(incident=incident, by=boss)
    erin = CheckRecipient.objects.get(safety_check=check, traveller__username="erin")
    check_answer(recipient=erin, status="need_help", note="Room 412, cut leg", channel="link")

    page = log_in(browser, base, "morgan")

    panel = page.get_by_role("region", name="In a crisis now: 1 open incident touching travellers")
    expect(panel).to_be_visible()
    item = panel.locator(".crisis-incident")
    expect(item).to_contain_text("Earthquake in Almaty")
    expect(item).to_contain_text("Critical")
    counts = {
        "there": "2",
        "arriving": "1",
        "safe": "0",
        "need_help_unhandled": "1",
        "no_answer": "1",
    }
    for name, value in counts.items():
        expect(item.locator(f'[data-crisis-count="{name}"]')).to_have_text(value)
    # The crisis comes before the day-to-day tiles.
    box = panel.bounding_box()
    tiles = page.get_by_role("region", name="Security overview").bounding_box()
    assert box and tiles and box["y"] < tiles["y"]
    shot(page, "40-crisis-dashboard")

    page.get_by_role("link", name="Follow the safety check").click()
    assert page.url.endswith(f"/incidents/{incident.pk}/#safety-check")
    row = page.locator("tr.check-row", has_text="Erin Helpneeded")
    expect(row).to_contain_text("Needs help")
    expect(row).to_contain_text("Room 412, cut leg")
    expect(row).to_contain_text("Not handled yet")

    phone = log_in(browser, base, "morgan", viewport={"width": 390, "height": 844})
    expect(phone.locator(".crisis-incident")).to_contain_text("Earthquake in Almaty")
    shot(phone, "41-crisis-dashboard-phone")
