import json

import pytest
from django.core.management import CommandError, call_command

from advisories.models import AdvisoryVersion, Country, Rule
from tests.factories import content_pack


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
    assert capsys.readouterr().out == exported
