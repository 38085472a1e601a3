"""The back button after filing a trip, then saving again, files no second draft, and the
place typed is still there (issue 22): in Chromium, as a traveller does it."""

import datetime as dt
import re

import pytest

from tests.e2e.helpers import choose_country, log_in
from trips.models import Trip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_saving_again_after_the_back_button_keeps_one_draft_and_the_place(
    live_server, catalogue, browser
):
    from tests.factories import employee

    erin = employee(username="erin")
    arrive = dt.date.today() + dt.timedelta(days=12)
    page = log_in(browser, live_server.url, "erin")
    page.goto(f"{live_server.url}/trips/new/")
    page.get_by_label("Purpose").fill("Harbour plant audit")
    stop = page.locator("[data-stop]").nth(0)
    choose_country(stop, "Mongolia")
    stop.get_by_label("Place").fill("Old Harbour")
    stop.get_by_label("Arrival").fill(arrive.isoformat())
    stop.get_by_label("Departure").fill((arrive + dt.timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Save draft").last.click()
    page.wait_for_url(re.compile(r"/trips/\d+/$"))
    filed = page.url

    page.go_back()
    page.wait_for_url(re.compile(r"/trips/new/$"))
    stop = page.locator("[data-stop]").nth(0)
    assert stop.get_by_label("Place").input_value() == "Old Harbour"
    page.get_by_label("Purpose").fill("Harbour plant audit, two days")
    page.get_by_role("button", name="Save draft").last.click()
    page.wait_for_url(re.compile(r"/trips/\d+/$"))

    assert page.url == filed
    trips = list(Trip.objects.filter(traveller=erin))
    assert len(trips) == 1
    assert trips[0].purpose == "Harbour plant audit, two days"
    assert trips[0].stops.get().place.name == "Old Harbour"
