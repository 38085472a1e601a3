"""The "Are you OK?" page on a phone, in a real browser (Debian's Chromium through
Playwright): the local emergency numbers where the traveller is, their embassy first, the
security desk, and the times on the clock of their place. Screenshots go to
test-artifacts/screenshots/."""

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from advisories.services import advisory_publish
from core.models import CompanySettings
from incidents.checks.services import answer_token, check_start
from incidents.models import CheckRecipient
from tests.e2e.helpers import shot
from tests.factories import (
    AdvisoryFactory,
    EmergencyContactFactory,
    IncidentFactory,
    PlaceFactory,
    country,
    employee,
    manager,
    trip_with_stops,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_answer_page_shows_local_numbers_and_local_times_on_a_phone(live_server, browser):
    today = dt.date.today()
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    AdvisoryFactory(country=country("KZ"))
    EmergencyContactFactory(label="Police", number="102")
    EmergencyContactFactory(label="Ambulance", number="103")
    EmergencyContactFactory(
        label="British Embassy", number="+7 7172 55 62 00", nationalities=["GB"]
    )
    advisory_publish(country=country("KZ"), by=None, change_note="Numbers", material=False)
    CompanySettings.objects.update_or_create(
        pk=1, defaults={"security_desk_phone": "+44 20 7946 0000"}
    )
    erin = employee(username="erin", first_name="Erin")
    erin.profile.nationality = "GB"
    erin.profile.save()
    trip_with_stops(
        {
            "country": country("KZ"),
            "place": almaty,
            "arrival": today - dt.timedelta(days=1),
            "departure": today + dt.timedelta(days=3),
        },
        traveller=erin,
    )
    incident = IncidentFactory(title="Earthquake in Almaty", places=[almaty], starts_on=today)
    check = check_start(incident=incident, by=manager())
    recipient = CheckRecipient.objects.get(safety_check=check)

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + reverse("check-answer-link", args=[answer_token(recipient)]))

    expect(page.get_by_role("heading", name="Are you OK, Erin?")).to_be_visible()
    help_here = page.get_by_role("region", name="In danger now?")
    numbers = help_here.locator(".emergency-numbers li")
    expect(numbers).to_have_count(3)
    expect(numbers.nth(0)).to_contain_text("British Embassy")
    expect(help_here).to_contain_text("Police: 102 (local short number)")
    # A short number is dialled with a tap, as any other.
    expect(help_here.get_by_role("link", name="102")).to_have_attribute("href", "tel:102")
    expect(help_here.get_by_role("link", name="+44 20 7946 0000")).to_be_visible()
    expect(page.locator(".check-zone")).to_have_text("Times are in Almaty time, UTC+5.")
    shot(page, "44-answer-page-local-help")

    page.get_by_role("button", name="I need help").click()
    expect(page.get_by_text("Your call for help is recorded")).to_be_visible()
    recipient.refresh_from_db()
    local = recipient.answered_at.astimezone(dt.timezone(dt.timedelta(hours=5)))
    expect(page.locator(".check-current")).to_contain_text(local.strftime("%H:%M"))
