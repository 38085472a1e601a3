"""What a trip would need before it is submitted (the draft page, and the form through
POST /api/trips/preview/), the arranger's traveller choice, and rejections explained."""

import copy

import pytest
from django.utils import timezone

from advisories.packs import pack_import
from briefings.models import Briefing
from tests.factories import api_as, arranger_for, employee, logged_in, manager
from tests.trips.helpers import TEST_PACK, d, file_trip
from trips import services
from trips.models import Assessment, Trip, TripStatus

pytestmark = pytest.mark.django_db


def trip_body(**overrides):
    body = {
        "purpose": "Customer visit",
        "stops": [
            {
                "country": "MN",
                "place": "Old Harbour",
                "arrival": d(20).isoformat(),
                "departure": d(28).isoformat(),
                "activities": ["driving"],
            }
        ],
    }
    body.update(overrides)
    return body


def test_the_preview_assesses_an_itinerary_without_storing_anything(catalogue):
    user = employee()
    response = api_as(user).post("/api/trips/preview/", trip_body(), format="json")
    assert response.status_code == 200
    result = response.json()
    assert result["preview"] is True and result["risk_level"] == 2
    titles = {row["title"]: row for row in result["requirements"]}
    assert titles["Register your stay"]["due_date"] == d(24).isoformat()
    assert titles["International Driving Permit"]["due_date"] == d(20).isoformat()
    assert not Trip.objects.exists() and not Assessment.objects.exists()


def test_the_preview_of_a_closed_area_says_it_needs_approval(catalogue):
    body = trip_body(stops=[{**trip_body()["stops"][0], "place": "Sealed Valley"}])
    result = api_as(employee()).post("/api/trips/preview/", body, format="json").json()
    assert result["requires_approval"] is True and result["risk_level"] == 4
    assert result["approval_reasons"]


def test_the_preview_validates_like_create(catalogue):
    user = employee()
    backwards = trip_body(
        stops=[
            {
                **trip_body()["stops"][0],
                "arrival": d(28).isoformat(),
                "departure": d(20).isoformat(),
            }
        ]
    )
    response = api_as(user).post("/api/trips/preview/", backwards, format="json")
    assert response.status_code == 400 and "stops" in response.json()
    someone = employee(username="someone")
    response = api_as(user).post(
        "/api/trips/preview/", trip_body(traveller="someone"), format="json"
    )
    assert response.status_code == 400 and "traveller" in response.json()
    assert (
        api_as(arranger_for(someone))
        .post("/api/trips/preview/", trip_body(traveller="someone"), format="json")
        .status_code
        == 200
    )
    assert not Trip.objects.exists()


def test_the_draft_page_shows_a_preview_and_submitting_stores_it(catalogue):
    user = employee()
    trip = file_trip(user, activities=["driving"], submit=False)
    client = logged_in(user)
    body = client.get(f"/trips/{trip.pk}/").content.decode()
    assert "Preview: what this trip would need" in body
    assert "preview, not stored" in body and "International Driving Permit" in body
    assert not trip.assessments.exists()
    client.post(f"/trips/{trip.pk}/submit/")
    body = client.get(f"/trips/{trip.pk}/").content.decode()
    assert "Preview: what this trip would need" not in body
    assert trip.assessments.count() == 1


def test_the_trip_form_carries_the_live_preview_script_and_no_inline_script(catalogue):
    body = logged_in(employee()).get("/trips/new/").content.decode()
    assert 'data-trip-preview data-preview-url="/api/trips/preview/"' in body
    assert "trips/trip-preview.js" in body
    assert "<script>" not in body and "style=" not in body


def test_an_arranger_chooses_the_traveller_and_is_last_in_the_list_as_myself(catalogue):
    traveller = employee(first_name="Zoe", last_name="Traveller")
    arranger = arranger_for(traveller, first_name="Arthur", last_name="Arranger")
    body = logged_in(arranger).get("/trips/new/").content.decode()
    select = body[
        body.index('name="traveller"') : body.index("</select>", body.index('name="traveller"'))
    ]
    assert '<option value="" selected>Choose the traveller</option>' in select
    assert "selected" not in select.replace('<option value="" selected>', "")
    assert select.index("Zoe Traveller") < select.index("Myself (Arthur Arranger)")


def test_an_arranger_who_does_not_choose_is_asked_to(catalogue):
    arranger = arranger_for(employee())
    response = logged_in(arranger).post(
        "/trips/new/",
        {
            "purpose": "Visit",
            "traveller": "",
            "stops-TOTAL_FORMS": "1",
            "stops-INITIAL_FORMS": "0",
            "stops-MIN_NUM_FORMS": "1",
            "stops-MAX_NUM_FORMS": "50",
            "stops-0-country": "MN",
            "stops-0-arrival": d(20).isoformat(),
            "stops-0-departure": d(22).isoformat(),
            "action": "draft",
        },
    )
    assert response.status_code == 400
    assert "Choose whom the trip is for." in response.content.decode()
    assert not Trip.objects.exists()


def test_a_rejection_reason_is_on_the_dashboard_and_atop_the_trip_page(catalogue):
    user = employee()
    trip = file_trip(user, place="Sealed Valley")
    boss = manager(first_name="Morgan", last_name="Security")
    services.trip_reject(trip=trip, by=boss, reason="Travel there is suspended until March.")
    dashboard = logged_in(user).get("/").content.decode()
    assert "Rejected: Travel there is suspended until March.. Amend" not in dashboard
    assert "Rejected: Travel there is suspended until March." in dashboard
    page = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    assert page.index("Travel there is suspended until March.") < page.index("Risk assessment")
    assert "Morgan Security" in page


def test_a_trip_sent_back_by_an_advisory_change_says_which_and_what_changed(
    catalogue, django_capture_on_commit_callbacks
):
    user = employee()
    trip = file_trip(user)
    assert trip.status == TripStatus.APPROVED
    # Its briefing is ready (rendered or not, the panel only reads the row).
    Briefing.objects.update_or_create(
        trip=trip,
        superseded=False,
        defaults={
            "version": 1,
            "status": "ready",
            "reason": "approved",
            "sha256": "a" * 64,
            "file_name": "b.pdf",
            "rendered_at": timezone.now(),
        },
    )
    # The content now puts the trip's place in a closed area: the trip needs a decision again.

    pack = copy.deepcopy(TEST_PACK)
    pack["countries"][0]["places"][0]["kind"] = "closed_area"
    pack["countries"][0]["places"][0]["level"] = 4
    pack["countries"][0]["advisory"]["change_note"] = "Old Harbour closed"
    with django_capture_on_commit_callbacks(execute=True):
        pack_import(pack, by=None)
    # The announcement reaches trips through a task; run it here whatever the queue did
    # (idempotent: a trip already assessed against version 2 is skipped).
    services.trips_reassess_for_country(country_code="MN", version=2)
    trip.refresh_from_db()
    assert trip.status == TripStatus.PENDING_APPROVAL
    page = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    assert "advisory was updated" in page and "The trip awaits a new decision." in page
    assert "Risk level changed from 2 to 4." in page
    # The briefing panel says so too, instead of "the trip changed".
    panel = page[page.index("Pre-travel briefing") : page.index("Risk assessment")]
    assert "This briefing no longer matches the trip. The Mongolia advisory was updated" in panel
    dashboard = logged_in(user).get("/").content.decode()
    assert "advisory was updated" in dashboard
