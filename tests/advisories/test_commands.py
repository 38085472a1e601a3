import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from advisories.models import Advisory, AdvisoryVersion, Country, Rule, Section
from advisories.packs import pack_import
from advisories.services import advisory_publish
from core.models import AuditEntry
from tests.advisories.helpers import content_of
from tests.factories import SectionFactory, content_admin, content_pack


def write(tmp_path, pack) -> str:
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(pack), encoding="utf-8")
    return str(path)


@pytest.mark.django_db
def test_import_content_imports_publishes_and_summarises(tmp_path, capsys):
    call_command("import_content", write(tmp_path, content_pack("MN")))
    out = capsys.readouterr().out
    assert "Published: MN v1 (material)" in out
    assert "Created: 1 activity, 1 advisory, 1 emergency contact, 1 place, 1 rule" in out
    assert Country.objects.get(code="MN").published.number == 1


@pytest.mark.django_db
def test_import_content_with_draft_publishes_nothing(tmp_path, capsys):
    call_command("import_content", write(tmp_path, content_pack("MN")), "--draft")
    assert "Changed drafts, not published: MN" in capsys.readouterr().out
    assert not AdvisoryVersion.objects.exists()
    assert Rule.objects.filter(country_id="MN").count() == 1


@pytest.mark.django_db
def test_import_content_refuses_a_bad_pack_naming_each_error_path(tmp_path):
    pack = content_pack("MN")
    pack["countries"][0]["rules"][0]["kind"] = "visa_free_x"
    pack["sources"][0]["retrieved"] = "yesterday"
    with pytest.raises(CommandError) as refused:
        call_command("import_content", write(tmp_path, pack))
    message = str(refused.value)
    assert 'countries[0].rules[0].kind: unknown kind "visa_free_x"' in message
    assert "sources[0].retrieved: not a date" in message
    assert "nothing was written" in message
    assert not Rule.objects.exists()
    assert not AdvisoryVersion.objects.exists()


@pytest.mark.django_db
def test_import_content_refuses_a_file_that_is_not_json(tmp_path):
    path = tmp_path / "pack.json"
    path.write_text("{oops", encoding="utf-8")
    with pytest.raises(CommandError, match="is not valid JSON"):
        call_command("import_content", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_content", str(tmp_path / "missing.json"))


@pytest.mark.django_db
def test_export_then_import_content_round_trips_without_new_versions(tmp_path, capsys):
    call_command("import_content", write(tmp_path, content_pack("MN")))
    capsys.readouterr()
    call_command("export_content")
    exported = capsys.readouterr().out
    assert exported.startswith('{\n  "activities"')  # sorted keys, indent 2
    (tmp_path / "export.json").write_text(exported, encoding="utf-8")
    call_command("import_content", str(tmp_path / "export.json"))
    assert "Unchanged: MN" in capsys.readouterr().out
    assert AdvisoryVersion.objects.count() == 1
    call_command("export_content")
    again = json.loads(capsys.readouterr().out)
    assert content_of(again) == content_of(json.loads(exported))


@pytest.mark.django_db
def test_export_content_writes_when_it_was_exported_with_its_offset(capsys):
    pack_import(content_pack("MN"))
    before = timezone.now()
    call_command("export_content")
    exported_at = dt.datetime.fromisoformat(json.loads(capsys.readouterr().out)["exported_at"])
    assert exported_at.tzinfo is not None
    assert before <= exported_at <= timezone.now()


# --- never losing work silently ---------------------------------------------------------


def published_mn(tmp_path, capsys) -> str:
    """MN imported and published, then exported: returns the exported pack's path."""
    call_command("import_content", write(tmp_path, content_pack("MN")))
    capsys.readouterr()
    call_command("export_content")
    path = tmp_path / "export.json"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    return str(path)


def edit_draft_sections(code: str, headings: list[str]) -> None:
    """An editor's unpublished work: the country's section reworded, and new sections."""
    advisory = Advisory.objects.get(country_id=code)
    first = advisory.sections.get()
    first.body = "Pickpockets work the night buses too."
    first.heading = headings[0]
    first.save()
    for i, heading in enumerate(headings[1:], start=1):
        SectionFactory(advisory=advisory, key=f"{code.lower()}-draft-{i}", heading=heading)


@pytest.mark.django_db
def test_an_import_that_would_discard_unpublished_drafts_is_refused_naming_them(tmp_path, capsys):
    pack = published_mn(tmp_path, capsys)
    edit_draft_sections("MN", ["Crime in the capital", "Winter roads", "Altitude"])
    sections_before = list(Section.objects.values_list("key", "heading", "body"))
    with pytest.raises(CommandError) as refused:
        call_command("import_content", pack)
    message = str(refused.value)
    assert refused.value.returncode == 1  # manage.py's exit status
    assert "nothing was written" in message
    assert (
        "MN: unpublished draft changes to 3 sections would be discarded: "
        "'Crime in the capital', 'Winter roads', 'Altitude'" in message
    )
    assert "--force" in message
    assert list(Section.objects.values_list("key", "heading", "body")) == sections_before
    assert AdvisoryVersion.objects.count() == 1
    assert AuditEntry.objects.filter(action="content_pack.imported").count() == 1  # the first


@pytest.mark.django_db
def test_an_import_forced_over_drafts_goes_ahead_and_the_audit_trail_records_the_loss(
    tmp_path, capsys
):
    pack = published_mn(tmp_path, capsys)
    edit_draft_sections("MN", ["Crime in the capital", "Winter roads"])
    call_command("import_content", pack, "--force")
    out = capsys.readouterr().out
    assert "Forced, and so lost:" in out
    assert "'Crime in the capital', 'Winter roads'" in out
    assert list(Section.objects.filter(advisory__country_id="MN").values_list("heading")) == [
        ("Petty crime",)
    ]
    entry = AuditEntry.objects.filter(action="content_pack.imported").latest("pk")
    assert entry.details["forced"] is True
    assert entry.details["lost"][0]["kind"] == "drafts"
    assert "section: Winter roads" in entry.details["lost"][0]["items"]


@pytest.mark.django_db
def test_an_import_overwriting_a_version_published_after_the_export_is_refused(tmp_path, capsys):
    pack = published_mn(tmp_path, capsys)
    advisory = Advisory.objects.get(country_id="MN")
    advisory.level = 4
    advisory.save()
    editor = content_admin()
    advisory_publish(country=advisory.country, by=editor, change_note="Unrest", material=True)
    with pytest.raises(CommandError) as refused:
        call_command("import_content", pack)
    today = timezone.localdate().isoformat()
    assert (
        f"MN: version 2 published {today} by {editor.username} after this pack was exported "
        f"({today}): it would be overwritten" in str(refused.value)
    )
    assert Country.objects.get(code="MN").published.level == 4
    assert AdvisoryVersion.objects.count() == 2


@pytest.mark.django_db
def test_a_hand_written_pack_changing_a_published_advisory_is_not_refused(tmp_path, capsys):
    """Without exported_at a pack is not "older" than anything: only drafts are protected."""
    call_command("import_content", write(tmp_path, content_pack("MN")))
    call_command("import_content", write(tmp_path, content_pack("MN", level=4)))
    assert "Published: MN v2 (material)" in capsys.readouterr().out
    assert Country.objects.get(code="MN").published.level == 4


@pytest.mark.django_db
def test_an_import_that_keeps_the_drafts_changes_is_not_refused(tmp_path, capsys):
    """A pack carrying the same edit as the draft loses nothing."""
    call_command("import_content", write(tmp_path, content_pack("MN")))
    advisory = Advisory.objects.get(country_id="MN")
    advisory.level = 4
    advisory.save()
    call_command("import_content", write(tmp_path, content_pack("MN", level=4)))
    assert "Published: MN v2 (material)" in capsys.readouterr().out


@pytest.mark.django_db
def test_a_draft_import_is_held_to_the_same_rule(tmp_path, capsys):
    pack = published_mn(tmp_path, capsys)
    edit_draft_sections("MN", ["Crime in the capital"])
    with pytest.raises(CommandError, match="would be discarded: 'Crime in the capital'"):
        call_command("import_content", pack, "--draft")


@pytest.mark.django_db
def test_an_exported_at_in_the_future_or_without_offset_is_an_error(tmp_path):
    pack = content_pack("MN")
    pack["exported_at"] = "2026-11-20T10:00:00"
    with pytest.raises(CommandError, match="exported_at: needs its offset from UTC"):
        call_command("import_content", write(tmp_path, pack))
    pack["exported_at"] = "3026-11-20T10:00:00+00:00"
    with pytest.raises(CommandError, match="exported_at: is in the future"):
        call_command("import_content", write(tmp_path, pack))
    assert not Advisory.objects.exists()
