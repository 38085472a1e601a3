"""Issue 23's drift: the schema says what the API answers (a briefing's `acknowledged_at` may be
null; `error` only for security managers), a rejection's reason is text and not a number, and
a purpose of invisible characters is no purpose."""

from __future__ import annotations

import pytest

from core.lib.text import has_visible_text
from tests.factories import api_as, employee, logged_in, manager
from tests.trips.helpers import post_trip, stop, trip_body
from trips.models import Transition, Trip, TripStatus

pytestmark = pytest.mark.django_db

INVISIBLE = [
    "\u200b\u200b\u200b",  # zero-width spaces
    "\u200c\u200d\u2060\ufeff",  # joiners, word joiner, byte order mark
    " \u00ad \u3164 ",  # soft hyphen, Hangul filler between spaces
    "\u2800\u180e",  # blank Braille pattern, Mongolian vowel separator
    "\u0301",  # a combining accent over nothing
]


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_schema_says_a_briefing_may_be_unacknowledged_and_its_error_is_optional():
    briefing = _schema()["components"]["schemas"]["Briefing"]
    assert briefing["properties"]["acknowledged_at"]["nullable"] is True
    assert "error" in briefing["properties"]
    assert "error" not in briefing["required"]
    assert "acknowledged_at" in briefing["required"]


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_characters_are_not_text(text):
    assert not has_visible_text(text)


@pytest.mark.parametrize("text", ["Site visit", "é", "\u200bAlmaty", "سفر", "出張", "0"])
def test_anything_that_shows_is_text(text):
    assert has_visible_text(text)


@pytest.fixture
def pending_trip(catalogue):
    traveller = employee()
    trip = post_trip(traveller, stop(place="Sealed Valley"))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    pending = Trip.objects.get(pk=trip["id"])
    assert pending.status == TripStatus.PENDING_APPROVAL
    return pending


@pytest.mark.parametrize("reason", [42, 0, 3.5, True, ["No permit"], {"why": "No permit"}])
def test_a_rejection_reason_that_is_not_text_is_a_field_error(pending_trip, reason):
    response = api_as(manager()).post(
        f"/api/trips/{pending_trip.pk}/reject/", {"reason": reason}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    pending_trip.refresh_from_db()
    assert pending_trip.status == TripStatus.PENDING_APPROVAL
    assert not Transition.objects.filter(trip=pending_trip, to_status="rejected").exists()


@pytest.mark.parametrize("reason", ["\u200b\u200b", " \ufeff "])
def test_a_rejection_reason_of_invisible_characters_is_missing(pending_trip, reason):
    response = api_as(manager()).post(
        f"/api/trips/{pending_trip.pk}/reject/", {"reason": reason}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["reason"]
    pending_trip.refresh_from_db()
    assert pending_trip.status == TripStatus.PENDING_APPROVAL


@pytest.mark.parametrize("purpose", INVISIBLE)
def test_a_purpose_of_invisible_characters_is_refused_by_the_api_and_the_page(catalogue, purpose):
    traveller = employee()
    response = api_as(traveller).post(
        "/api/trips/", trip_body(stop(), purpose=purpose), format="json"
    )
    assert response.status_code == 400
    assert response.json()["purpose"] == ["Say what the trip is for."]
    page = logged_in(traveller).post(
        "/trips/new/",
        {
            "purpose": purpose,
            "passport_nationality": "",
            "passport_type": "",
            "visa_category": "",
            "stops-TOTAL_FORMS": "1",
            "stops-INITIAL_FORMS": "0",
            "stops-MIN_NUM_FORMS": "1",
            "stops-MAX_NUM_FORMS": "50",
            "stops-0-country": "MN",
            "stops-0-place": "Old Harbour",
            "stops-0-arrival": stop()["arrival"],
            "stops-0-departure": stop()["departure"],
            "action": "draft",
        },
    )
    assert "Say what the trip is for." in page.content.decode()
    assert not Trip.objects.exists()
