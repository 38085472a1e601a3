"""A content pack uploaded in the admin never loses work silently (real Chromium): an editor
uploads a pack exported before a colleague's unpublished draft; it is refused with the loss
named, previewed, and imported only when the editor says "Import anyway"."""

import json

import pytest

from advisories.models import Advisory, Country, Section
from advisories.packs import pack_export, pack_import
from core.models import AuditEntry
from tests.e2e.helpers import log_in, shot
from tests.factories import SectionFactory, content_admin, content_pack

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_editor_uploads_a_pack_that_would_discard_a_draft_and_imports_it_anyway(
    live_server, browser, tmp_path
):
    base = live_server.url
    pack_import(content_pack("MN", level=2))
    pack_path = tmp_path / "mongolia.json"
    exported = pack_export()
    exported["countries"][0]["advisory"]["level"] = 3
    pack_path.write_text(json.dumps(exported), encoding="utf-8")
    # A colleague's unpublished work on Mongolia, written after the pack was exported.
    SectionFactory(
        advisory=Advisory.objects.get(country_id="MN"),
        key="mn-night-buses",
        heading="Crime on night buses",
    )
    content_admin(username="edith")

    page = log_in(browser, base, "edith")
    page.goto(f"{base}/admin/advisories/advisory/import-pack/")
    page.get_by_label("Pack").set_input_files(str(pack_path))
    page.get_by_role("button", name="Preview the import").click()
    page.wait_for_url(f"{base}/admin/advisories/advisory/import-pack/*/")

    # Refused, with what it would lose named, and nothing written yet.
    refusal = page.get_by_role("alert")
    assert "would lose work" in refusal.inner_text()
    assert (
        "MN: unpublished draft changes to 1 section would be discarded: 'Crime on night buses'"
        in refusal.inner_text()
    )
    body = page.locator("#content").inner_text()
    assert "Version 2 would be published" in body
    assert "Country level 2 -> 3" in body
    shot(page, "content-import-01-refused")
    assert Country.objects.get(code="MN").published.number == 1

    # "Import anyway" without ticking the box is refused again, still writing nothing.
    page.get_by_role("button", name="Import anyway").click()
    assert "tick Import anyway to go ahead" in page.locator("#content").inner_text()
    assert Section.objects.filter(key="mn-night-buses").exists()

    page.get_by_label("Import anyway").check()
    page.get_by_role("button", name="Import anyway").click()
    page.wait_for_url(f"{base}/admin/advisories/advisory/")
    messages = page.locator(".messagelist").inner_text()
    assert "The content pack was imported." in messages
    assert "Forced, and so lost" in messages
    shot(page, "content-import-02-imported")

    assert Country.objects.get(code="MN").published.number == 2
    assert not Section.objects.filter(key="mn-night-buses").exists()
    entry = AuditEntry.objects.filter(action="content_pack.imported").latest("pk")
    assert entry.details["forced"] is True
    assert entry.actor.username == "edith"
