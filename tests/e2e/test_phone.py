"""The portal on a phone (Debian's Chromium at 390 x 844 through Playwright): the top menu
folds behind a menu button that says whether it is open, the trip list's filters fold away
into a disclosure, and a long trip page lists its sections with links that work. Screenshots
go to test-artifacts/screenshots/."""

import pytest

from tests.e2e.helpers import log_in, shot
from tests.factories import employee
from tests.trips.helpers import file_trip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_on_a_phone_the_menu_folds_the_filters_fold_and_the_trip_page_has_contents(
    live_server, catalogue, browser
):
    base = live_server.url
    ada = employee(username="ada", first_name="Ada", last_name="Byron")
    trip = file_trip(ada, activities=["driving"])
    page = log_in(browser, base, "ada", viewport=PHONE)

    # --- the menu: a button that opens and closes it, and says which it is -----------------
    menu = page.get_by_role("button", name="Menu")
    trips_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Trips")
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not trips_link.is_visible()
    shot(page, "60-phone-menu-closed")
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    assert trips_link.is_visible()
    shot(page, "61-phone-menu-open")
    page.keyboard.press("Escape")
    assert menu.get_attribute("aria-expanded") == "false" and not trips_link.is_visible()
    menu.click()
    trips_link.click()
    page.wait_for_url(f"{base}/trips/")

    # --- the filters fold away; the summary opens them ------------------------------------
    search = page.get_by_label("Search", exact=True)
    assert not search.is_visible()
    assert page.get_by_role("link", name="Plant audit").is_visible()
    page.locator("summary", has_text="Search and filters").click()
    assert search.is_visible()
    shot(page, "62-phone-trip-list-filters-open")
    search.fill("Plant")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(f"{base}/trips/?*")
    assert page.locator("summary", has_text="(applied)").is_visible()
    page.get_by_role("link", name="Plant audit").click()
    page.wait_for_url(f"{base}/trips/{trip.pk}/")

    # --- the trip page's contents link to its sections ------------------------------------
    contents = page.get_by_role("navigation", name="On this page")
    assert contents.is_visible()
    shot(page, "63-phone-trip-contents")
    contents.get_by_role("link", name="History").click()
    page.wait_for_url(f"{base}/trips/{trip.pk}/#history-title")
    assert page.locator("#history-title").is_visible()
    assert page.evaluate("window.scrollY") > 0  # the page moved to the section
    page.goto(f"{base}/trips/{trip.pk}/")
    page.get_by_role("navigation", name="On this page").get_by_role(
        "link", name="Requirements"
    ).click()
    assert page.locator("#req-title").is_visible()
    assert page.evaluate("window.scrollY") > 0

    # --- on a wide screen, no menu button and the filters stand open ----------------------
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{base}/trips/")
    assert not menu.is_visible() and trips_link.is_visible()
    assert page.get_by_label("Search", exact=True).is_visible()
