"""The whole journey in a real browser (Debian's Chromium through Playwright): an employee
files a two-country trip, a manager approves it from the queue, a real Celery worker (on
Redis) renders the briefing, the employee downloads and acknowledges it, and the trip is
cleared to travel. Screenshots of the
main pages go to test-artifacts/screenshots/."""

import datetime as dt
import re

import pytest

from tests.e2e.helpers import SHOTS, choose_country, log_in, shot
from tests.factories import employee, manager
from tests.workers import celery_worker_factory  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_employee_files_a_trip_that_is_approved_briefed_and_cleared(
    live_server,
    catalogue,
    browser,
    celery_worker_factory,  # noqa: F811
):
    base = live_server.url
    worker = celery_worker_factory().start()
    erin = employee(username="erin", first_name="Erin", last_name="Traveller")
    erin.profile.nationality = "GB"
    erin.profile.phone = "+44 7700 900123"
    erin.profile.save()
    manager(username="morgan", first_name="Morgan", last_name="Security")
    employee(username="oscar")
    today = dt.date.today()
    arrive = today + dt.timedelta(days=10)
    move_on = arrive + dt.timedelta(days=8)
    home = move_on + dt.timedelta(days=3)

    # --- the employee files a two-country trip through the form ------------------------
    page = log_in(browser, base, "erin")
    shot(page, "01-dashboard-empty")
    page.get_by_role("link", name="New trip").first.click()
    page.get_by_label("Purpose").fill("Harbour plant audit and Almaty customer visit")
    first = page.locator("[data-stop]").nth(0)
    choose_country(first, "Mongolia")
    first.get_by_label("Place").fill("Old Harbour")
    first.get_by_label("Arrival").fill(arrive.isoformat())
    first.get_by_label("Departure").fill(move_on.isoformat())
    first.get_by_label("Driving a vehicle").check()
    page.get_by_role("button", name="+ Add a stop").click()
    second = page.locator("[data-stop]").nth(1)
    assert second.get_by_label("Arrival").input_value() == move_on.isoformat()
    choose_country(second, "Kazakhstan")
    second.get_by_label("Place").fill("Almaty")
    second.get_by_label("Departure").fill(home.isoformat())
    shot(page, "02-trip-form")
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_url(re.compile(r"/trips/\d+/$"))
    trip_id = int(re.search(r"/trips/(\d+)/", page.url).group(1))
    body = page.content()
    assert "Awaiting approval" in body
    assert "International Driving Permit" in body
    assert "Register your stay" in body
    due = (arrive + dt.timedelta(days=4)).strftime("%a %-d %b %Y")
    assert "Due <time" in body and due in body  # registration: 5 calendar days from arrival
    shot(page, "03-trip-pending")

    # --- a manager approves it from the queue -------------------------------------------
    boss = log_in(browser, base, "morgan")
    shot(boss, "04-manager-dashboard")
    boss.get_by_role("link", name="Approvals").first.click()
    shot(boss, "05-approval-queue")
    boss.get_by_role("link", name="Harbour plant audit and Almaty customer visit").click()
    boss.wait_for_url(f"{base}/trips/{trip_id}/")
    shot(boss, "06-decision-page")
    boss.get_by_label("Comment (optional)").fill("Drive carefully.")
    boss.get_by_role("button", name="Approve").click()
    boss.wait_for_url(f"{base}/trips/{trip_id}/")
    assert "Your approval is recorded." in boss.content()
    boss.goto(f"{base}/locations/?date={(arrive + dt.timedelta(days=1)).isoformat()}")
    assert "Erin Traveller" in boss.content()
    shot(boss, "07-who-is-where")
    boss.goto(f"{base}/compliance/?days=30")
    shot(boss, "08-compliance")
    boss.get_by_role("link", name="Audit trail").first.click()
    boss.get_by_label("Action").select_option("trip.approved")
    boss.get_by_role("button", name="Filter").click()
    approved_row = boss.locator("tbody tr").first
    assert "Morgan Security" in approved_row.inner_text()
    assert "Harbour plant audit" in approved_row.inner_text()
    assert "127.0.0.1" in approved_row.inner_text()
    shot(boss, "08b-audit-trail")

    # --- the briefing renders; the employee downloads and acknowledges it -----------------
    page.goto(f"{base}/trips/{trip_id}/")
    download_link = page.get_by_role("link", name="Download the briefing (PDF)")
    download_link.wait_for(timeout=90_000)  # the page polls and reloads itself when ready
    shot(page, "09-trip-briefing-ready")
    # Rendered by the worker process, not in this one.
    assert "Task briefings.tasks.render_briefing[" in worker.output()
    with page.expect_download() as info:
        download_link.click()
    pdf = info.value
    target = SHOTS.parent / f"briefing-trip-{trip_id}.pdf"
    pdf.save_as(str(target))
    assert target.read_bytes().startswith(b"%PDF")
    briefing_url = download_link.get_attribute("href")
    page.get_by_label("I have read this briefing and will follow it.").check()
    page.get_by_role("button", name="Acknowledge the briefing").click()
    page.wait_for_url(f"{base}/trips/{trip_id}/")
    assert "Cleared to travel" in page.content()
    assert "Acknowledged on" in page.content()
    shot(page, "10-trip-cleared")
    page.goto(f"{base}/")
    assert "Cleared to travel" in page.content()
    shot(page, "11-dashboard-cleared")
    page.goto(f"{base}/destinations/MN/")
    shot(page, "12-destination-guide")

    # --- another employee cannot reach the trip or its PDF --------------------------------
    oscar = log_in(browser, base, "oscar")
    assert oscar.goto(f"{base}/trips/{trip_id}/").status == 404
    assert oscar.goto(f"{base}{briefing_url}").status == 404
    assert oscar.goto(f"{base}/approvals/").status == 403

    # --- and the dashboard reads well on a phone ------------------------------------------
    phone = log_in(browser, base, "erin", viewport={"width": 390, "height": 844})
    shot(phone, "13-phone-dashboard")
    phone.goto(f"{base}/trips/{trip_id}/")
    shot(phone, "14-phone-trip")
