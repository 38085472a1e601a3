"""Who to call: the briefing's cover and contacts page give the company's security desk, an
embassy only to its own nationals (first), and numbers in international form."""

import io

import pytest
from django.core.files.storage import storages
from pypdf import PdfReader

from briefings import selectors, services
from briefings.models import Briefing, BriefingStatus
from core.models import CompanySettings
from tests.briefings.content import approved_trip

pytestmark = pytest.mark.django_db


def document(trip):
    briefing = Briefing.objects.create(
        trip=trip,
        version=1,
        reason="approved",
        content_versions=dict(trip.assessments.first().content_versions),
    )
    return selectors.briefing_document(briefing=briefing)


def with_nationality(trip, code):
    trip.passport_nationality = code
    trip.save(update_fields=["passport_nationality"])
    return trip


def test_a_british_traveller_sees_the_british_embassy_first_and_no_us_lines():
    doc = document(with_nationality(approved_trip(), "GB"))
    labels = [contact["label"] for contact in doc.contacts]
    assert labels[0].startswith("British Embassy Astana")
    assert not any(label.startswith("US ") for label in labels)
    embassy = doc.contacts[0]
    assert embassy["phone"].international == "+7 7172 55 62 00"


def test_an_american_traveller_sees_the_us_consulate_and_no_british_lines():
    doc = document(with_nationality(approved_trip(), "US"))
    labels = [contact["label"] for contact in doc.contacts]
    assert labels[0].startswith("US Consulate General Almaty")
    assert not any("British" in label for label in labels)
    # Astana is not on this trip: its lines are left out, as before.
    assert not any("Astana" in label for label in labels)


def test_a_traveller_of_another_nationality_sees_only_the_numbers_for_everyone():
    doc = document(with_nationality(approved_trip(), "FR"))
    labels = [contact["label"] for contact in doc.contacts]
    assert "Police" in labels and "Emergency services (all)" in labels
    assert not any("British" in label or label.startswith("US ") for label in labels)


def test_domestic_numbers_are_read_in_the_country_s_numbering_plan():
    doc = document(with_nationality(approved_trip(), "US"))
    by_label = {contact["label"]: contact["phone"] for contact in doc.contacts}
    clinic = by_label["SOS International Clinic Almaty, 24 hours (2017)"]
    assert clinic.international == "+7 7272 58 19 11"
    assert clinic.local == "8 (7272) 58 19 11"
    assert by_label["Police"].is_short


def render_text(trip, capture) -> str:
    with capture(execute=True):
        briefing = services.briefing_request(trip=trip, reason="approved")
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.READY, briefing.error
    with storages["private"].open(briefing.file_name) as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_pdf_gives_the_security_desk_on_the_cover_and_the_contacts_page(
    django_capture_on_commit_callbacks,
):
    CompanySettings.objects.create(
        pk=1, security_desk_phone="+44 20 7946 0000", security_desk_email="desk@example.com"
    )
    text = render_text(approved_trip(), django_capture_on_commit_callbacks)
    assert text.count("+44 20 7946 0000") >= 3  # cover, contents note, contacts page
    assert "desk@example.com" in text
    assert "British Embassy Astana" in text and "+7 7172 55 62 00" in text
    assert "in the country: 8 (7172) 55 62 00" in text
    assert "local short number" in text


def test_a_pdf_without_a_security_desk_says_so(django_capture_on_commit_callbacks):
    text = render_text(approved_trip(), django_capture_on_commit_callbacks)
    assert text.count("No security desk number was set when this briefing was issued") == 2
