"""The managers' map in a real browser (Debian's Chromium through Playwright): travellers
abroad today as clustered markers, an incident's circle, a cluster listing its travellers with
the e-mail action, the list view reachable by keyboard, and not one request leaving the portal
(every other request is aborted and recorded). Screenshots on desktop and phone go to
test-artifacts/screenshots/."""

import datetime as dt
import re

import pytest

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

ALMATY = (43.2567, 76.9286)
ASTANA = (51.1694, 71.4491)


def abroad_today(name: str, place, *, approximate: bool = False, place_text: str = ""):
    first, last = name.split()
    today = dt.date.today()
    location = {}
    if place is not None:
        location = {
            "latitude": place[0],
            "longitude": place[1],
            "location_source": "gazetteer" if approximate else "place",
            "location_approximate": approximate,
        }
    return trip_with_stops(
        {
            "country": country("KZ"),
            "place_text": place_text,
            "arrival": today - dt.timedelta(days=1),
            "departure": today + dt.timedelta(days=2),
            **location,
        },
        traveller=employee(first_name=first, last_name=last, email=f"{first.lower()}@example.com"),
        purpose=f"Visit to {place_text}",
    )


@pytest.fixture
def world():
    """As in the demo: Emma in Almaty and Tomas in Astana today; with them Ava, also in Almaty
    (so that two travellers cluster), Nico at a farm nobody could place, and flooding within
    50 km of Almaty."""
    manager(username="morgan", first_name="Morgan", last_name="Security")
    PlaceFactory(country=country("KZ"), name="Almaty", latitude=ALMATY[0], longitude=ALMATY[1])
    abroad_today("Emma Employee", ALMATY, place_text="Almaty")
    abroad_today("Ava Analyst", (43.2601, 76.9455), place_text="Almaty")
    abroad_today("Tomas Traveller", ASTANA, approximate=True, place_text="Astana")
    abroad_today("Nico Nowhere", None, place_text="Zhanatas farm")
    return IncidentFactory(
        title="Flooding on the Ili",
        severity="critical",
        starts_on=dt.date.today() - dt.timedelta(days=1),
        latitude=43.35,
        longitude=77.05,
        radius_km=50,
    )


def open_map(browser, base: str, *, viewport=None):
    page = log_in(browser, base, "morgan", viewport=viewport)
    outside: list[str] = []

    def only_the_portal(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_portal)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )
    page.goto(f"{base}/map/")
    page.wait_for_selector("#map[data-ready='true']")
    return page, outside, problems


def test_a_manager_sees_travellers_and_an_incident_on_a_map_that_loads_nothing_from_outside(
    live_server, browser, world
):
    base = live_server.url
    page, outside, problems = open_map(browser, base)

    map_region = page.get_by_role("region", name=re.compile("Map of travellers"))
    assert map_region.is_visible()
    # Emma and Ava cluster in Almaty; Tomas has his own (hollow: approximate) marker in Astana.
    cluster = page.locator(".marker-cluster")
    assert cluster.count() == 1 and cluster.inner_text().strip() == "2"
    assert page.locator(".traveller-marker.traveller-approximate").count() == 1
    assert page.locator("path.incident-area.incident-critical").count() == 1
    # The countries are drawn from the outlines the portal serves.
    assert page.locator("path.country").count() > 100
    assert page.get_by_text("1 traveller not on the map: place unknown").is_visible()
    shot(page, "map-desktop")

    cluster.click()
    selection = page.locator("#map-selection")
    assert selection.is_visible()
    assert selection.get_by_role("heading").inner_text() == "2 travellers here"
    assert selection.get_by_role("link", name="Ava Analyst").is_visible()
    assert selection.get_by_role("link", name="Emma Employee").is_visible()
    action = selection.get_by_role("link", name="E-mail the 2 travellers at Almaty")
    href = action.get_attribute("href")
    assert href.startswith(
        f"/locations/?date={dt.date.today().isoformat()}&country=KZ&place=Almaty"
    )
    shot(page, "map-desktop-cluster")

    action.click()
    page.wait_for_url(re.compile("/locations/"))
    assert "2 travellers" in page.locator(".lead").inner_text()

    assert outside == []
    assert problems == []


def test_the_map_and_its_list_work_by_keyboard(live_server, browser, world):
    page, outside, _ = open_map(browser, live_server.url)
    # The cluster is a focusable button: Enter lists its travellers.
    page.locator(".marker-cluster").focus()
    assert page.locator(".marker-cluster").get_attribute("role") == "button"
    page.keyboard.press("Enter")
    assert page.locator("#map-selection").is_visible()
    assert page.evaluate("document.activeElement.id") == "map-selection"

    # From the top of the page, Tab reaches the list view's "Show on the map" buttons.
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-ready='true']")
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.hasAttribute('data-map-focus')"):
            break
    else:
        pytest.fail("Tab never reached the list beside the map")
    row = page.locator("#map-travellers tr", has=page.locator(":focus"))
    assert "Emma Employee" in row.inner_text() or "Ava Analyst" in row.inner_text()
    assert outside == []


def test_the_map_reads_on_a_phone(live_server, browser, world):
    page, outside, problems = open_map(
        browser, live_server.url, viewport={"width": 390, "height": 844}
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the screen
    box = page.locator("#map").bounding_box()
    assert box["width"] > 300 and box["height"] >= 320
    shot(page, "map-phone")
    assert outside == [] and problems == []


def test_the_demo_shows_its_two_travellers_abroad_today_and_its_incident(live_server, browser):
    from io import StringIO

    from django.core.management import call_command

    call_command("loaddemo", "--force", stdout=StringIO())
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("demo")  # the demo's password (README)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")
    outside: list[str] = []
    page.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(live_server.url)
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-ready='true']")
    # Emma in Almaty and Tomas in Astana, each located from the demo pack's places.
    markers = page.locator(".traveller-marker")
    titles = sorted(markers.nth(i).get_attribute("title") for i in range(markers.count()))
    assert [title.split(",")[1].strip() for title in titles] == ["Almaty", "Astana"]
    # The demonstrations in central Almaty: drawn at their place, coloured as a warning.
    assert page.locator("path.incident-place.incident-warning").count() == 1
    assert "not on the map" not in page.locator("main").inner_text()
    shot(page, "map-demo")
    assert outside == []
