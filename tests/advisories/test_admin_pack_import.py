"""Importing a content pack in the admin: upload, preview (nothing written), confirm."""

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from advisories.models import Advisory, AdvisoryVersion, Country, Section
from advisories.packs import pack_export, pack_import
from core.models import AuditEntry
from tests.factories import (
    SectionFactory,
    StopFactory,
    TripFactory,
    content_admin,
    content_pack,
    employee,
    logged_in,
)

UPLOAD = "/admin/advisories/advisory/import-pack/"


def upload(client, pack, *, draft=False, name="pack.json"):
    data = {"pack": SimpleUploadedFile(name, json.dumps(pack).encode(), "application/json")}
    if draft:
        data["draft"] = "on"
    return client.post(UPLOAD, data)


def preview_of(client, pack, **kwargs):
    """Upload the pack and open its preview; returns (preview URL, response)."""
    response = upload(client, pack, **kwargs)
    assert response.status_code == 302
    url = response["Location"]
    return url, client.get(url)


def confirm(client, url, preview, *, force=False):
    state = re.search(r'name="state" value="([0-9a-f]{64})"', preview.content.decode())
    data = {"state": state.group(1)}
    if force:
        data["force"] = "on"
    return client.post(url, data)


@pytest.fixture
def editor():
    return logged_in(content_admin())


@pytest.fixture
def published_mn():
    """MN published from a pack, and that pack as exported then."""
    pack_import(content_pack("MN"))
    return pack_export()


def add_draft_sections(*headings):
    advisory = Advisory.objects.get(country_id="MN")
    for i, heading in enumerate(headings):
        SectionFactory(advisory=advisory, key=f"mn-draft-{i}", heading=heading)


@pytest.mark.django_db
def test_an_uploaded_pack_is_previewed_and_nothing_is_written_before_it_is_confirmed(editor):
    url, preview = preview_of(editor, content_pack("MN"), name="mongolia.json")
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "Nothing has been written yet" in html
    assert "Mongolia (MN)" in html
    assert "Version 1 would be published" in html
    assert "Section &#x27;Petty crime&#x27; added" in html  # the section, by its heading
    assert "Place Capital City added" in html  # the place
    assert "Rule &#x27;Register your stay&#x27; added" in html  # the rule
    assert not Advisory.objects.exists()
    assert not AuditEntry.objects.filter(action="content_pack.imported").exists()

    response = confirm(editor, url, preview)
    assert response.status_code == 302
    assert Country.objects.get(code="MN").published.number == 1
    assert AuditEntry.objects.get(action="content_pack.imported").details["forced"] is False
    # Imported once: the upload is gone, its address leads back to the upload form.
    assert editor.get(url)["Location"] == UPLOAD


@pytest.mark.django_db
def test_the_preview_names_a_level_change_and_the_upcoming_trips_it_would_reassess(
    editor, published_mn
):
    trip = TripFactory(
        purpose="Mine inspection",
        status="approved",
        first_arrival=timezone.localdate() + dt.timedelta(days=20),
        last_departure=timezone.localdate() + dt.timedelta(days=25),
    )
    StopFactory(trip=trip, country=Country.objects.get(code="MN"))
    _url, preview = preview_of(editor, content_pack("MN", level=4))
    html = preview.content.decode()
    assert "Country level 2 -&gt; 4" in html
    assert "the level, 2 to 4" in html
    assert "1 upcoming trip</strong> (1 traveller)" in html
    assert "Mine inspection" in html
    assert Country.objects.get(code="MN").published.level == 2


@pytest.mark.django_db
def test_a_pack_that_would_discard_drafts_is_refused_until_imported_anyway(editor, published_mn):
    add_draft_sections("Crime in the capital", "Winter roads")
    url, preview = preview_of(editor, published_mn)
    html = preview.content.decode()
    assert (
        "MN: unpublished draft changes to 2 sections would be discarded: "
        "&#x27;Crime in the capital&#x27;, &#x27;Winter roads&#x27;" in html
    )
    assert 'value="Import anyway"' in html

    refused = confirm(editor, url, preview)
    assert refused.status_code == 200
    assert "tick Import anyway to go ahead" in refused.content.decode()
    assert Section.objects.filter(key__startswith="mn-draft").count() == 2
    assert AuditEntry.objects.filter(action="content_pack.imported").count() == 1

    forced = confirm(editor, url, refused, force=True)
    assert forced.status_code == 302
    assert not Section.objects.filter(key__startswith="mn-draft").exists()
    entry = AuditEntry.objects.filter(action="content_pack.imported").latest("pk")
    assert entry.details["forced"] is True
    assert entry.actor is not None
    assert "section: Winter roads" in entry.details["lost"][0]["items"]


@pytest.mark.django_db
def test_a_confirmation_after_the_content_changed_shows_the_new_preview_and_writes_nothing(
    editor, published_mn
):
    url, preview = preview_of(editor, content_pack("MN", level=3))
    assert "would be discarded" not in preview.content.decode()
    add_draft_sections("Written meanwhile")  # someone edits MN after the preview
    response = confirm(editor, url, preview, force=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "changed since the pack was previewed" in html
    assert "would be discarded: &#x27;Written meanwhile&#x27;" in html
    assert Country.objects.get(code="MN").published.number == 1
    assert Section.objects.filter(heading="Written meanwhile").exists()


@pytest.mark.django_db
def test_a_draft_import_previews_without_publishing_and_imports_into_the_drafts(
    editor, published_mn
):
    url, preview = preview_of(editor, content_pack("MN", level=5), draft=True)
    assert "The draft would be updated; nothing is published." in preview.content.decode()
    assert confirm(editor, url, preview).status_code == 302
    assert Advisory.objects.get(country_id="MN").level == 5
    assert AdvisoryVersion.objects.count() == 1


@pytest.mark.django_db
def test_another_editor_cannot_confirm_someone_elses_upload(editor):
    url, _preview = preview_of(editor, content_pack("MN"))
    other = logged_in(content_admin())
    assert other.get(url)["Location"] == UPLOAD
    assert other.post(url, {"state": "0" * 64, "force": "on"})["Location"] == UPLOAD
    assert not Advisory.objects.exists()


@pytest.mark.django_db
def test_an_employee_never_reaches_an_upload_preview(editor):
    url, _ = preview_of(editor, content_pack("MN"))
    response = logged_in(employee()).get(url)
    assert response.status_code in (302, 403)
    assert b"Mongolia" not in response.content


@pytest.mark.django_db
def test_a_forged_state_is_a_form_error_not_an_import(editor):
    url, _preview = preview_of(editor, content_pack("MN"))
    response = editor.post(url, {"state": "<script>"})
    assert response.status_code == 200
    assert not Advisory.objects.exists()


@pytest.mark.django_db
def test_a_pack_over_the_size_limit_is_refused_before_it_is_kept(editor, monkeypatch):
    monkeypatch.setattr("advisories.forms.MAX_PACK_BYTES", 100)
    response = upload(editor, content_pack("MN"))
    assert response.status_code == 200
    assert "the limit is 100 bytes" in response.content.decode()
    assert "advisories.pack_uploads" not in editor.session
