"""An official document that repeats curated sections is merged into them, not added twice;
its disclaimer never becomes a section."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from advisories.importers.documents import CuratedSection, parse_document
from advisories.importers.documents.disclaimers import is_disclaimer
from advisories.models import Section
from core.models import AuditEntry
from tests.factories import AdvisoryFactory, SectionFactory, content_admin

DOCUMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
WITH_DISCLAIMER = DOCUMENTS / "fcdo_safety_with_disclaimer.txt"
CLOSING_DISCLAIMER = DOCUMENTS / "osac_report_with_disclaimer.txt"
URL = "/admin/advisories/import-document/"

# What a content admin wrote before the document came: the same heading and topic as the
# document's "Terrorism", and, under another heading, most of the words of its "Crime
# Threats" (OSAC).
TERRORISM = CuratedSection(
    key="kz-terrorism",
    topic="terrorism",
    heading="Terrorism",
    body="An attack in Kazakhstan cannot be excluded. Stay alert in crowded places.",
)
PICKPOCKETS = CuratedSection(
    key="kz-petty-crime",
    topic="crime",
    heading="Petty crime in Almaty",
    body=(
        "Pickpockets work the Green Bazaar and the crowded city buses: keep phones and "
        "wallets out of sight and close to you. Cars parked in busy streets are broken into "
        "when a bag is left on the seat."
    ),
)


def headings(doc) -> list[str]:
    return [section.heading for section in doc.sections]


def text_of(doc) -> str:
    return "\n".join(f"{s.heading}\n{s.body}" for s in doc.sections)


# --- disclaimers ------------------------------------------------------------------------


def test_a_disclaimer_under_its_own_heading_does_not_become_a_section():
    doc = parse_document(WITH_DISCLAIMER.read_bytes())
    assert headings(doc) == ["Street robbery", "Valuables", "Terrorism", "Earthquakes"]
    assert "accept no liability" not in text_of(doc)


def test_a_disclaimer_closing_the_last_section_is_left_out_of_it():
    doc = parse_document(CLOSING_DISCLAIMER.read_bytes())
    assert headings(doc)[-1] == "Natural Hazards"
    assert doc.sections[-1].body == (
        "Almaty lies in an active seismic zone; mudslides close mountain roads in spring."
    )
    assert "informational purposes only" not in text_of(doc)


def test_advice_that_speaks_of_responsibility_is_kept():
    doc = parse_document(WITH_DISCLAIMER.read_bytes())
    assert "Hotels accept no responsibility for valuables left in rooms" in text_of(doc)
    assert not is_disclaimer("Hotels accept no responsibility for valuables left in rooms.")
    assert is_disclaimer("This information is provided for general information only.")


def test_a_disclaimer_sub_heading_is_dropped_with_its_text_from_a_merged_section():
    doc = parse_document(
        b"# Advice\n\n## Crime\n\n### Theft\n\nPickpockets work the markets.\n\n"
        b"### Disclaimer\n\nWe accept no liability for this advice.\n",
        fmt="fcdo",
    )
    assert "liability" not in text_of(doc)
    assert "Disclaimer" not in text_of(doc)


# --- merge suggestions ------------------------------------------------------------------


def test_a_section_with_the_topic_and_heading_of_a_curated_one_is_suggested_for_merging():
    doc = parse_document(WITH_DISCLAIMER.read_bytes(), curated=[TERRORISM, PICKPOCKETS])
    terrorism = doc.sections[headings(doc).index("Terrorism")]
    assert terrorism.merge is not None
    assert (terrorism.merge.key, terrorism.merge.heading) == ("kz-terrorism", "Terrorism")
    assert terrorism.merge.reason == "the same topic and heading"
    earthquakes = doc.sections[headings(doc).index("Earthquakes")]
    assert earthquakes.merge is None


def test_a_section_sharing_most_of_its_words_with_a_curated_one_is_suggested_for_merging():
    doc = parse_document(CLOSING_DISCLAIMER.read_bytes(), curated=[TERRORISM, PICKPOCKETS])
    threats = doc.sections[headings(doc).index("Crime Threats")]
    assert threats.merge is not None
    assert threats.merge.heading == "Petty crime in Almaty"
    assert threats.merge.reason.endswith("of the words are shared")
    assert doc.sections[headings(doc).index("Natural Hazards")].merge is None


# --- the command ------------------------------------------------------------------------


def curated_kz() -> None:
    advisory = AdvisoryFactory()
    for section in (TERRORISM, PICKPOCKETS):
        SectionFactory(
            advisory=advisory,
            key=section.key,
            topic=section.topic,
            heading=section.heading,
            body=section.body,
        )


def run(*args) -> str:
    out = StringIO()
    call_command("import_advisory", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_command_merges_a_repeated_section_instead_of_adding_a_duplicate():
    curated_kz()
    out = run(str(WITH_DISCLAIMER), "--country", "KZ")
    sections = Section.objects.filter(advisory__country_id="KZ")
    assert sections.filter(heading="Terrorism").count() == 1
    terrorism = sections.get(key="kz-terrorism")
    # What the curated section said already is not repeated; what it did not say is added.
    assert terrorism.body.count("An attack in Kazakhstan cannot be excluded") == 1
    assert "Listen for security warnings from the local authorities." in terrorism.body
    assert "Stay alert in crowded places." in terrorism.body
    assert not sections.filter(heading="Disclaimer").exists()
    assert sections.filter(heading="Earthquakes").exists()
    assert "merged 'Terrorism' into 'Terrorism' (existing)" in out
    assert "3 draft sections added" in out
    entry = AuditEntry.objects.get(action="advisory.document_imported")
    assert entry.details["merged_into"] == ["kz-terrorism"]


@pytest.mark.django_db
def test_a_dry_run_names_the_section_each_would_merge_into():
    curated_kz()
    output = json.loads(run(str(CLOSING_DISCLAIMER), "--country", "KZ", "--dry-run"))
    by_heading = {s["heading"]: s for s in output["sections"]}
    assert by_heading["Crime Threats"]["merge_into"]["key"] == "kz-petty-crime"
    assert "merge_into" not in by_heading["Natural Hazards"]
    assert Section.objects.count() == 2


# --- the admin's review -----------------------------------------------------------------


def preview(client):
    document = SimpleUploadedFile("advice.txt", WITH_DISCLAIMER.read_bytes(), "text/plain")
    return client.post(
        URL, {"action": "preview", "document": document, "country": "KZ", "fmt": "auto"}
    )


def import_post(response, **choices) -> dict:
    """The import form as a browser sends it: each select's chosen value (the default unless
    ``choices`` overrides it by heading)."""
    form = response.context["import_form"]
    data = {"action": "import", "token": form["token"].value()}
    for section in response.context["preview"]["sections"]:
        field = section["merge_field"]
        data[field.html_name] = choices.get(section["heading"], field.value())
    return data


@pytest.mark.django_db
def test_the_admin_review_offers_merging_into_the_curated_section_by_default(client):
    curated_kz()
    client.force_login(content_admin())
    response = preview(client)
    html = response.content.decode()
    assert '<option value="kz-terrorism" selected>merge into &#x27;Terrorism&#x27; (existing)' in (
        html
    )
    assert "Disclaimer" not in html
    assert client.post(URL, import_post(response)).status_code == 302
    assert Section.objects.filter(heading="Terrorism").count() == 1


@pytest.mark.django_db
def test_an_editor_may_add_a_repeated_section_as_a_new_one_instead(client):
    curated_kz()
    client.force_login(content_admin())
    response = preview(client)
    assert client.post(URL, import_post(response, Terrorism="")).status_code == 302
    assert Section.objects.filter(heading="Terrorism").count() == 2


@pytest.mark.django_db
def test_merging_into_a_section_that_is_not_the_countrys_is_refused_and_nothing_is_written(
    client,
):
    curated_kz()
    SectionFactory(key="mn-elsewhere", advisory=AdvisoryFactory(country_id="MN"))
    client.force_login(content_admin())
    response = preview(client)
    refused = client.post(URL, import_post(response, Terrorism="mn-elsewhere"))
    assert refused.status_code == 200
    assert "Nothing was written" in refused.content.decode()
    assert Section.objects.count() == 3
