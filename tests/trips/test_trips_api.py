import datetime as dt

import pytest
from django.core import mail
from django.test import Client

from core.models import AuditEntry
from tests.factories import api_as, arranger_for, content_admin, employee, manager
from tests.trips.helpers import day, post_trip, stop, trip_body
from trips.models import Decision, Transition, Trip

pytestmark = pytest.mark.django_db


@pytest.fixture
def traveller(db):
    user = employee()
    user.profile.nationality = "GB"
    user.profile.save()
    return user


# --- filing and validation ---------------------------------------------------------------


def test_an_employee_files_a_draft_and_the_place_is_matched_by_alias(catalogue, traveller):
    body = post_trip(traveller, stop(place="old harbour"))
    assert body["status"] == "draft"
    assert body["traveller"] == traveller.username
    assert body["stops"][0]["place"] == "Old Harbour"
    assert body["stops"][0]["place_matched"] is True


def test_an_unknown_place_is_kept_as_free_text(catalogue, traveller):
    body = post_trip(traveller, stop(place="Nowhere Junction"))
    assert body["stops"][0] == {
        **body["stops"][0],
        "place": "Nowhere Junction",
        "place_matched": False,
    }


@pytest.mark.parametrize(
    ("stops", "field", "message"),
    [
        ([stop(arrival=10, departure=8)], "departure", "Departure is before arrival."),
        ([stop(country="XX")], "country", "Unknown country code 'XX'."),
        ([stop(activities=["skydiving"])], "activities", "Unknown activity code 'skydiving'."),
        ([stop(arrival=800, departure=801)], "arrival", "more than 2 years ahead"),
    ],
    ids=["departure-before-arrival", "unknown-country", "unknown-activity", "too-far-ahead"],
)
def test_bad_stops_get_a_field_error_and_nothing_is_saved(
    catalogue, traveller, stops, field, message
):
    response = api_as(traveller).post("/api/trips/", trip_body(*stops), format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()["stops"]["0"][field])
    assert not Trip.objects.exists()


def test_overlapping_stops_are_refused_but_a_shared_travel_day_is_fine(catalogue, traveller):
    overlapping = api_as(traveller).post(
        "/api/trips/",
        trip_body(
            stop(arrival=10, departure=14), stop(place="Hill Town", arrival=12, departure=16)
        ),
        format="json",
    )
    assert overlapping.status_code == 400
    assert "Overlaps" in overlapping.json()["stops"]["1"]["arrival"][0]
    post_trip(
        traveller, stop(arrival=10, departure=14), stop(place="Hill Town", arrival=14, departure=16)
    )
    assert Trip.objects.count() == 1


def test_more_than_fifty_stops_are_refused(catalogue, traveller):
    stops = [stop(arrival=i, departure=i) for i in range(1, 53)]
    response = api_as(traveller).post("/api/trips/", trip_body(*stops), format="json")
    assert response.status_code == 400
    assert "at most 50 stops" in response.json()["stops"][0]


def test_malformed_dates_are_a_field_error_not_a_500(catalogue, traveller):
    response = api_as(traveller).post(
        "/api/trips/",
        {
            "purpose": "x",
            "stops": [{"country": "MN", "arrival": "tomorrow", "departure": "2027-01-01"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "arrival" in response.json()["stops"]["0"]


def test_an_arranger_files_for_their_traveller_but_not_for_others(catalogue, traveller):
    arranger = arranger_for(traveller)
    body = post_trip(arranger, traveller=traveller.username)
    assert body["traveller"] == traveller.username
    stranger = employee()
    refused = api_as(arranger).post(
        "/api/trips/", {**trip_body(stop()), "traveller": stranger.username}, format="json"
    )
    assert refused.status_code == 400
    assert "traveller" in refused.json()
    # An unknown username reads the same: the API does not tell which usernames exist.
    unknown = api_as(arranger).post(
        "/api/trips/", {**trip_body(stop()), "traveller": "no-such-user"}, format="json"
    )
    assert unknown.status_code == 400
    assert unknown.json() == refused.json()


# --- submitting and the assessment -------------------------------------------------------


def test_a_short_low_risk_trip_is_approved_automatically_with_its_checklist(catalogue, traveller):
    trip = post_trip(traveller, stop(arrival=10, departure=12, activities=["driving"]))
    submitted = api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "approved"
    assessment = api_as(traveller).get(f"/api/trips/{trip['id']}/assessment/").json()
    assert assessment["risk_level"] == 2
    assert assessment["requires_approval"] is False
    assert [r["kind"] for r in assessment["requirements"]] == ["activity"]
    assert assessment["requirements"][0]["due_date"] == day(10)
    assert assessment["content_versions"] == {"MN": 1}
    transitions = list(
        Transition.objects.filter(trip_id=trip["id"]).values_list("to_status", flat=True)
    )
    assert transitions == ["submitted", "approved"]


def test_a_long_stay_requires_registration_due_on_the_fifth_day(catalogue, traveller):
    trip = post_trip(traveller, stop(arrival=10, departure=15))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    requirements = (
        api_as(traveller).get(f"/api/trips/{trip['id']}/assessment/").json()["requirements"]
    )
    registration = next(r for r in requirements if r["kind"] == "registration")
    assert registration["due_date"] == day(14)
    assert registration["rule"] == "mn-registration"
    assert registration["source"]["publisher"] == "Test Ministry"


def test_nightlife_in_old_harbour_raises_the_level_and_needs_approval(catalogue, traveller):
    trip = post_trip(traveller, stop(activities=["nightlife"]))
    body = api_as(traveller).post(f"/api/trips/{trip['id']}/submit/").json()
    assert body["status"] == "pending_approval"
    assert body["risk_level"] == 3
    assessment = api_as(traveller).get(f"/api/trips/{trip['id']}/assessment/").json()
    assert any("Late nights in Old Harbour" in line for line in assessment["explanation"])
    assert {s["heading"] for s in assessment["sections"]} == {
        "Street crime",
        "Late nights in Old Harbour",
    }


def test_managers_are_emailed_when_a_trip_awaits_a_decision(
    catalogue, traveller, django_capture_on_commit_callbacks
):
    boss = manager()
    trip = post_trip(traveller, stop(place="Sealed Valley"))
    with django_capture_on_commit_callbacks(execute=True):
        api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    assert [m.to for m in mail.outbox if "awaiting your decision" in m.subject] == [[boss.email]]


def test_e_mail_subjects_are_plain_text_not_html_escaped(
    catalogue, traveller, django_capture_on_commit_callbacks
):
    manager()
    trip = post_trip(traveller, stop(place="Sealed Valley"), purpose='R&D "pilot" visit')
    with django_capture_on_commit_callbacks(execute=True):
        api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    with django_capture_on_commit_callbacks(execute=True):
        api_as(manager()).post(f"/api/trips/{trip['id']}/approve/", {}, format="json")
    decision = next(m for m in mail.outbox if m.to == [traveller.email])
    assert decision.subject == 'Your trip "R&D "pilot" visit" was approved'


def test_a_country_without_an_advisory_has_unknown_risk_and_needs_approval(catalogue, traveller):
    trip = post_trip(traveller, stop(country="PE", place="Lima"))
    body = api_as(traveller).post(f"/api/trips/{trip['id']}/submit/").json()
    assert body["status"] == "pending_approval"
    assert body["risk_level"] is None


def test_an_unknown_risk_says_what_is_known_of_it(catalogue, traveller):
    trip = post_trip(
        traveller,
        stop(place="Sealed Valley", arrival=10, departure=12),
        stop(country="PE", place="Lima", arrival=13, departure=15),
    )
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    assessment = api_as(traveller).get(f"/api/trips/{trip['id']}/assessment/").json()
    assert (assessment["risk_level"], assessment["known_level"]) == (None, 4)
    client = Client()
    client.force_login(traveller)
    page = client.get(f"/trips/{trip['id']}/").content.decode()
    assert "Risk unknown · at least 4" in page


# --- decisions ---------------------------------------------------------------------------


@pytest.fixture
def pending_trip(catalogue, traveller):
    trip = post_trip(traveller, stop(place="Sealed Valley"))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    return Trip.objects.get(pk=trip["id"])


def test_a_manager_approves_from_the_queue_and_it_is_audited(
    pending_trip, django_capture_on_commit_callbacks
):
    boss = manager()
    queue = api_as(boss).get("/api/approvals/").json()
    assert [t["id"] for t in queue["results"]] == [pending_trip.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(boss).post(
            f"/api/trips/{pending_trip.pk}/approve/", {"comment": "Permit seen"}, format="json"
        )
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert AuditEntry.objects.filter(
        action="trip.approved", actor=boss, object_id=str(pending_trip.pk)
    ).exists()
    assert any(
        "approved" in m.subject and m.to == [pending_trip.traveller.email] for m in mail.outbox
    )


def test_approving_a_trip_that_is_not_awaiting_a_decision_is_a_conflict(pending_trip):
    boss = manager()
    api_as(boss).post(f"/api/trips/{pending_trip.pk}/approve/", {}, format="json")
    again = api_as(manager()).post(f"/api/trips/{pending_trip.pk}/approve/", {}, format="json")
    assert again.status_code == 409
    assert "not awaiting a decision" in again.json()["detail"]
    assert Decision.objects.filter(trip=pending_trip).count() == 1


def test_a_manager_cannot_approve_their_own_trip(catalogue):
    boss = manager()
    trip = post_trip(boss, stop(place="Sealed Valley"))
    api_as(boss).post(f"/api/trips/{trip['id']}/submit/")
    response = api_as(boss).post(f"/api/trips/{trip['id']}/approve/", {}, format="json")
    assert response.status_code == 403
    assert Trip.objects.get(pk=trip["id"]).status == "pending_approval"


def test_a_rejection_needs_a_reason(pending_trip):
    boss = manager()
    missing = api_as(boss).post(f"/api/trips/{pending_trip.pk}/reject/", {}, format="json")
    assert missing.status_code == 400
    assert "reason" in missing.json()
    rejected = api_as(boss).post(
        f"/api/trips/{pending_trip.pk}/reject/", {"reason": "No permit"}, format="json"
    )
    assert rejected.json()["status"] == "rejected"
    assert Transition.objects.filter(
        trip=pending_trip, to_status="rejected", comment="No permit"
    ).exists()


def test_level_five_needs_two_different_managers(catalogue, traveller):
    from trips.models import ApprovalPolicy

    policy = ApprovalPolicy.current()
    policy.dual_approval_level = 4
    policy.save()
    trip = post_trip(traveller, stop(place="Sealed Valley"))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    first, second = manager(), manager()
    assert (
        api_as(first).post(f"/api/trips/{trip['id']}/approve/", {}, format="json").json()["status"]
        == "pending_approval"
    )
    assert (
        api_as(first).post(f"/api/trips/{trip['id']}/approve/", {}, format="json").status_code
        == 409
    )
    assert (
        api_as(second).post(f"/api/trips/{trip['id']}/approve/", {}, format="json").json()["status"]
        == "approved"
    )


@pytest.fixture
def dual_approval_trip(catalogue, traveller):
    """A trip at the dual-approval level (Sealed Valley is level 4; the policy asks two
    managers from level 4 on), submitted and awaiting its first approval."""
    from trips.models import ApprovalPolicy

    policy = ApprovalPolicy.current()
    policy.dual_approval_level = 4
    policy.save()
    trip = post_trip(traveller, stop(place="Sealed Valley"))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    return Trip.objects.get(pk=trip["id"])


def test_after_a_first_approval_only_the_other_managers_hear_that_a_second_is_needed(
    dual_approval_trip, django_capture_on_commit_callbacks
):
    first = manager(first_name="Morgan", last_name="First")
    second = manager()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        api_as(first).post(
            f"/api/trips/{dual_approval_trip.pk}/approve/",
            {"comment": "Escort booked"},
            format="json",
        )
    (notice,) = mail.outbox
    assert notice.to == [second.email]
    assert notice.subject.startswith("Second approval needed:")
    assert "Morgan First gave the first of the two approvals" in notice.body
    assert '("Escort booked")' in notice.body


def test_a_manager_who_gave_the_first_of_two_approvals_may_still_reject(dual_approval_trip):
    boss = manager()
    url = f"/api/trips/{dual_approval_trip.pk}"
    assert api_as(boss).post(f"{url}/approve/", {}, format="json").status_code == 200
    response = api_as(boss).post(f"{url}/reject/", {"reason": "Escort fell through"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    # One say per manager per round: the rejection replaces the approval, it is not added.
    decisions = list(Decision.objects.filter(trip=dual_approval_trip))
    assert [(d.manager, d.outcome, d.comment) for d in decisions] == [
        (boss, "reject", "Escort fell through")
    ]
    assert Transition.objects.filter(
        trip=dual_approval_trip, to_status="rejected", comment="Escort fell through"
    ).exists()
    # The withdrawn approval stays on the audit trail.
    assert list(
        AuditEntry.objects.filter(object_id=str(dual_approval_trip.pk), actor=boss)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["trip.first_approval", "trip.approval_withdrawn", "trip.rejected"]


def test_after_a_rejection_the_second_manager_cannot_approve(dual_approval_trip):
    first, second = manager(), manager()
    url = f"/api/trips/{dual_approval_trip.pk}"
    api_as(first).post(f"{url}/approve/", {}, format="json")
    api_as(first).post(f"{url}/reject/", {"reason": "Changed my mind"}, format="json")
    late = api_as(second).post(f"{url}/approve/", {}, format="json")
    assert late.status_code == 409
    assert "not awaiting a decision" in late.json()["detail"]
    dual_approval_trip.refresh_from_db()
    assert dual_approval_trip.status == "rejected"


def test_an_approved_trip_amended_goes_back_through_assessment(catalogue, traveller):
    from trips import services

    trip = post_trip(traveller, stop())
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    instance = Trip.objects.get(pk=trip["id"])
    assert instance.status == "approved"
    services.trip_update(
        trip=instance,
        by=traveller,
        data=services.TripInput(
            purpose="Site visit",
            stops=[
                services.StopInput(
                    country="MN",
                    place="Sealed Valley",
                    arrival=TODAY_PLUS(10),
                    departure=TODAY_PLUS(12),
                )
            ],
        ),
    )
    instance.refresh_from_db()
    assert instance.status == "pending_approval"
    assert instance.assessments.count() == 2


def TODAY_PLUS(days):
    return dt.date.fromisoformat(day(days))


def test_cancelling_records_the_transition(catalogue, traveller):
    trip = post_trip(traveller)
    response = api_as(traveller).post(f"/api/trips/{trip['id']}/cancel/")
    assert response.json()["status"] == "cancelled"
    assert api_as(traveller).post(f"/api/trips/{trip['id']}/cancel/").status_code == 409


def test_a_cancellation_reason_is_checked_like_any_other_field(catalogue, traveller):
    trip = post_trip(traveller)
    url = f"/api/trips/{trip['id']}/cancel/"
    bad = api_as(traveller).post(url, {"reason": "Plans\x00changed"}, format="json")
    assert bad.status_code == 400
    assert bad.json() == {"reason": ["Null characters are not allowed."]}
    assert api_as(traveller).post(url, {"reason": ["a"]}, format="json").status_code == 400
    assert Trip.objects.get(pk=trip["id"]).status == "draft"
    good = api_as(traveller).post(url, {"reason": "Plans changed"}, format="json")
    assert good.json()["status"] == "cancelled"
    assert Transition.objects.filter(trip_id=trip["id"], comment="Plans changed").exists()


def test_patch_edits_a_draft_only(catalogue, traveller):
    trip = post_trip(traveller)
    edited = api_as(traveller).patch(
        f"/api/trips/{trip['id']}/", {"purpose": "Audit"}, format="json"
    )
    assert edited.json()["purpose"] == "Audit"
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    assert (
        api_as(traveller)
        .patch(f"/api/trips/{trip['id']}/", {"purpose": "Later"}, format="json")
        .status_code
        == 409
    )
    assert api_as(traveller).delete(f"/api/trips/{trip['id']}/").status_code == 409


def test_patch_refuses_to_hand_a_trip_to_another_traveller(catalogue, traveller):
    trip = post_trip(traveller)
    other = employee()
    moved = api_as(traveller).patch(
        f"/api/trips/{trip['id']}/", {"traveller": other.username}, format="json"
    )
    assert moved.status_code == 400
    assert "traveller" in moved.json()
    assert api_as(traveller).get(f"/api/trips/{trip['id']}/").json()["traveller"] == (
        traveller.username
    )
    same = api_as(traveller).patch(
        f"/api/trips/{trip['id']}/", {"traveller": traveller.username}, format="json"
    )
    assert same.status_code == 200


@pytest.mark.parametrize(
    "body", [{"purpose": "Later"}, {"purpose": ""}, {"stops": []}, {"stops": "x"}, []]
)
def test_patching_a_trip_that_is_no_longer_a_draft_is_a_conflict_whatever_the_body(
    catalogue, traveller, body
):
    trip = post_trip(traveller)
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    response = api_as(traveller).patch(f"/api/trips/{trip['id']}/", body, format="json")
    assert response.status_code == 409
    assert response.json() == {"detail": "Only a draft can be changed through PATCH."}
    assert Trip.objects.get(pk=trip["id"]).purpose == "Site visit"


def test_the_draft_check_is_repeated_under_the_lock(catalogue, traveller):
    """A trip submitted between the view's check and the update is refused, not amended."""
    from trips import services

    trip = post_trip(traveller)
    stale = Trip.objects.get(pk=trip["id"])
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    data = services.TripInput(
        purpose="Later",
        stops=[services.StopInput(country="MN", arrival=TODAY_PLUS(10), departure=TODAY_PLUS(12))],
    )
    with pytest.raises(services.TransitionNotAllowed):
        services.trip_update(trip=stale, by=traveller, data=data, drafts_only=True)
    fresh = Trip.objects.get(pk=trip["id"])
    assert (fresh.purpose, fresh.assessments.count()) == ("Site visit", 1)


@pytest.mark.parametrize("body", ["[]", '"x"', "5", "null", '[{"purpose": "Audit"}]'])
@pytest.mark.parametrize(
    ("method", "action"),
    [("patch", ""), ("post", "cancel/")],
)
def test_a_body_that_is_not_a_json_object_is_a_field_error_not_a_500(
    catalogue, traveller, method, action, body
):
    trip = post_trip(traveller)
    response = getattr(api_as(traveller), method)(
        f"/api/trips/{trip['id']}/{action}", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Expected a JSON object."]}
    assert Trip.objects.get(pk=trip["id"]).status == "draft"
    assert Trip.objects.get(pk=trip["id"]).purpose == "Site visit"


@pytest.mark.parametrize(
    "path", ["/api/trips/", "/api/trips/{id}/approve/", "/api/trips/{id}/reject/"]
)
def test_creating_and_deciding_refuse_a_json_list_the_same_way(pending_trip, path):
    response = api_as(manager()).post(
        path.format(id=pending_trip.pk), "[]", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Expected a JSON object."]}
    pending_trip.refresh_from_db()
    assert pending_trip.status == "pending_approval"


@pytest.mark.parametrize("method", ["post", "patch"])
def test_malformed_json_is_a_400_in_the_field_error_shape(catalogue, traveller, method):
    trip = post_trip(traveller)
    path = "/api/trips/" if method == "post" else f"/api/trips/{trip['id']}/"
    response = getattr(api_as(traveller), method)(
        path, '{"purpose": "Audit",', content_type="application/json"
    )
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["non_field_errors"]
    assert body["non_field_errors"][0].startswith("JSON parse error")
    assert Trip.objects.count() == 1
    assert Trip.objects.get().purpose == "Site visit"


# --- ownership ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "list_sees", "detail", "assessment", "submit"),
    [
        ("traveller", True, 200, 200, 200),
        ("other_employee", False, 404, 404, 404),
        ("arranger", True, 200, 200, 200),
        ("manager", True, 200, 200, 403),
        ("content_admin", False, 404, 404, 404),
    ],
)
def test_who_sees_and_acts_on_a_trip(
    catalogue, traveller, who, list_sees, detail, assessment, submit
):
    users = {
        "traveller": traveller,
        "other_employee": employee(),
        "arranger": arranger_for(traveller),
        "manager": manager(),
        "content_admin": content_admin(),
    }
    trip = post_trip(traveller)
    client = api_as(users[who])
    ids = [t["id"] for t in client.get("/api/trips/").json()["results"]]
    assert (trip["id"] in ids) is list_sees
    assert client.get(f"/api/trips/{trip['id']}/").status_code == detail
    assert client.post(f"/api/trips/{trip['id']}/submit/").status_code == submit
    if submit == 200:
        assert client.get(f"/api/trips/{trip['id']}/assessment/").status_code == assessment


def test_anonymous_requests_are_refused(api, catalogue, traveller):
    trip = post_trip(traveller)
    for path in [
        "/api/trips/",
        f"/api/trips/{trip['id']}/",
        "/api/approvals/",
        "/api/me/",
        "/api/locations/",
    ]:
        response = api.get(path)
        assert response.status_code == 401, path
        assert response["WWW-Authenticate"] == "Token", path
    for path in [
        "/api/trips/",
        f"/api/trips/{trip['id']}/submit/",
        f"/api/trips/{trip['id']}/approve/",
        f"/api/trips/{trip['id']}/reject/",
    ]:
        assert api.post(path, {}, format="json").status_code == 401, path
    assert api.patch("/api/me/", {}, format="json").status_code == 401
    assert Trip.objects.get(pk=trip["id"]).status == "draft"


@pytest.mark.parametrize("path", ["/api/approvals/", "/api/locations/", "/api/compliance/"])
def test_manager_lists_are_forbidden_to_employees(catalogue, traveller, path):
    assert api_as(traveller).get(path).status_code == 403
    assert api_as(manager()).get(path).status_code == 200


# --- who is where and compliance ---------------------------------------------------------


def test_who_is_where_lists_travellers_on_a_date_with_their_phone(catalogue, traveller):
    traveller.profile.phone = "+44 7700 900123"
    traveller.profile.save()
    trip = post_trip(traveller, stop(arrival=10, departure=12))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    boss = manager()
    present = api_as(boss).get(f"/api/locations/?date={day(11)}&country=mn").json()["results"]
    assert [(r["traveller"], r["place"], r["phone"]) for r in present] == [
        (traveller.username, "Old Harbour", "+44 7700 900123")
    ]
    assert api_as(boss).get(f"/api/locations/?date={day(13)}").json()["results"] == []
    assert api_as(boss).get("/api/locations/?date=someday").status_code == 400
    compact = api_as(boss).get(f"/api/locations/?date={day(11).replace('-', '')}")
    assert compact.status_code == 400
    assert compact.json() == {"date": ["Use a date as YYYY-MM-DD."]}


def test_compliance_lists_departures_missing_approval_or_acknowledgement(pending_trip, traveller):
    approved = post_trip(traveller, stop(arrival=5, departure=6, place="Hill Town"))
    api_as(traveller).post(f"/api/trips/{approved['id']}/submit/")
    rows = api_as(manager()).get("/api/compliance/?days=14").json()["results"]
    missing = {row["trip"]: row["missing"] for row in rows}
    assert missing == {pending_trip.pk: ["approval"], approved["id"]: ["briefing acknowledgement"]}
    assert api_as(manager()).get("/api/compliance/?days=abc").status_code == 400


# --- me ----------------------------------------------------------------------------------


def test_me_shows_roles_and_updates_the_profile(traveller):
    client = api_as(traveller)
    assert client.get("/api/me/").json()["roles"] == ["Employee"]
    updated = client.patch(
        "/api/me/", {"profile": {"nationality": "us", "passport_type": "service"}}, format="json"
    )
    assert updated.status_code == 200
    assert updated.json()["profile"]["nationality"] == "US"
    bad = client.patch("/api/me/", {"profile": {"nationality": "ZZ"}}, format="json")
    assert bad.status_code == 400
    assert "nationality" in bad.json()


@pytest.mark.parametrize("body", ["[]", '"x"', "5", "null"])
def test_me_refuses_a_body_that_is_not_a_json_object(traveller, body):
    response = api_as(traveller).patch("/api/me/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Expected a JSON object."]}


@pytest.mark.parametrize("profile", [[], "x", 5])
def test_me_refuses_a_profile_that_is_not_an_object(traveller, profile):
    response = api_as(traveller).patch("/api/me/", {"profile": profile}, format="json")
    assert response.status_code == 400
    assert "profile" in response.json()
    traveller.profile.refresh_from_db()
    assert traveller.profile.nationality == "GB"


def test_me_refuses_malformed_json(traveller):
    response = api_as(traveller).patch("/api/me/", "{", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["non_field_errors"][0].startswith("JSON parse error")


def test_a_token_authenticates_api_calls(api, traveller):
    traveller.set_password("correct horse 42")
    traveller.save()
    token = api.post(
        "/api/auth/token/",
        {"username": traveller.username, "password": "correct horse 42"},
        format="json",
    )
    assert token.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert api.get("/api/me/").json()["username"] == traveller.username


def test_the_openapi_schema_and_docs_are_served(traveller):
    client = api_as(traveller)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


# --- query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 30])
def test_the_trip_list_runs_a_constant_number_of_queries(
    catalogue, traveller, count, django_assert_max_num_queries
):
    for _ in range(count):
        post_trip(traveller, stop(), stop(place="Hill Town", arrival=12, departure=14))
    client = api_as(traveller)
    with django_assert_max_num_queries(6):
        response = client.get("/api/trips/")
    assert response.json()["count"] == count


def test_a_purpose_with_a_line_break_is_a_field_error(catalogue, traveller):
    response = api_as(traveller).post(
        "/api/trips/",
        trip_body(stop(), purpose="Line one\nBcc: someone@example.org"),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "purpose": ["Write the purpose on one line, without control characters."]
    }
    assert not Trip.objects.exists()


def test_an_e_mail_subject_is_always_one_line():
    from django.core import mail

    from core.mail import send_templated

    trip = Trip(pk=1, purpose="Line one\nBcc: someone@example.org", status="approved")
    send_templated("decision", {"trip": trip, "decision": None}, ["traveller@example.org"])
    assert mail.outbox[-1].subject == 'Your trip "Line one Bcc: someone@example.org" was approved'


def test_deleting_a_draft_is_in_the_audit_trail(catalogue, traveller):
    trip = post_trip(traveller, purpose="Never mind")
    assert api_as(traveller).delete(f"/api/trips/{trip['id']}/").status_code == 204
    assert not Trip.objects.filter(pk=trip["id"]).exists()
    entry = AuditEntry.objects.get(action="trip.deleted")
    assert entry.actor == traveller
    assert entry.object_id == str(trip["id"])
    assert entry.details["purpose"] == "Never mind"
