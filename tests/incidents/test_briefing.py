"""A briefing rendered while an incident is open for a stop's place or country lists it on the
at-a-glance page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.storage import storages
from pypdf import PdfReader

from advisories.models import Place
from briefings import selectors, services
from briefings.models import Briefing
from tests.briefings.content import approved_trip, publish_kz
from tests.factories import IncidentFactory, country

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def place(name: str) -> Place:
    found, _ = Place.objects.get_or_create(country=country("KZ"), name=name)
    return found


def document(trip):
    briefing = Briefing.objects.create(
        trip=trip,
        version=1,
        reason="approved",
        content_versions=dict(trip.assessments.first().content_versions),
    )
    return selectors.briefing_document(briefing=briefing)


@pytest.fixture
def trip():
    # Almaty, then Baikonur, a month from now; both curated places (a stop in a place the
    # portal does not know would possibly be touched by any incident in the country).
    place("Baikonur")
    return approved_trip(version=publish_kz(), first_arrival=TODAY + dt.timedelta(days=30))


def test_the_briefing_lists_open_incidents_for_a_stops_place_or_its_country(trip):
    IncidentFactory(title="Blast in Almaty", places=[place("Almaty")], starts_on=TODAY)
    IncidentFactory(title="Floods across the country", starts_on=TODAY)
    IncidentFactory(title="Protest in Astana", places=[place("Astana")], starts_on=TODAY)
    IncidentFactory(
        title="Over", starts_on=TODAY - dt.timedelta(days=9), ends_on=TODAY - dt.timedelta(days=2)
    )
    titles = {item.incident.title for item in document(trip).incidents}
    assert titles == {"Blast in Almaty", "Floods across the country"}


def test_the_glance_page_of_the_pdf_names_the_incident(trip, django_capture_on_commit_callbacks):
    IncidentFactory(
        title="Blast in Almaty", severity="critical", places=[place("Almaty")], starts_on=TODAY
    )
    with django_capture_on_commit_callbacks(execute=True):
        briefing = services.briefing_request(trip=trip, reason="approved")
    briefing.refresh_from_db()
    with storages["private"].open(briefing.file_name) as handle:
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(handle.read())).pages]
    glance = next(" ".join(text.split()) for text in pages if "Why this level" in text)
    assert "Incidents where you are going" in glance
    assert "Critical: Blast in Almaty" in glance


def test_the_briefing_lists_the_incidents_its_assessment_does_and_no_info_notice(trip):
    from trips import selectors as trip_selectors

    IncidentFactory(
        title="Unrest since last month",
        severity="critical",
        places=[place("Almaty")],
        starts_on=TODAY - dt.timedelta(days=30),
    )
    IncidentFactory(title="Traffic notice", severity="info", starts_on=TODAY)
    # Over a week before the trip arrives (its lookahead is 3 days): it touches nothing.
    IncidentFactory(
        title="Strike until next week",
        starts_on=TODAY,
        ends_on=TODAY + dt.timedelta(days=7),
    )
    listed = [(item.incident.title, item.match) for item in document(trip).incidents]
    assessed = [(i.title, i.match) for i in trip_selectors.trip_assess(trip).incidents]
    assert listed == assessed == [("Unrest since last month", "place")]
