"""Bad input is a field error, never a 500: integers bounded before conversion, typed text
without control characters or direction overrides, no trip starting in the past (but a
manager may record one, marked so), request bodies over the limit refused in the API's JSON
shape, and only absolute links in sanitised Markdown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from core.lib.markdown import render_markdown
from core.lib.numbers import parse_whole_number
from core.lib.text import BIDI_MESSAGE, ONE_LINE_MESSAGE, text_problem
from core.models import AuditEntry
from tests.factories import TripFactory, api_as, employee, logged_in, manager
from trips.models import Trip

pytestmark = pytest.mark.django_db

RLO = "\u202e"


def day(offset: int) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).isoformat()


def trip_body(**changes) -> dict:
    stop = {"country": "KZ", "place": "Almaty", "arrival": day(10), "departure": day(12)}
    stop.update(changes.pop("stop", {}))
    return {"purpose": "Plant audit", "stops": [stop], **changes}


# --- integers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("42", 42),
        (" 7 ", 7),
        ("9" * 4301, None),
        ("-1", None),
        ("²", None),
        ("٣", None),
        ("9223372036854775808", None),
        ("", None),
        ("1e3", None),
    ],
)
def test_whole_numbers_are_bounded_before_conversion(text, number):
    assert parse_whole_number(text) == number


def test_a_4301_digit_traveller_id_is_a_field_error():
    response = api_as(employee()).post(
        "/api/trips/", trip_body(traveller="9" * 4301), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"traveller": ["You may not file trips for this traveller."]}
    assert not Trip.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/trips/{huge}/",
        "/api/trips/{big}/",
        "/api/trips/{big}/assessment/",
        "/api/briefings/{big}/pdf/",
        "/api/trips/?page={huge}",
        "/api/compliance/?days={huge}",
        "/api/approvals/?risk_level={huge}",
        "/api/locations/?date={huge}",
        "/trips/{big}/",
        "/compliance/?days={huge}",
        "/approvals/?risk_level={big}",
        "/audit/?page={huge}",
    ],
)
def test_huge_numbers_in_paths_and_query_strings_are_not_server_errors(url):
    url = url.format(huge="9" * 4301, big="9" * 30)
    client = api_as(manager()) if url.startswith("/api/") else logged_in(manager())
    response = client.get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)


def test_huge_ids_in_the_admin_publish_step_are_not_server_errors():
    from django.urls import reverse

    from tests.factories import content_admin

    url = reverse("admin:advisories_advisory_publish")
    response = logged_in(content_admin()).get(f"{url}?ids={'9' * 4301},{'9' * 30},x")
    assert response.status_code == 404


# --- typed text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "multiline", "problem"),
    [
        ("Almaty", False, None),
        ("Алматы / الماتي\u200f", False, None),  # other scripts and a direction mark are text
        ("Almaty\r\nX-Header: 1", False, ONE_LINE_MESSAGE),
        ("a\u2028b", False, ONE_LINE_MESSAGE),
        (f"invoice{RLO}fdp.exe", False, BIDI_MESSAGE),
        ("x\u2066y", True, BIDI_MESSAGE),
        ("two\nlines\twith a tab", True, None),
        ("bell\x07", True, "Remove the control characters."),
    ],
)
def test_typed_text_refuses_control_characters_and_direction_overrides(value, multiline, problem):
    assert text_problem(value, multiline=multiline) == problem


def test_a_purpose_with_a_direction_override_is_a_field_error():
    response = api_as(employee()).post(
        "/api/trips/", trip_body(purpose=f"Audit {RLO}gnp.exe"), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"purpose": [BIDI_MESSAGE]}


def test_a_place_with_a_line_break_is_a_field_error_of_that_stop():
    response = api_as(employee()).post(
        "/api/trips/", trip_body(stop={"place": "Almaty\r\nBcc: all"}), format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"stops": {"0": {"place": [ONE_LINE_MESSAGE]}}}
    assert not Trip.objects.exists()


def test_the_trip_form_refuses_a_place_with_a_line_break():
    user = employee()
    response = logged_in(user).post(
        "/trips/new/",
        {
            "purpose": "Plant audit",
            "stops-TOTAL_FORMS": "1",
            "stops-INITIAL_FORMS": "0",
            "stops-0-country": "KZ",
            "stops-0-place": "Almaty\nBcc: all",
            "stops-0-arrival": day(10),
            "stops-0-departure": day(12),
        },
    )
    assert response.status_code == 400
    assert ONE_LINE_MESSAGE in response.content.decode()
    assert not Trip.objects.exists()


@pytest.mark.parametrize("field", ["phone", "department", "emergency_contact_name"])
def test_profile_fields_refuse_line_breaks_and_overrides(field):
    user = employee()
    client = api_as(user)
    response = client.patch("/api/me/", {"profile": {field: "x\ny"}}, format="json")
    assert response.status_code == 400
    assert response.json() == {field: [ONE_LINE_MESSAGE]}
    response = client.patch("/api/me/", {"profile": {field: f"x{RLO}y"}}, format="json")
    assert response.json() == {field: [BIDI_MESSAGE]}
    user.profile.refresh_from_db()
    assert getattr(user.profile, field) == ""


def test_a_rejection_reason_with_an_override_is_a_field_error():
    trip = TripFactory(status="pending_approval")
    response = api_as(manager()).post(
        f"/api/trips/{trip.pk}/reject/", {"reason": f"No{RLO} way"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"reason": [BIDI_MESSAGE]}
    trip.refresh_from_db()
    assert trip.status == "pending_approval"


def test_an_incident_summary_with_a_direction_override_is_a_field_error():
    response = api_as(manager()).post(
        "/api/incidents/",
        {
            "title": "Protest",
            "summary": f"Avoid the {RLO}erauqs",
            "severity": "warning",
            "category": "civil_unrest",
            "country": "KZ",
            "starts_on": day(0),
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"summary": [BIDI_MESSAGE]}


def test_a_safety_check_interval_of_4301_digits_is_a_field_error():
    from django.core.exceptions import ValidationError

    from incidents.checks.services import check_start
    from tests.factories import IncidentFactory

    with pytest.raises(ValidationError) as refused:
        check_start(incident=IncidentFactory(), by=manager(), interval_minutes="9" * 4301)
    assert list(refused.value.message_dict) == ["interval_minutes"]


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize("arrival", [day(-1), "1900-01-01", "0001-01-01"])
def test_a_trip_cannot_start_in_the_past(arrival):
    response = api_as(employee()).post(
        "/api/trips/", trip_body(stop={"arrival": arrival, "departure": day(3)}), format="json"
    )
    assert response.status_code == 400
    assert "cannot start in the past" in response.json()["stops"]["0"]["arrival"][0]
    assert not Trip.objects.exists()


def test_a_manager_records_a_past_trip_and_it_is_marked_so():
    recorder = manager()
    response = api_as(recorder).post(
        "/api/trips/", trip_body(stop={"arrival": day(-20), "departure": day(-15)}), format="json"
    )
    assert response.status_code == 201
    assert response.json()["recorded_after_start"] is True
    trip = Trip.objects.get()
    assert AuditEntry.objects.filter(
        action="trip.recorded_after_start", object_id=str(trip.pk), actor=recorder
    ).exists()
    assert (
        "Recorded after travel began"
        in logged_in(recorder).get(f"/trips/{trip.pk}/").content.decode()
    )


def test_even_a_manager_cannot_record_a_trip_from_long_ago():
    response = api_as(manager()).post(
        "/api/trips/",
        trip_body(stop={"arrival": "1900-01-01", "departure": "1900-01-05"}),
        format="json",
    )
    assert response.status_code == 400
    assert "earliest arrival possible" in response.json()["stops"]["0"]["arrival"][0]


def test_a_trip_filed_ahead_is_not_marked():
    response = api_as(employee()).post("/api/trips/", trip_body(), format="json")
    assert response.status_code == 201
    assert response.json()["recorded_after_start"] is False


# --- request bodies ---------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_in_the_json_shape(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"purpose": "' + "a" * 5000 + '"}'
    response = api_as(employee()).post("/api/trips/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}


def test_a_form_body_over_the_limit_is_refused_in_the_json_shape(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = Client().post(
        "/api/auth/token/",
        f"username=x&password={'a' * 5000}",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}


def test_a_body_over_the_limit_outside_any_api_view_is_json_too(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client()
    client.force_login(employee())
    # No API view matched: Django's own 400, answered by the API's error page.
    response = client.post("/api/nowhere/", {"purpose": "a" * 5000})
    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/json"


# --- Markdown links ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("[guide](guide.html)", "<p>guide</p>"),
        ("[home](/)", "<p>home</p>"),
        ("[top](#top)", "<p>top</p>"),
        ("[cdn](//cdn.example.org/x)", "<p>cdn</p>"),
        ("[odd](http:relative)", "<p>odd</p>"),
        ("[passwd](file:///etc/passwd)", "<p>[passwd](file:///etc/passwd)</p>"),
    ],
)
def test_links_that_are_not_absolute_become_plain_text(markdown, html):
    assert render_markdown(markdown).strip() == html


@pytest.mark.parametrize(
    "href", ["https://www.gov.uk/x", "http://example.org", "mailto:desk@example.org", "tel:+44207"]
)
def test_absolute_web_mail_and_phone_links_survive(href):
    assert f'<a href="{href}"' in render_markdown(f"[call or read]({href})")


# --- the document importer ----------------------------------------------------------------


def test_the_importer_keeps_to_its_fields_lengths():
    from advisories.importers.documents.parsed import ParsedDocument, ParsedSection
    from advisories.importers.drafts import document_import_draft
    from advisories.models import Advisory, Source
    from tests.factories import country

    long_url = "https://www.example.org/" + "a" * 600 + "?x=1"
    assert len(long_url) > Source._meta.get_field("url").max_length
    parsed = ParsedDocument(
        format="plain",
        title="T" * 400,
        source={"publisher": "P" * 300, "title": "T" * 400, "url": long_url, "retrieved": None},
        sections=[ParsedSection(heading="H" * 300, topic="crime", body="Body.")],
    )
    kz = country("KZ")
    Advisory.objects.filter(country=kz).delete()
    sections = document_import_draft(country=kz, parsed=parsed, level=2)
    source = Source.objects.get(pk=sections[0].source_id)
    # A cut URL would point somewhere else: it is left out, not shortened.
    assert source.url == ""
    assert len(source.publisher) == Source._meta.get_field("publisher").max_length
    assert len(source.title) == Source._meta.get_field("title").max_length
    assert len(sections[0].heading) == 200


def test_the_importer_keeps_a_url_that_fits():
    from advisories.importers.documents.parsed import ParsedDocument, ParsedSection
    from advisories.importers.drafts import document_import_draft
    from advisories.models import Source
    from tests.factories import country

    parsed = ParsedDocument(
        format="plain",
        title="Kazakhstan travel advice",
        source={
            "publisher": "FCDO",
            "title": "Kazakhstan",
            "url": "https://www.gov.uk/x",
            "retrieved": "2026-11-01",
        },
        sections=[ParsedSection(heading="Crime", topic="crime", body="Body.")],
    )
    sections = document_import_draft(country=country("KZ"), parsed=parsed, level=2)
    assert Source.objects.get(pk=sections[0].source_id).url == "https://www.gov.uk/x"
