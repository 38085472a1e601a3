"""Every answer is kept and shown, in a real browser (issue 22): a traveller answers "I need
help" with a note from the link in their e-mail; the manager's panel row changes by itself
(and says so to screen readers); the manager records a phone answer "safe"; the panel shows
both answers and the traveller's note, and the CSV and the audit trail keep both."""

import csv
import datetime as dt
import io

import pytest
from playwright.sync_api import expect

from incidents.models import SafetyCheck
from tests.e2e.helpers import log_in, shot
from tests.e2e.test_safety_checks import wait_for_mail
from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    country,
    employee,
    manager,
    trip_with_stops,
)
from tests.workers import celery_worker_factory  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HURT = "Room 412, Hotel Kazakhstan: ankle broken, cannot walk"
CALLED = "Called her: ambulance came, she is safe at the clinic"


def test_a_phone_answer_is_kept_beside_the_travellers_note_on_the_panel_csv_and_audit_trail(
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
    incident = IncidentFactory(title="Earthquake in Almaty", places=[almaty], starts_on=today)
    erin = employee(username="erin", first_name="Erin", last_name="Traveller")
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

    boss = log_in(browser, base, "morgan")
    boss.goto(f"{base}/incidents/{incident.pk}/")
    boss.get_by_role("button", name="Start a safety check").click()
    expect(boss.get_by_text("Safety check started: 1 traveller")).to_be_visible()
    row = boss.locator("tr.check-row", has_text="Erin Traveller")
    expect(row).to_contain_text("No answer")

    # --- the traveller calls for help from the e-mail's link, with a note --------------------
    link = wait_for_mail(folder, "erin@example.com", worker=worker).link()
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.set_default_timeout(20_000)
    page.goto(link)
    page.get_by_label("Anything to add?").fill(HURT)
    page.get_by_role("button", name="I need help").click()
    expect(page.get_by_text("Your call for help is recorded")).to_be_visible()

    # --- the manager's row changes by itself, and a screen reader hears of it -----------------
    expect(row).to_contain_text("Needs help", timeout=30_000)
    expect(row).to_contain_text(HURT)
    expect(row).to_contain_text("Not handled yet")
    expect(boss.locator("[data-check-announce]")).to_contain_text(
        "Erin Traveller: needs help (E-mail link)."
    )
    expect(boss.locator('[data-check-count="need_help"]')).to_have_text("1")
    shot(boss, "25-safety-check-row-live")

    # --- the manager records the phone call: a new answer beside hers -----------------------
    row.get_by_label("Their answer").select_option("safe")
    row.get_by_label("What they said").fill(CALLED)
    row.get_by_role("button", name="Record for Erin Traveller").click()
    expect(boss.get_by_text("Recorded for Erin Traveller.")).to_be_visible()
    row = boss.locator("tr.check-row", has_text="Erin Traveller")
    answers = row.get_by_role("list", name="Answers of Erin Traveller, oldest first")
    expect(answers.get_by_role("listitem")).to_have_count(2)
    expect(answers.get_by_role("listitem").nth(0)).to_contain_text("Needs help")
    expect(answers.get_by_role("listitem").nth(0)).to_contain_text("E-mail link")
    expect(answers.get_by_role("listitem").nth(0)).to_contain_text(HURT)
    expect(answers.get_by_role("listitem").nth(1)).to_contain_text("Safe")
    expect(answers.get_by_role("listitem").nth(1)).to_contain_text(
        "by phone, recorded by Morgan Security"
    )
    expect(answers.get_by_role("listitem").nth(1)).to_contain_text(CALLED)
    expect(boss.locator('[data-check-count="safe"]')).to_have_text("1")
    shot(boss, "26-safety-check-both-answers")

    # --- the CSV keeps both -------------------------------------------------------------------
    check = SafetyCheck.objects.get(incident=incident)
    download = boss.request.get(f"{base}/checks/{check.pk}/csv/")
    assert download.ok
    [line] = list(csv.DictReader(io.StringIO(download.text())))
    assert (line["status"], line["note"]) == ("safe", HURT)
    assert HURT in line["answers"] and CALLED in line["answers"]

    # --- the audit trail keeps both, with their notes ----------------------------------------
    boss.goto(f"{base}/audit/")
    trail = boss.locator("main")
    expect(trail).to_contain_text(HURT)
    expect(trail).to_contain_text(CALLED)
    exported = boss.request.get(f"{base}/audit/?format=csv").text()
    assert HURT in exported and CALLED in exported
    shot(boss, "27-safety-check-audit")


def test_a_row_being_filled_in_keeps_its_form_and_an_answer_off_the_page_offers_the_list_again(
    live_server, browser, monkeypatch
):
    from incidents.checks import selectors as check_selectors
    from incidents.checks import services as check_services
    from incidents.models import CheckRecipient

    monkeypatch.setattr(check_selectors, "PANEL_PAGE_SIZE", 1)
    today = dt.date.today()
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    incident = IncidentFactory(title="Floods in Almaty", places=[almaty], starts_on=today)
    people = []
    for username, first in (("ada", "Ada"), ("bo", "Bo")):
        person = employee(username=username, first_name=first, last_name="Traveller")
        trip_with_stops(
            {
                "country": country("KZ"),
                "place": almaty,
                "arrival": today - dt.timedelta(days=1),
                "departure": today + dt.timedelta(days=3),
            },
            traveller=person,
        )
        people.append(person)
    boss_user = manager(username="morgan", first_name="Morgan", last_name="Security")
    check = check_services.check_start(incident=incident, by=boss_user)

    boss = log_in(browser, base := live_server.url, "morgan")
    boss.goto(f"{base}/incidents/{incident.pk}/")
    [shown] = boss.locator("tr.check-row").all()
    name = shown.get_attribute("data-name")
    on_page = next(p for p in people if p.get_full_name() == name)
    off_page = next(p for p in people if p is not on_page)
    shown.get_by_label("What they said").fill("Half-typed note")

    # Both answer; the row shown changes by itself around the manager's half-typed note.
    for person, status in ((on_page, "need_help"), (off_page, "safe")):
        check_services.check_answer(
            recipient=CheckRecipient.objects.get(safety_check=check, traveller=person),
            status=status,
            note=f"{person.first_name} says so",
            channel="api",
            by=person,
        )
    row = boss.locator("tr.check-row")
    expect(row).to_contain_text(f"{on_page.first_name} says so", timeout=30_000)
    expect(row.get_by_label("What they said")).to_have_value("Half-typed note")
    # The other answer is counted; the list offers itself again to show who it was.
    expect(boss.locator('[data-check-count="safe"]')).to_have_text("1")
    expect(boss.get_by_role("link", name="reload the list")).to_be_visible()
    # Left alone, the form is brought up to date too: a call for help can now be handled.
    row.get_by_label("What they said").fill("")
    boss.locator("body").click(position={"x": 5, "y": 5})
    expect(row.get_by_label("Handled")).to_be_visible(timeout=30_000)
