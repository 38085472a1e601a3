"""A security manager declares an incident in a real browser (Debian's Chromium through
Playwright) and reads, on one page, who of ours it touches: there now, arriving, and a
traveller whose stop has a place the portal does not recognise. Screenshots go to
test-artifacts/screenshots/."""

import datetime as dt
import re

import pytest

from incidents.models import Incident
from tests.e2e.helpers import add_place, choose_country, log_in, shot
from tests.factories import PlaceFactory, country, employee, manager, trip_with_stops

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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
    PlaceFactory(country=country("MN"), name="Sealed Valley")  # another country's: not offered
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
    choose_country(page, "Kazakhstan")
    # The places picker offers the chosen country's curated places only.
    page.get_by_role("combobox", name="Places").fill("a")
    offered = page.get_by_role("listbox").last.inner_text()
    assert "Almaty" in offered and "Astana" in offered and "Sealed" not in offered
    page.keyboard.press("Escape")
    add_place(page, "Almaty")
    chosen = page.get_by_role("list", name="Chosen places")
    assert chosen.inner_text().startswith("Almaty")
    assert page.get_by_role("button", name="Remove Almaty").is_visible()
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
