"""A security manager declares an incident in a real browser (Debian's Chromium through
Playwright) and reads, on one page, who of ours it touches: there now, arriving, and a
traveller whose stop has a place the portal does not recognise. Screenshots go to
test-artifacts/screenshots/."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest
from django.db import connections

from incidents.models import Incident
from tests.factories import PlaceFactory, country, employee, manager, trip_with_stops

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "pw-for-tests-1"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from
    a thread with a running loop unless told this is fine (it is: the loop is Playwright's)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; the e2e tests need Debian's chromium package.")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()
        # See tests/e2e/test_journey.py: close this thread's connections, or the test
        # database cannot be dropped at the end of the session.
        connections.close_all()


def log_in(browser, base: str, username: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    return page


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def traveller(username: str, name: str, phone: str):
    first, last = name.split()
    user = employee(username=username, first_name=first, last_name=last)
    user.profile.phone = phone
    user.profile.emergency_contact_name = f"Partner of {first}"
    user.profile.emergency_contact_phone = "+44 20 7946 0999"
    user.profile.save()
    return user


def test_a_manager_declares_an_incident_and_reads_who_it_touches(live_server, browser):
    base = live_server.url
    today = dt.date.today()
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    PlaceFactory(country=country("KZ"), name="Astana")
    manager(username="morgan", first_name="Morgan", last_name="Security")
    kz = country("KZ")
    trip_with_stops(
        {
            "country": kz,
            "place": almaty,
            "place_text": "Almaty",
            "arrival": today - dt.timedelta(days=1),
            "departure": today + dt.timedelta(days=2),
        },
        traveller=traveller("erin", "Erin There", "+44 7700 900111"),
        purpose="Customer workshop",
    )
    trip_with_stops(
        {
            "country": kz,
            "place": almaty,
            "place_text": "Almaty",
            "arrival": today + dt.timedelta(days=2),
            "departure": today + dt.timedelta(days=5),
        },
        traveller=traveller("arno", "Arno Arriving", "+44 7700 900222"),
        purpose="Site survey",
    )
    trip_with_stops(
        {
            "country": kz,
            "place": None,
            "place_text": "Shymbulak ski base",
            "arrival": today,
            "departure": today + dt.timedelta(days=3),
        },
        traveller=traveller("pia", "Pia Possibly", "+44 7700 900333"),
        purpose="Team offsite",
    )
    trip_with_stops(
        {
            "country": kz,
            "place": None,
            "place_text": "Astana",
            "arrival": today,
            "departure": today + dt.timedelta(days=3),
        },
        traveller=traveller("otto", "Otto Elsewhere", "+44 7700 900444"),
        purpose="Board meeting",
    )

    # --- the manager declares it through the form ------------------------------------
    page = log_in(browser, base, "morgan")
    page.get_by_role("link", name="Incidents").first.click()
    page.get_by_role("link", name="Declare an incident").click()
    page.get_by_label("Title").fill("Explosion near the Green Bazaar")
    page.get_by_label("Severity").select_option("critical")
    page.get_by_label("Category").select_option("terrorism")
    page.get_by_label("Country").select_option("KZ")
    page.get_by_label("Places").fill("Almaty")
    page.get_by_label("Starts on").fill(today.isoformat())
    page.get_by_label("Summary").fill("Police have closed the area around the market.")
    shot(page, "20-incident-form")
    page.get_by_role("button", name="Declare").click()
    page.wait_for_url(re.compile(r"/incidents/\d+/$"))
    incident = Incident.objects.get()
    assert page.url == f"{base}/incidents/{incident.pk}/"

    # --- one page: each affected traveller with phone and presence ----------------------
    shot(page, "21-incident-impacted")
    assert page.locator('[data-count="there"]').inner_text() == "2"
    assert page.locator('[data-count="arriving"]').inner_text() == "1"
    there = page.locator('tr[data-presence="there"]')
    assert there.count() == 2
    erin = there.filter(has_text="Erin There")
    assert "+44 7700 900111" in erin.inner_text()
    pia = there.filter(has_text="Pia Possibly")
    assert "Shymbulak ski base" in pia.inner_text()
    assert "Possibly (place not recognised)" in pia.inner_text()
    assert "+44 7700 900333" in pia.inner_text()
    arriving = page.locator('tr[data-presence="arriving"]')
    assert "Arno Arriving" in arriving.inner_text()
    assert "Otto Elsewhere" not in page.content()

    # --- the list: open first, with the counts ------------------------------------------
    page.get_by_role("link", name="Incidents").first.click()
    row = page.locator("tbody tr", has_text="Explosion near the Green Bazaar")
    assert "Critical" in row.inner_text()
    assert "Almaty, Kazakhstan" in row.inner_text()
    shot(page, "22-incident-list")
