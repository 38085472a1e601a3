"""The trip pages: the form, the trip page, and the security managers' pages."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import arranger_for, employee, logged_in, manager
from tests.trips.helpers import d, day, file_trip, trip_links
from trips import services
from trips.models import Trip, TripStatus

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def form_data(**overrides):
    data = {
        "purpose": "Customer visit",
        "passport_nationality": "",
        "passport_type": "",
        "visa_category": "",
        "stops-TOTAL_FORMS": "2",
        "stops-INITIAL_FORMS": "0",
        "stops-MIN_NUM_FORMS": "1",
        "stops-MAX_NUM_FORMS": "50",
        "stops-0-country": "MN",
        "stops-0-place": "Old Harbour",
        "stops-0-arrival": day(20),
        "stops-0-departure": day(28),
        "stops-0-activities": ["driving"],
        "stops-1-country": "KZ",
        "stops-1-place": "Almaty",
        "stops-1-arrival": day(28),
        "stops-1-departure": day(30),
        "action": "draft",
    }
    data.update(overrides)
    return data


# --- login required --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/trips/new/", "/trips/1/", "/trips/1/edit/", "/approvals/", "/locations/", "/compliance/"],
)
def test_every_trip_page_requires_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


# --- the trip form ---------------------------------------------------------------------------


def test_the_new_trip_form_offers_countries_places_and_activities(catalogue):
    response = logged_in(employee()).get("/trips/new/")
    body = response.content.decode()
    assert response.status_code == 200
    assert '<option value="MN">Mongolia</option>' in body
    assert '<datalist id="places-MN">' in body and 'value="Old Harbour"' in body
    assert 'value="driving"' in body and "Driving a vehicle" in body
    assert "Save draft" in body and ">Submit<" in body
    assert 'name="traveller"' not in body


def test_place_suggestions_come_from_the_published_content_only(catalogue):
    from advisories.models import Place

    Place.objects.create(country_id="MN", name="Secret Draft Town", key="secret draft town")
    body = logged_in(employee()).get("/trips/new/").content.decode()
    assert 'value="Old Harbour"' in body
    assert "Secret Draft Town" not in body


def test_an_employee_saves_a_two_country_draft(catalogue):
    user = employee()
    response = logged_in(user).post("/trips/new/", form_data())
    trip = Trip.objects.get(traveller=user)
    assert response.status_code == 302
    assert response["Location"] == f"/trips/{trip.pk}/"
    assert trip.status == TripStatus.DRAFT
    stops = list(trip.stops.order_by("position"))
    assert [s.country_id for s in stops] == ["MN", "KZ"]
    assert stops[0].place.name == "Old Harbour"
    assert stops[0].activities == ["driving"]


def test_submitting_from_the_form_assesses_the_trip(catalogue):
    user = employee()
    client = logged_in(user)
    response = client.post("/trips/new/", form_data(action="submit"), follow=True)
    trip = Trip.objects.get(traveller=user)
    assert trip.status in (TripStatus.APPROVED, TripStatus.PENDING_APPROVAL)
    body = response.content.decode()
    assert "International Driving Permit" in body
    assert "Register your stay" in body
    assert "Due" in body


def test_the_form_rejects_bad_input_next_to_the_field_and_keeps_what_was_typed(catalogue):
    user = employee()
    data = form_data(**{"stops-1-departure": day(25), "purpose": "Keep me typed"})
    response = logged_in(user).post("/trips/new/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Departure is before arrival." in body
    assert 'value="Keep me typed"' in body
    assert 'value="Almaty"' in body
    assert f'value="{day(28)}"' in body
    assert not Trip.objects.exists()


def test_a_trip_without_any_stop_asks_for_one_in_plain_words(catalogue):
    data = form_data(**{"stops-TOTAL_FORMS": "1"})
    for field in ("country", "place", "arrival", "departure", "activities"):
        data.pop(f"stops-0-{field}")
    body = logged_in(employee()).post("/trips/new/", data).content.decode()
    assert "Add at least one stop: a country and its dates." in body
    assert "Please submit at least" not in body
    assert not Trip.objects.exists()


def test_the_services_errors_land_on_the_stop_fields(catalogue):
    # Overlapping stops are the service's judgement, mapped back onto the second stop.
    data = form_data(**{"stops-1-arrival": day(22), "stops-1-departure": day(24)})
    response = logged_in(employee()).post("/trips/new/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Overlaps the stop from" in body
    # The message is the one the field's aria-describedby names (Django: "<id>_error").
    assert 'id="id_stops-1-arrival_error"' in body
    assert 'aria-describedby="id_stops-1-arrival_error"' in body
    assert not Trip.objects.exists()


def test_the_form_requires_a_purpose_and_known_dates(catalogue):
    data = form_data(purpose="", **{"stops-0-arrival": "not a date"})
    response = logged_in(employee()).post("/trips/new/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in body
    assert "Enter a valid date." in body
    assert 'value="not a date"' in body
    assert not Trip.objects.exists()


def test_dates_more_than_two_years_ahead_are_refused(catalogue):
    far = (TODAY + dt.timedelta(days=800)).isoformat()
    data = form_data(**{"stops-1-arrival": far, "stops-1-departure": far})
    response = logged_in(employee()).post("/trips/new/", data)
    assert response.status_code == 400
    assert "more than 2 years ahead" in response.content.decode()
    assert not Trip.objects.exists()


def test_an_arranger_files_for_their_traveller_only(catalogue):
    traveller, stranger = employee(), employee()
    arranger = arranger_for(traveller)
    client = logged_in(arranger)
    body = client.get("/trips/new/").content.decode()
    assert f'<option value="{traveller.pk}"' in body
    assert f'<option value="{stranger.pk}"' not in body
    refused = client.post("/trips/new/", form_data(traveller=stranger.pk))
    assert refused.status_code == 400
    assert not Trip.objects.exists()
    response = client.post("/trips/new/", form_data(traveller=traveller.pk))
    assert response.status_code == 302
    assert Trip.objects.get().traveller == traveller


def test_editing_a_draft_keeps_its_stops_and_saves_changes(catalogue):
    user = employee()
    trip = file_trip(user, submit=False)
    client = logged_in(user)
    body = client.get(f"/trips/{trip.pk}/edit/").content.decode()
    assert 'value="Plant audit"' in body and 'value="Old Harbour"' in body
    response = client.post(
        f"/trips/{trip.pk}/edit/",
        form_data(**{"stops-INITIAL_FORMS": "1", "purpose": "Renamed"}),
    )
    assert response.status_code == 302
    trip.refresh_from_db()
    assert trip.purpose == "Renamed"
    assert trip.stops.count() == 2


def test_amending_an_approved_trip_reassesses_it(catalogue):
    user = employee()
    trip = file_trip(user)
    assert trip.status == TripStatus.APPROVED
    response = logged_in(user).post(
        f"/trips/{trip.pk}/edit/", form_data(action="save", purpose="Amended")
    )
    assert response.status_code == 302
    trip.refresh_from_db()
    assert trip.purpose == "Amended"
    assert trip.transitions.filter(comment="Itinerary amended").exists()


# --- ownership ------------------------------------------------------------------------------


def test_the_trip_page_is_for_its_traveller_and_managers_only(catalogue):
    traveller = employee()
    trip = file_trip(traveller, place="Sealed Valley")
    assert trip.status == TripStatus.PENDING_APPROVAL
    own = logged_in(traveller).get(f"/trips/{trip.pk}/")
    assert own.status_code == 200
    assert "Awaiting approval" in own.content.decode()
    assert logged_in(employee()).get(f"/trips/{trip.pk}/").status_code == 404
    assert logged_in(employee()).get(f"/trips/{trip.pk}/edit/").status_code == 404
    boss = manager()
    as_manager = logged_in(boss).get(f"/trips/{trip.pk}/")
    assert as_manager.status_code == 200
    assert "Your decision" in as_manager.content.decode()
    assert logged_in(boss).get(f"/trips/{trip.pk}/edit/").status_code == 403
    assert logged_in(arranger_for(traveller)).get(f"/trips/{trip.pk}/").status_code == 200


def test_an_outsider_cannot_act_on_someone_elses_trip(catalogue):
    trip = file_trip(employee(), submit=False)
    client = logged_in(employee())
    assert client.post(f"/trips/{trip.pk}/submit/").status_code == 404
    assert client.post(f"/trips/{trip.pk}/cancel/").status_code == 404
    trip.refresh_from_db()
    assert trip.status == TripStatus.DRAFT


def test_the_trip_page_shows_the_assessment_sanitised(catalogue):
    user = employee()
    trip = file_trip(user, activities=["driving", "nightlife"])
    body = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    assert "International Driving Permit" in body
    assert "Immigration office" in body  # the authority
    assert 'href="https://example.org/mn"' in body
    assert "Late nights in Old Harbour" in body
    assert "<p>Go in groups.</p>" in body
    assert "risk-3" in body
    assert "Driving a vehicle, " in body  # the itinerary names activities, not their codes


# --- decisions ------------------------------------------------------------------------------


def test_the_queue_warns_when_too_few_managers_can_ever_approve_a_trip(catalogue):
    from trips.models import ApprovalPolicy

    policy = ApprovalPolicy.current()
    policy.dual_approval_level = 4
    policy.save()
    boss = manager()
    # The traveller is the only other manager: two approvals from managers other than the
    # traveller can never come.
    file_trip(manager(), place="Sealed Valley")
    page = logged_in(boss).get("/approvals/").content.decode()
    assert "Not enough managers other than the traveller can approve it" in page
    manager()  # a third manager makes it possible
    page = logged_in(boss).get("/approvals/").content.decode()
    assert "Not enough managers" not in page


def test_a_manager_approves_from_the_trip_page(catalogue):
    trip = file_trip(employee(), place="Sealed Valley")
    response = logged_in(manager()).post(f"/trips/{trip.pk}/approve/", {"comment": "Fine"})
    assert response.status_code == 302
    trip.refresh_from_db()
    assert trip.status == TripStatus.APPROVED


def test_a_rejection_needs_a_reason(catalogue):
    trip = file_trip(employee(), place="Sealed Valley")
    client = logged_in(manager())
    client.post(f"/trips/{trip.pk}/reject/", {"reason": "  "})
    trip.refresh_from_db()
    assert trip.status == TripStatus.PENDING_APPROVAL
    client.post(f"/trips/{trip.pk}/reject/", {"reason": "No escort"})
    trip.refresh_from_db()
    assert trip.status == TripStatus.REJECTED


def test_a_manager_who_approved_once_at_the_dual_level_may_reject_from_the_trip_page(catalogue):
    from trips.models import ApprovalPolicy, Decision

    policy = ApprovalPolicy.current()
    policy.dual_approval_level = 4
    policy.save()
    trip = file_trip(employee(), place="Sealed Valley")
    boss = manager()
    client = logged_in(boss)
    client.post(f"/trips/{trip.pk}/approve/", {"comment": "Fine by me"})
    trip.refresh_from_db()
    assert trip.status == TripStatus.PENDING_APPROVAL
    response = client.post(f"/trips/{trip.pk}/reject/", {"reason": "No escort after all"})
    assert response.status_code == 302
    assert response["Location"] == f"/trips/{trip.pk}/"
    trip.refresh_from_db()
    assert trip.status == TripStatus.REJECTED
    assert list(Decision.objects.filter(trip=trip).values_list("manager", "outcome")) == [
        (boss.pk, "reject")
    ]


def test_an_employee_cannot_approve(catalogue):
    traveller = employee()
    trip = file_trip(traveller, place="Sealed Valley")
    assert logged_in(traveller).post(f"/trips/{trip.pk}/approve/").status_code == 403
    trip.refresh_from_db()
    assert trip.status == TripStatus.PENDING_APPROVAL


def test_the_traveller_cancels_their_trip(catalogue):
    user = employee()
    trip = file_trip(user, submit=False)
    logged_in(user).post(f"/trips/{trip.pk}/cancel/")
    trip.refresh_from_db()
    assert trip.status == TripStatus.CANCELLED


def test_a_cancellation_reason_with_a_null_character_is_refused_with_a_message(catalogue):
    user = employee()
    trip = file_trip(user, submit=False)
    response = logged_in(user).post(f"/trips/{trip.pk}/cancel/", {"reason": "a\x00b"}, follow=True)
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    trip.refresh_from_db()
    assert trip.status == TripStatus.DRAFT


# --- CSRF -----------------------------------------------------------------------------------


def test_forms_are_protected_against_cross_site_requests(catalogue):
    user = employee()
    trip = file_trip(user, submit=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/trips/new/", form_data()).status_code == 403
    assert client.post(f"/trips/{trip.pk}/edit/", form_data()).status_code == 403
    assert client.post(f"/trips/{trip.pk}/submit/").status_code == 403
    assert client.post(f"/trips/{trip.pk}/cancel/").status_code == 403
    boss = Client(enforce_csrf_checks=True)
    boss.force_login(manager())
    assert boss.post(f"/trips/{trip.pk}/approve/").status_code == 403
    assert boss.post(f"/trips/{trip.pk}/reject/", {"reason": "x"}).status_code == 403
    trip.refresh_from_db()
    assert trip.status == TripStatus.DRAFT
    assert Trip.objects.count() == 1


# --- managers' pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/approvals/", "/locations/", "/compliance/", "/compliance/?format=csv"]
)
def test_managers_pages_are_forbidden_to_employees(path):
    assert logged_in(employee()).get(path).status_code == 403
    assert logged_in(manager()).get(path).status_code == 200


def test_the_queue_lists_pending_trips_by_departure_with_filters(catalogue):
    later = file_trip(employee(), place="Sealed Valley", start=30)
    sooner = file_trip(employee(), place="Sealed Valley", start=5)
    file_trip(employee())  # approved automatically: not in the queue
    client = logged_in(manager())
    body = client.get("/approvals/").content.decode()
    assert body.index(f"/trips/{sooner.pk}/") < body.index(f"/trips/{later.pk}/")
    assert trip_links(client.get("/approvals/")) == 2
    assert trip_links(client.get("/approvals/?level=4")) == 2
    assert trip_links(client.get("/approvals/?level=1")) == 0
    assert trip_links(client.get("/approvals/?risk_level=4")) == 2  # the API's name
    assert trip_links(client.get("/approvals/?country=KZ")) == 0
    assert trip_links(client.get("/approvals/?country=MN")) == 2
    assert trip_links(client.get("/approvals/?second=1")) == 0


def test_who_is_where_shows_travellers_and_counts(catalogue):
    traveller = employee(first_name="Ada", last_name="Lovelace")
    traveller.profile.phone = "+44 20 7946 0000"
    traveller.profile.save()
    file_trip(traveller, start=2)
    client = logged_in(manager())
    body = client.get(f"/locations/?date={day(4)}").content.decode()
    assert "Ada Lovelace" in body
    assert "+44 20 7946 0000" in body
    assert 'class="bar"' in body and "Mongolia" in body
    empty = client.get(f"/locations/?date={day(4)}&country=KZ").content.decode()
    assert "Ada Lovelace" not in empty
    assert client.get("/locations/?date=nonsense").status_code == 200


def test_the_compliance_csv_lists_what_is_missing(catalogue):
    traveller = employee(first_name="Grace", last_name="Hopper")
    trip = file_trip(traveller, place="Sealed Valley", start=3)
    response = logged_in(manager()).get("/compliance/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    lines = response.content.decode().splitlines()
    assert lines[0] == "trip,purpose,traveller,email,departure,return,countries,status,missing"
    assert lines[1] == (
        f"{trip.pk},Plant audit,Grace Hopper,{traveller.email},{d(3).isoformat()},"
        f"{d(11).isoformat()},MN,pending_approval,approval"
    )
    page = logged_in(manager()).get("/compliance/").content.decode()
    assert "Grace Hopper" in page and "approval" in page


def test_csv_cells_cannot_smuggle_formulas(catalogue):
    traveller = employee(first_name="=HYPERLINK(1)", last_name="")
    file_trip(traveller, place="Sealed Valley", start=3)
    body = logged_in(manager()).get("/compliance/?format=csv").content.decode()
    assert ",'=HYPERLINK(1)," in body


# --- constant query counts ------------------------------------------------------------------


def _queries(client, path, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        assert client.get(path).status_code == 200


def test_the_queue_and_who_is_where_run_a_constant_number_of_queries(
    catalogue, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    boss = manager()
    client = logged_in(boss)
    file_trip(employee(), place="Sealed Valley", start=2)
    counts = {}
    for path in ("/approvals/", f"/locations/?date={day(4)}"):
        with CaptureQueriesContext(connection) as one:
            client.get(path)
        counts[path] = len(one)
    for _ in range(5):
        file_trip(employee(), place="Sealed Valley", start=2)
    for path, count in counts.items():
        _queries(client, path, django_assert_max_num_queries, count)


def test_the_trip_page_points_out_another_trip_on_the_same_dates(catalogue):
    user = employee()
    first = file_trip(user, start=10, days=8)
    # A second trip going ahead on these dates is refused at submit: a draft is pointed out.
    second = file_trip(user, start=15, days=4, submit=False)
    later = file_trip(user, start=30, days=2)
    body = logged_in(user).get(f"/trips/{first.pk}/").content.decode()
    assert "You have another trip on some of these dates" in body
    assert f'href="/trips/{second.pk}/"' in body
    assert f'href="/trips/{later.pk}/"' not in body
    services.trip_cancel(trip=second, by=user)
    body = logged_in(user).get(f"/trips/{first.pk}/").content.decode()
    assert "another trip on some of these dates" not in body


def test_without_javascript_the_stop_buttons_add_and_remove_stops_through_the_server(catalogue):
    client = logged_in(employee())
    added = client.post("/trips/new/", form_data(action="add_stop"))
    assert added.status_code == 200
    body = added.content.decode()
    assert 'name="stops-TOTAL_FORMS" value="3"' in body
    assert 'value="Customer visit"' in body  # what was typed is kept
    assert f'name="stops-2-arrival" value="{day(30)}"' in body  # starts where the last ended
    assert not Trip.objects.exists()

    removed = client.post("/trips/new/", form_data(action="remove-0"))
    body = removed.content.decode()
    assert 'name="stops-TOTAL_FORMS" value="1"' in body
    assert 'name="stops-0-place" value="Almaty"' in body
    assert 'name="stops-1-place"' not in body
    assert "data-remove-stop hidden" in body  # the last stop cannot be removed
    assert not Trip.objects.exists()


def test_enter_in_a_field_saves_the_draft_not_a_stop_button(catalogue):
    page = logged_in(employee()).get("/trips/new/").content.decode()
    body = page[page.index('class="trip-form"') :]
    first_submit = body.index('type="submit"')
    assert body[first_submit:].startswith('type="submit" name="action" value="draft"')


def test_the_compliance_page_names_countries_and_says_when_it_ignores_the_period(catalogue):
    file_trip(employee(), place="Sealed Valley", start=3)
    client = logged_in(manager())
    body = client.get("/compliance/").content.decode()
    assert '<td data-label="Countries">Mongolia</td>' in body
    body = client.get("/compliance/?days=abc").content.decode()
    assert "A whole number of days from 0 to 365. Showing 14." in body


# --- what a traveller reads, and what someone reading another's trip reads -------------------


def rejected_trip(traveller):
    trip = file_trip(traveller, place="Sealed Valley", start=12)
    assert trip.status == TripStatus.PENDING_APPROVAL
    return services.trip_reject(trip=trip, by=manager(), reason="Not into a closed area.")


def test_a_rejected_trip_shows_no_checklist_and_no_calendar_link(catalogue):
    user = employee()
    trip = rejected_trip(user)
    body = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    assert "Not into a closed area." in body
    assert "No checklist: the trip was rejected." in body
    assert "Mark done" not in body and "still to do" not in body
    assert "Permit to enter Sealed Valley" not in body
    assert f"/trips/{trip.pk}/calendar" not in body and "Add to calendar" not in body


def test_an_approved_trip_keeps_its_checklist_and_calendar_link(catalogue):
    user = employee()
    trip = file_trip(user)
    body = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    assert "Add to calendar (.ics)" in body and "Register your stay" in body
    assert "No checklist" not in body


def test_a_manager_reading_someone_elses_trip_reads_their_name_not_you(catalogue):
    user = employee(first_name="Ada", last_name="Byron")
    trip = file_trip(user, submit=False)
    own = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    assert "Advice for your destinations" in own or "Advice for" not in own
    assert "assessed when it is submitted" in own
    body = logged_in(manager()).get(f"/trips/{trip.pk}/").content.decode()
    assert "your destinations" not in body and "when you submit" not in body
    assert "Ada Byron" in body


def test_an_incident_on_the_trip_page_says_your_stop_to_the_traveller_and_names_them_to_others(
    catalogue,
):
    from incidents.models import Incident

    user = employee(first_name="Ada", last_name="Byron")
    trip = file_trip(user, start=2)
    Incident.objects.create(
        country_id="MN",
        title="Floods",
        severity="warning",
        starts_on=d(0),
        created_by=manager(),
    )
    own = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    assert "your stop in Old Harbour" in own
    body = logged_in(manager()).get(f"/trips/{trip.pk}/").content.decode()
    assert "Ada Byron’s stop in Old Harbour" in body
    assert "your stop" not in body and "your security team" not in body


def test_the_briefing_digest_is_for_managers_in_a_details_element_not_for_travellers(catalogue):
    from briefings.models import Briefing, BriefingStatus

    user = employee()
    trip = file_trip(user)
    digest = "ab" * 32
    # Filing approved the trip, which asked for its briefing: make it the ready one.
    Briefing.objects.filter(trip=trip, superseded=False).update(
        status=BriefingStatus.READY, sha256=digest, file_name="b.pdf", rendered_at=timezone.now()
    )
    own = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    assert "Download the briefing (PDF)" in own
    assert "SHA-256" not in own and f">{digest}<" not in own
    body = logged_in(manager()).get(f"/trips/{trip.pk}/").content.decode()
    details = body.split('<details class="small muted digest-details">')[1].split("</details>")[0]
    assert "SHA-256" in details and digest in details


def test_briefing_e_mails_carry_no_digest(catalogue):
    from django.template.loader import render_to_string

    from briefings.models import Briefing

    user = employee()
    trip = file_trip(user)
    briefing = Briefing(trip=trip, version=2, reason="approved", sha256="cd" * 32)
    context = {"traveller": user, "trip": trip, "briefing": briefing, "trip_url": "/x/"}
    for name in ("briefing-ready", "briefing-rebrief"):
        for part in ("body.txt", "body.html"):
            text = render_to_string(f"emails/{name}-{part}", context)
            assert "SHA-256" not in text and "cd" * 32 not in text
            assert "version 2" in text


# --- the trip list -----------------------------------------------------------------------


def test_an_employees_trip_list_has_no_traveller_column_and_names_places(catalogue):
    user = employee(first_name="Ada", last_name="Byron")
    file_trip(user, place="Hill Town")
    body = logged_in(user).get("/trips/").content.decode()
    assert 'data-label="Traveller"' not in body and ">Traveller</th>" not in body
    assert '<td data-label="Destinations">Hill Town (Mongolia)</td>' in body


def test_managers_and_arrangers_keep_the_traveller_column(catalogue):
    user = employee(first_name="Ada", last_name="Byron")
    file_trip(user)
    for viewer in (manager(), arranger_for(user)):
        body = logged_in(viewer).get("/trips/").content.decode()
        assert ">Traveller</th>" in body
        assert '<td data-label="Traveller">Ada Byron</td>' in body
        assert "Old Harbour (Mongolia)" in body
