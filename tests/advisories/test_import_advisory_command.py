import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from advisories.models import AdvisoryVersion, Section, Source

# GOV.UK-style travel advice written for the tests (tests/fixtures/documents/)
UK_ADVICE = Path(__file__).resolve().parents[1] / "fixtures" / "documents" / "fcdo_staying_safe.txt"
# The reference documents, when the checkout has them beside it
SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command("import_advisory", *args, stdout=out)
    return out.getvalue()


def test_a_dry_run_prints_the_sections_as_json_and_writes_nothing():
    output = json.loads(run(str(UK_ADVICE), "--country", "KZ", "--dry-run"))
    headings = [s["heading"] for s in output["sections"]]
    assert {"Terrorism", "Crime", "Road travel", "Closed areas", "Earthquakes"} <= set(headings)
    assert set(output["sections"][0]) == {"topic", "heading", "body"}
    assert output["source"]["publisher"]
    assert not Section.objects.exists()
    assert not Source.objects.exists()


def test_an_import_leaves_draft_sections_citing_the_document_and_publishes_nothing():
    run(str(UK_ADVICE), "--country", "KZ", "--level", "2")
    sections = Section.objects.filter(advisory__country_id="KZ")
    assert sections.filter(heading="Terrorism", topic="terrorism").exists()
    assert sections.filter(heading="Earthquakes", topic="natural_hazards").exists()
    # a lone sub-heading is its own section: the one the trekking activity's advice needs
    assert sections.filter(
        heading="Trekking and mountaineering", topic="outdoor_activities"
    ).exists()
    assert {s.source.publisher for s in sections} == {sections.first().source.publisher}
    assert not AdvisoryVersion.objects.exists()


def test_a_new_country_needs_its_level():
    with pytest.raises(CommandError, match="give its overall level"):
        run(str(UK_ADVICE), "--country", "KZ")
    assert not Section.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"\x00\x01\x02binary", "binary")],
    ids=["empty-file", "binary-file"],
)
def test_bad_files_get_a_clear_error_and_write_nothing(tmp_path, content, message):
    bad = tmp_path / "doc.txt"
    bad.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(str(bad), "--country", "KZ", "--level", "2")
    assert not Section.objects.exists()


def test_unknown_format_country_and_missing_file_are_named():
    with pytest.raises(CommandError, match="Unknown format 'pdfx'"):
        run(str(UK_ADVICE), "--country", "KZ", "--format", "pdfx")
    with pytest.raises(CommandError, match="Unknown country code 'QQ'"):
        run(str(UK_ADVICE), "--country", "QQ")
    with pytest.raises(CommandError, match="Cannot read"):
        run("/nonexistent/file.txt", "--country", "KZ")


@pytest.mark.skipif(
    not SEEDS.is_dir(),
    reason=f"the reference documents are not beside this checkout ({SEEDS} is absent)",
)
def test_a_dry_run_of_the_reference_uk_advice_keeps_its_trekking_section():
    output = json.loads(
        run(str(SEEDS / "000_03d531ee13b264f4.txt"), "--country", "KZ", "--dry-run")
    )
    topics = {s["heading"]: s["topic"] for s in output["sections"]}
    assert topics["Trekking and mountaineering"] == "outdoor_activities"
    assert "Outdoor activities and adventure tourism" not in topics
    assert {"Terrorism", "Crime", "Road travel", "Closed areas", "Earthquakes"} <= set(topics)
    assert not Section.objects.exists()
