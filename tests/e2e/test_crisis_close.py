"""Closing an incident in a real browser (Debian's Chromium through Playwright): the
manager closes it from its page (after a confirmation), the page says it is closed and
offers no safety check, and a real Celery worker sends the all-clear to the traveller the
check asked and the one the incident alerted, read from the file e-mail backend.
Screenshots go to test-artifacts/screenshots/."""

import datetime as dt
import time

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.checks.services import check_start
from incidents.models import SafetyCheck
from tests.e2e.helpers import log_in, shot
from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    country,
    employee,
    manager,
    trip_with_stops,
)
from tests.mailbox import read_mailbox
from tests.workers import celery_worker_factory  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def all_clears(folder) -> list:
    if not folder.exists():
        return []
    return [mail for mail in read_mailbox(folder) if mail.subject.startswith("All clear")]


def wait_for_all_clears(folder, count: int, *, worker, timeout: float = 60) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = all_clears(folder)
        if len(found) >= count:
            return found
        time.sleep(0.25)
    raise AssertionError(f"{count} all-clears not sent in {timeout}s\n{worker.output()[-4000:]}")


def test_a_manager_closes_an_incident_and_the_travellers_get_an_all_clear(
    live_server,
    browser,
    celery_worker_factory,  # noqa: F811
    tmp_path,
):
    base = live_server.url
    folder = tmp_path / "mail"
    worker = celery_worker_factory(EMAIL_URL=f"file://{folder}", PORTAL_BASE_URL=base).start()
    today = dt.date.today()
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    incident = IncidentFactory(
        title="Flooding in Almaty", places=[almaty], starts_on=today - dt.timedelta(days=1)
    )
    for username, first, start in (("erin", "Erin", -1), ("arno", "Arno", 1)):
        trip_with_stops(
            {
                "country": country("KZ"),
                "place": almaty,
                "arrival": today + dt.timedelta(days=start),
                "departure": today + dt.timedelta(days=start + 4),
            },
            traveller=employee(username=username, first_name=first, last_name="Traveller"),
        )
    manager(username="morgan", first_name="Morgan", last_name="Security")
    boss = manager(username="mia")
    # Erin, there, is asked "Are you OK?"; Arno, arriving tomorrow, gets the alert.
    check = check_start(incident=incident, by=boss)
    assert services.incident_alert_arriving(incident_id=incident.pk) == 1

    page = log_in(browser, base, "morgan")
    page.goto(f"{base}/incidents/{incident.pk}/")
    closing = page.get_by_role("region", name="Close the incident")
    expect(closing.get_by_label("It ended on")).to_have_value(today.isoformat())
    shot(page, "42-incident-before-close")
    # A second tab left open on the incident, to close it again later.
    stale = page.context.new_page()
    stale.goto(f"{base}/incidents/{incident.pk}/")
    page.once("dialog", lambda dialog: dialog.accept())
    closing.get_by_role("button", name="Close the incident").click()

    expect(
        page.get_by_text("The incident is closed: an open safety check closed with it")
    ).to_be_visible()
    expect(page.get_by_text("This incident is closed: it ended on")).to_be_visible()
    expect(page.get_by_role("button", name="Start a safety check")).to_have_count(0)
    expect(page.get_by_role("button", name="Close the incident")).to_have_count(0)
    expect(page.locator("#safety-check")).to_contain_text("Closed on")
    shot(page, "43-incident-closed")
    assert SafetyCheck.objects.get(pk=check.pk).status == "closed"

    sent = wait_for_all_clears(folder, 2, worker=worker)
    by_address = {mail.to[0]: mail for mail in sent}
    assert set(by_address) == {"erin@example.com", "arno@example.com"}
    for mail in sent:
        assert mail.subject == "All clear: Flooding in Almaty (Kazakhstan)"
        assert "is over, as of" in mail.body
    assert "The safety check that asked whether you were OK is closed" in (
        by_address["erin@example.com"].body
    )
    assert "safety check" not in by_address["arno@example.com"].body
    page.reload()
    expect(page.locator(".incident-closed")).to_contain_text(
        "2 travellers it alerted or asked have been sent the all-clear."
    )

    # Closing again from the stale tab is refused, and nobody hears twice.
    stale.once("dialog", lambda dialog: dialog.accept())
    stale.get_by_role("button", name="Close the incident").click()
    expect(stale.get_by_text("This incident is already closed.")).to_be_visible()
    time.sleep(2)
    assert len(all_clears(folder)) == 2
