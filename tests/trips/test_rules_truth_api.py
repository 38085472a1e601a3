"""The six cases of issue 12 ("Rules truth"), replayed through the API against the shipped
demo content (Kazakhstan), with the answers product.md gives. 8 March 2027 (International
Women's Day) and 22-24 March 2027 (Nauryz) are public holidays there; 19 March 2027 is a
Friday."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from advisories.models import Advisory
from advisories.packs import pack_import
from advisories.services import advisory_publish
from tests.factories import api_as, employee, logged_in, trip_with_stops
from trips import services
from trips.models import Trip

pytestmark = pytest.mark.django_db

DEMO_PACK = Path(__file__).resolve().parents[2] / "advisories" / "content" / "demo-pack.json"


@pytest.fixture
def kazakhstan(db):
    pack_import(json.loads(DEMO_PACK.read_text()))


@pytest.fixture
def traveller(db):
    user = employee()
    user.profile.nationality = "GB"  # on Kazakhstan's visa-free list
    user.profile.save()
    return user


def kz(place, arrival, departure, **extra):
    return {"country": "KZ", "place": place, "arrival": arrival, "departure": departure, **extra}


def submitted(user, *stops, expect=200):
    client = api_as(user)
    created = client.post(
        "/api/trips/", {"purpose": "Site visit", "stops": list(stops)}, format="json"
    )
    assert created.status_code == 201, created.json()
    response = client.post(f"/api/trips/{created.json()['id']}/submit/")
    assert response.status_code == expect, response.json()
    return created.json()["id"], response.json()


def assessment(user, trip_id):
    response = api_as(user).get(f"/api/trips/{trip_id}/assessment/")
    assert response.status_code == 200
    return response.json()


def due(body, rule):
    return [(r["due_date"], r["place"]) for r in body["requirements"] if r["rule"] == rule]


# --- 1. a closed area is never missed ----------------------------------------------------


def test_a_closed_area_typed_in_longer_words_is_matched_permitted_and_sent_for_approval(
    kazakhstan, traveller
):
    trip_id, trip = submitted(traveller, kz("Baikonur Cosmodrome", "2027-06-10", "2027-06-12"))
    assert (trip["stops"][0]["place"], trip["stops"][0]["place_matched"]) == ("Baikonur", True)
    assert trip["status"] == "pending_approval"
    body = assessment(traveller, trip_id)
    assert body["risk_level"] == 4
    assert "Baikonur is a closed area" in body["approval_reasons"]
    assert due(body, "kz-closed-areas") == [("2027-05-11", "Baikonur")]  # 30 days ahead


def test_an_unknown_place_in_a_country_with_closed_areas_is_said_and_goes_to_a_manager(
    kazakhstan, traveller
):
    trip_id, trip = submitted(traveller, kz("Kosmodrom", "2027-06-10", "2027-06-12"))
    assert trip["stops"][0]["place_matched"] is False
    assert trip["status"] == "pending_approval"
    body = assessment(traveller, trip_id)
    said = (
        "'Kosmodrom' is not a place we know in Kazakhstan: its closed areas are Baikonur, "
        "Gvardeyskiy, Karmakchi district and Kazalinsk district, its other places"
    )
    assert any(line.startswith(said) for line in body["explanation"])
    assert any(
        reason.startswith(said)
        and reason.endswith("a security manager must check it is not a closed area")
        for reason in body["approval_reasons"]
    )


# --- 2. a level change reaches every upcoming trip, ticked or not ---------------------------


def test_a_level_raised_without_the_tick_re_assesses_upcoming_trips(
    kazakhstan, traveller, django_capture_on_commit_callbacks
):
    start = timezone.localdate() + dt.timedelta(days=40)
    trip_id, trip = submitted(
        traveller, kz("Almaty", start.isoformat(), (start + dt.timedelta(days=3)).isoformat())
    )
    assert trip["status"] == "approved"
    Advisory.objects.filter(country_id="KZ").update(level=3)
    with django_capture_on_commit_callbacks(execute=True):
        version = advisory_publish(
            country=Advisory.objects.get(country_id="KZ").country,
            by=None,
            change_note="Raised to 3",
            material=False,
        )
    assert version.material
    refreshed = Trip.objects.get(pk=trip_id)
    assert (refreshed.status, refreshed.risk_level) == ("pending_approval", 3)


# --- 3. deadlines that can be met ----------------------------------------------------------


def test_what_can_only_be_had_at_home_is_due_before_the_trip_starts(kazakhstan, traveller):
    trip_id, _ = submitted(
        traveller,
        kz("Almaty", "2027-06-10", "2027-06-20", activities=["driving"]),
        kz("Baikonur", "2027-06-20", "2027-06-22"),
    )
    body = assessment(traveller, trip_id)
    assert due(body, "kz-driving-permit") == [("2027-06-09", "Almaty")]
    assert due(body, "kz-closed-areas") == [("2027-05-11", "Baikonur")]


def test_a_lead_time_already_past_says_apply_now(kazakhstan, traveller):
    start = timezone.localdate() + dt.timedelta(days=10)
    trip_id, _ = submitted(
        traveller, kz("Baikonur", start.isoformat(), (start + dt.timedelta(days=2)).isoformat())
    )
    (permit,) = [r for r in assessment(traveller, trip_id)["requirements"] if r["kind"] == "permit"]
    assert permit["due_date"] == (start - dt.timedelta(days=30)).isoformat()
    assert "Apply now: this normally needs 30 days" in permit["detail"]


def test_a_re_registration_is_due_before_the_traveller_leaves_for_another_country(
    kazakhstan, traveller
):
    trip_id, _ = submitted(
        traveller,
        kz("Almaty", "2027-06-01", "2027-06-08"),
        kz("Astana", "2027-06-08", "2027-06-10"),
        {"country": "UZ", "place": "", "arrival": "2027-06-10", "departure": "2027-06-15"},
    )
    body = assessment(traveller, trip_id)
    # Within 5 calendar days of 8 June is the 12th; the traveller leaves on the 10th.
    assert due(body, "kz-re-registration") == [("2027-06-10", "Astana")]
    (req,) = [r for r in body["requirements"] if r["rule"] == "kz-re-registration"]
    assert "falls after you leave Kazakhstan on 10 June" in req["detail"]


# --- 4. working days skip public holidays ---------------------------------------------------


def test_working_days_skip_nauryz_and_the_detail_names_it(kazakhstan, traveller):
    trip_id, _ = submitted(
        traveller,
        kz("Almaty", "2027-03-15", "2027-03-19"),
        kz("Astana", "2027-03-19", "2027-04-02"),
    )
    body = assessment(traveller, trip_id)
    # Friday 19 March counts; 22-24 March are Nauryz: the 3rd working day is Friday the 26th.
    assert due(body, "kz-host-notification") == [("2027-03-26", "Astana")]
    (req,) = [r for r in body["requirements"] if r["rule"] == "kz-host-notification"]
    assert "Nowruz Holiday (22 and 23 March)" in req["detail"]


# --- 5. cumulative stays -------------------------------------------------------------------


def test_a_third_visit_that_breaks_90_days_in_180_names_the_trips_counted(kazakhstan, traveller):
    january = trip_with_stops(
        {"arrival": dt.date(2027, 1, 5), "departure": dt.date(2027, 1, 30)},
        {"arrival": dt.date(2027, 1, 30), "departure": dt.date(2027, 1, 31)},
        traveller=traveller,
    )
    february = trip_with_stops(
        {"arrival": dt.date(2027, 2, 1), "departure": dt.date(2027, 2, 28)},
        traveller=traveller,
        status="cleared",
    )
    trip_with_stops(  # a cancelled trip is not counted
        {"arrival": dt.date(2026, 12, 1), "departure": dt.date(2026, 12, 30)},
        traveller=traveller,
        status="cancelled",
    )
    trip_id, _ = submitted(traveller, kz("Almaty", "2027-03-10", "2027-04-14"))
    body = assessment(traveller, trip_id)
    (req,) = [r for r in body["requirements"] if r["kind"] == "stay_limit"]
    # 27 + 28 + 36 days: the 91st is 14 April (December's cancelled trip is not counted).
    assert req["due_date"] == "2027-04-14"
    assert (
        f"91 of 90 days in 180: trip #{january.pk}, 5-31 Jan; trip #{february.pk}, 1-28 Feb; "
        "this trip."
    ) in req["detail"]


def test_exactly_90_days_in_180_is_within_the_limit_and_91_is_over(kazakhstan, traveller):
    trip_with_stops(
        {"arrival": dt.date(2027, 1, 1), "departure": dt.date(2027, 1, 30)},
        traveller=traveller,
    )
    second = trip_with_stops(
        {"arrival": dt.date(2027, 2, 1), "departure": dt.date(2027, 2, 28)},
        traveller=traveller,
        status="cleared",
    )
    # 30 + 28 + 32 = 90 days.
    at_limit, _ = submitted(traveller, kz("Almaty", "2027-03-10", "2027-04-10"))
    assert not [
        r for r in assessment(traveller, at_limit)["requirements"] if r["kind"] == "stay_limit"
    ]
    api_as(traveller).post(f"/api/trips/{at_limit}/cancel/", {"reason": "Replanned"}, format="json")
    over, _ = submitted(traveller, kz("Almaty", "2027-03-10", "2027-04-11"))
    (req,) = [r for r in assessment(traveller, over)["requirements"] if r["kind"] == "stay_limit"]
    assert req["due_date"] == "2027-04-11"
    first = Trip.objects.filter(traveller=traveller).order_by("first_arrival").first()
    assert (
        f"91 of 90 days in 180: trip #{first.pk}, 1-30 Jan; trip #{second.pk}, 1-28 Feb; this trip."
    ) in req["detail"]


# --- 6. two trips at once ------------------------------------------------------------------


@pytest.fixture
def may_trip(traveller):
    return trip_with_stops(
        {"arrival": dt.date(2027, 5, 1), "departure": dt.date(2027, 5, 10)}, traveller=traveller
    )


def test_submitting_a_trip_that_overlaps_one_going_ahead_is_refused_naming_it(
    kazakhstan, traveller, may_trip
):
    trip_id, body = submitted(traveller, kz("Almaty", "2027-05-05", "2027-05-12"), expect=400)
    assert body["stops"] == [
        f"These dates overlap trip #{may_trip.pk} ({may_trip.purpose}, 1 May to 10 May 2027), "
        "which is approved: change the dates of one of them or cancel it first."
    ]
    assert Trip.objects.get(pk=trip_id).status == "draft"


def test_a_shared_travel_day_is_not_an_overlap(kazakhstan, traveller, may_trip):
    _, body = submitted(traveller, kz("Almaty", "2027-05-10", "2027-05-12"))
    assert body["status"] == "approved"


@pytest.mark.parametrize("status", ["draft", "cancelled", "rejected"])
def test_drafts_cancelled_and_rejected_trips_do_not_count(kazakhstan, traveller, status):
    trip_with_stops(
        {"arrival": dt.date(2027, 5, 1), "departure": dt.date(2027, 5, 10)},
        traveller=traveller,
        status=status,
    )
    _, body = submitted(traveller, kz("Almaty", "2027-05-05", "2027-05-12"))
    assert body["status"] == "approved"


def test_another_traveller_s_trip_on_the_same_dates_does_not_count(kazakhstan, traveller):
    trip_with_stops({"arrival": dt.date(2027, 5, 1), "departure": dt.date(2027, 5, 10)})
    _, body = submitted(traveller, kz("Almaty", "2027-05-05", "2027-05-12"))
    assert body["status"] == "approved"


def test_an_amendment_onto_another_trip_s_dates_is_refused_and_changes_nothing(
    kazakhstan, traveller, may_trip
):
    trip_id, body = submitted(traveller, kz("Almaty", "2027-05-10", "2027-05-12"))
    assert body["status"] == "approved"
    # Amending is a page (and service) action: the API's PATCH edits drafts only.
    with pytest.raises(services.ItineraryInvalid) as refused:
        services.trip_update(
            trip=Trip.objects.get(pk=trip_id),
            by=traveller,
            data=services.TripInput(
                purpose="Site visit",
                stops=[
                    services.StopInput(
                        country="KZ",
                        place="Almaty",
                        arrival=dt.date(2027, 5, 8),
                        departure=dt.date(2027, 5, 12),
                    )
                ],
            ),
        )
    assert f"trip #{may_trip.pk}" in refused.value.errors["stops"][0]
    trip = Trip.objects.get(pk=trip_id)
    assert (trip.status, trip.first_arrival) == ("approved", dt.date(2027, 5, 10))
    assert [stop.arrival for stop in trip.stops.all()] == [dt.date(2027, 5, 10)]


# --- the same answers on the pages ---------------------------------------------------------


def test_the_trip_page_says_an_unknown_place_and_a_refused_overlap(kazakhstan, traveller, may_trip):
    client = logged_in(traveller)
    unknown, _ = submitted(traveller, kz("Kosmodrom", "2027-06-10", "2027-06-12"))
    page = client.get(f"/trips/{unknown}/").content.decode()
    assert "&#x27;Kosmodrom&#x27; is not a place we know in Kazakhstan" in page
    clash = api_as(traveller).post(
        "/api/trips/",
        {"purpose": "Second visit", "stops": [kz("Almaty", "2027-05-05", "2027-05-12")]},
        format="json",
    )
    response = client.post(f"/trips/{clash.json()['id']}/submit/", follow=True)
    assert f"These dates overlap trip #{may_trip.pk}" in response.content.decode()
    assert Trip.objects.get(pk=clash.json()["id"]).status == "draft"


def test_the_trip_form_offers_curated_places_with_their_kind_and_other_names(kazakhstan, traveller):
    page = logged_in(traveller).get("/trips/new/").content.decode()
    assert (
        '<option value="Baikonur" label="Closed area · also Baykonur, Байконур"></option>' in page
    )
    assert "data-place" in page  # the script links each stop's place to its country's list


def test_a_content_admin_corrects_the_calendar_on_the_advisory_and_bad_dates_are_refused(
    kazakhstan,
):
    from django.core.exceptions import ValidationError

    advisory = Advisory.objects.get(country_id="KZ")
    advisory.non_working_days = ["2027-03-20", "20 March"]
    with pytest.raises(ValidationError) as refused:
        advisory.full_clean()
    assert refused.value.message_dict["non_working_days"] == [
        'Dates not a date (YYYY-MM-DD): "20 March".'
    ]
