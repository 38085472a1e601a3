"""A content change in a real browser (Debian's Chromium through Playwright): an editor eases
Baikonur's closed-area section in the admin, reads in the publish step that it re-briefs the
Baikonur trip and only re-checks the Astana one, and publishes; the Astana traveller's trip
is still cleared to travel, the Baikonur traveller has a new briefing to acknowledge.
Screenshots go to test-artifacts/screenshots/."""

import pytest
from django.core import mail

from advisories.models import Section
from briefings.models import Briefing
from core.models import AuditEntry
from tests.briefings.helpers import CLOSED_AREAS, cleared_trip, demo_kazakhstan
from tests.e2e.helpers import log_in, shot
from tests.factories import content_admin
from trips.models import TripStatus

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_editor_publishes_a_baikonur_change_that_leaves_the_astana_trip_cleared(
    live_server, browser, django_capture_on_commit_callbacks
):
    base = live_server.url
    kazakhstan = demo_kazakhstan()
    astana = cleared_trip(django_capture_on_commit_callbacks, place="Astana", name="Aliya")
    baikonur = cleared_trip(django_capture_on_commit_callbacks, place="Baikonur", name="Boris")
    content_admin(username="edith", first_name="Edith", last_name="Editor")
    section = Section.objects.get(key="kz-security-closed-areas")
    mail.outbox.clear()

    # --- the editor eases the closed-area section's level in the admin ---------------------
    page = log_in(browser, base, "edith")
    page.goto(f"{base}/admin/advisories/section/{section.pk}/change/")
    page.get_by_label("Level").select_option("3")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{base}/admin/advisories/advisory/{section.advisory_id}/change/")
    page.get_by_role("link", name="Publish", exact=True).click()
    page.wait_for_url(f"{base}/admin/advisories/advisory/publish/?ids={section.advisory_id}")

    # --- the publish step names the change and the trips it re-briefs ------------------------
    levels = page.locator("ul.publish-levels").inner_text()
    assert f"Section '{CLOSED_AREAS}' level 4 -> 3" in levels
    assert "kz-security-closed-areas" not in page.content()
    assert "reworded" not in page.content()  # the form's line ends are not a new wording
    rebrief = page.locator("table.publish-rebrief").inner_text()
    assert "Boris Traveller" in rebrief and "Aliya Traveller" not in rebrief
    assert f"Section '{CLOSED_AREAS}' changed; its level fell from 4 to 3." in rebrief
    checked = page.locator("table.publish-checked").inner_text()
    assert "Aliya Traveller" in checked and "Boris Traveller" not in checked
    page.locator("details.publish-diff summary").click()
    assert "against version 1" in page.locator("details.publish-diff").inner_text()
    shot(page, "40-publish-preview")
    page.get_by_label("Change note").fill("Closed areas: permits are easier to get")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(f"{base}/admin/advisories/advisory/")
    assert "Published Kazakhstan: version 2." in page.content()

    # --- the Astana traveller is still cleared; the Baikonur traveller must read again -------
    astana.refresh_from_db()
    baikonur.refresh_from_db()
    assert (astana.status, baikonur.status) == (TripStatus.CLEARED, TripStatus.APPROVED)
    assert Briefing.objects.filter(trip=astana).count() == 1
    assert AuditEntry.objects.filter(action="briefing.checked", details__trip=astana.pk).exists()
    assert [message.to for message in mail.outbox] == [[baikonur.traveller.email]]
    aliya = log_in(browser, base, astana.traveller.username)
    aliya.goto(f"{base}/trips/{astana.pk}/")
    assert (
        aliya.locator("h1 .badge.status, .badge.status").first.inner_text() == "Cleared to travel"
    )
    shot(aliya, "41-astana-still-cleared")
    boris = log_in(browser, base, baikonur.traveller.username)
    boris.goto(f"{base}/trips/{baikonur.pk}/")
    assert boris.locator("h1 .badge.status, .badge.status").first.inner_text() == "Approved"
    (told,) = mail.outbox
    assert f"Section '{CLOSED_AREAS}' changed; its level fell from 4 to 3." in told.body
    kazakhstan.refresh_from_db()
    assert kazakhstan.published.number == 2
