"""A safety check in a real browser (Debian's Chromium through Playwright): a security
manager starts it from the incident page, a real Celery worker e-mails the traveller (read
from the file e-mail backend), the traveller answers from the link in that e-mail with no
login, and the manager's counts and rows change by themselves. Screenshots go to
test-artifacts/screenshots/."""

import datetime as dt
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

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


def wait_for_mail(folder, address: str, *, worker, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if folder.exists():
            found = [m for m in read_mailbox(folder) if address in m.to]
            if found:
                return found[0]
        time.sleep(0.25)
    raise AssertionError(f"No e-mail to {address} in {timeout}s\n{worker.output()[-4000:]}")


def test_a_manager_starts_a_check_and_sees_the_travellers_answer_from_the_e_mail_link(
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
        title="Explosion at the Green Bazaar", places=[almaty], starts_on=today
    )
    erin = employee(username="erin", first_name="Erin", last_name="Traveller")
    erin.profile.phone = "+7 700 123 4567"
    erin.profile.save()
    trip_with_stops(
        {
            "country": country("KZ"),
            "place": almaty,
            "arrival": today - dt.timedelta(days=1),
            "departure": today + dt.timedelta(days=5),
        },
        traveller=erin,
        purpose="Customer visit in Almaty",
    )
    manager(username="morgan", first_name="Morgan", last_name="Security")

    # --- the manager starts the check from the incident page --------------------------------
    boss = log_in(browser, base, "morgan")
    boss.goto(f"{base}/incidents/{incident.pk}/")
    boss.get_by_role("button", name="Start a safety check").click()
    expect(boss.get_by_text("Safety check started: 1 traveller")).to_be_visible()
    counts = boss.locator(".check-counts")
    expect(counts.locator('[data-check-count="no_answer"]')).to_have_text("1")
    expect(counts.locator('[data-check-count="safe"]')).to_have_text("0")
    shot(boss, "20-safety-check-started")

    # --- the traveller answers from the link in the e-mail, with no login --------------------
    ask = wait_for_mail(folder, "erin@example.com", worker=worker)
    assert "Are you OK?" in ask.subject
    link = ask.link()
    assert link.startswith(base)
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.set_default_timeout(20_000)
    page.goto(link)
    assert urlsplit(page.url).path == urlsplit(link).path  # no login page in between
    expect(page.get_by_role("heading", name="Are you OK, Erin?")).to_be_visible()
    shot(page, "21-safety-check-question")
    page.get_by_label("Anything to add?").fill("At the hotel, all fine")
    page.get_by_role("button", name="I am safe").click()
    expect(page.get_by_text("Thank you: you told us you are safe.")).to_be_visible()
    shot(page, "22-safety-check-answered")

    # --- the manager's counts change by themselves ----------------------------------------------
    expect(counts.locator('[data-check-count="safe"]')).to_have_text("1", timeout=30_000)
    expect(counts.locator('[data-check-count="no_answer"]')).to_have_text("0")
    # Her row too, with no reload: the list is in order already, so none is offered.
    row = boss.locator("tr.check-row", has_text="Erin Traveller")
    expect(row).to_contain_text("Safe")
    expect(row).to_contain_text("At the hotel, all fine")
    expect(boss.get_by_role("link", name="reload the list")).to_be_hidden()
    shot(boss, "23-safety-check-counts")

    # --- signed in, the traveller finds the check first on the dashboard, answer included --
    mine = log_in(browser, base, "erin", viewport={"width": 390, "height": 844})
    card = mine.locator(".check-ask")
    expect(card).to_contain_text("Are you OK? Explosion at the Green Bazaar")
    expect(card).to_contain_text("You answered “I am safe”")
    shot(mine, "24-safety-check-dashboard")
