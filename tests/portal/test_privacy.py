"""Personal data that leaves: retention of trips, "download my data", erasing a leaver."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone

from briefings.models import Acknowledgement, Briefing, BriefingStatus
from core.audit import audit_record, audit_redact
from core.errors import NotAllowed
from core.models import AuditEntry
from portal import privacy
from portal.tasks import erase_expired_personal_data
from tests.factories import StopFactory, TripFactory, api_as, employee, logged_in, manager
from trips.models import Assessment, Decision, RequirementTick, Trip, TripStatus

TODAY = timezone.localdate()


def ended_trip(traveller, *, days_ago: int, status=TripStatus.COMPLETED) -> Trip:
    """A trip with one stop that ended `days_ago` days ago, an assessment, a decision, a
    ready briefing with its PDF on disk, its acknowledgement and audit entries."""
    departure = TODAY - dt.timedelta(days=days_ago)
    trip = TripFactory(
        traveller=traveller,
        purpose="Visiting my mother in hospital",
        status=status,
        passport_nationality="GB",
        passport_type="diplomatic",
        visa_category="official",
        first_arrival=departure - dt.timedelta(days=3),
        last_departure=departure,
        risk_level=3,
    )
    StopFactory(
        trip=trip,
        place_text="Hospital street 5, Almaty",
        activities=["driving"],
        arrival=departure - dt.timedelta(days=3),
        departure=departure,
    )
    Assessment.objects.create(
        trip=trip,
        risk_level=3,
        requires_approval=True,
        requirements=[{"kind": "registration", "place": "Hospital street 5, Almaty"}],
        explanation=["Hospital street 5 is not a place we know"],
    )
    boss = manager(username=f"boss-{trip.pk}")
    Decision.objects.create(trip=trip, approval_round=1, manager=boss, outcome="approve")
    audit_record(actor=boss, action="trip.approved", obj=trip, details={"comment": "fine"})
    name = f"briefings/trip-{trip.pk}/briefing.pdf"
    saved = storages["private"].save(name, ContentFile(b"%PDF-1.7 personal"))
    briefing = Briefing.objects.create(
        trip=trip,
        version=1,
        reason="approved",
        status=BriefingStatus.READY,
        sha256="a" * 64,
        file_name=saved,
        rendered_at=timezone.now(),
        queued_at=timezone.now(),
        changes={"sentences": ["Your stay in Hospital street moved"]},
    )
    Acknowledgement.objects.create(
        briefing=briefing, user=traveller, ip="192.0.2.7", sha256="a" * 64
    )
    return trip


# --- retention --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_trip_past_the_retention_period_loses_its_personal_details_but_not_its_decisions(
    settings, django_capture_on_commit_callbacks
):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    traveller = employee()
    trip = ended_trip(traveller, days_ago=366)
    briefing = trip.briefings.get()
    pdf = briefing.file_name
    tick = RequirementTick.objects.create(
        trip=trip, requirement_id="kz-reg", done_at=timezone.now(), note="At the clinic's desk"
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert privacy.trips_erase_expired() == [trip.pk]

    trip.refresh_from_db()
    assert trip.purpose == privacy.ERASED_PURPOSE
    assert (trip.passport_nationality, trip.passport_type, trip.visa_category) == ("", "", "")
    stop = trip.stops.get()
    assert (stop.place_text, stop.place, stop.activities) == ("", None, [])
    # Where and when stay (stay limits count days per country); so do status and decision.
    assert stop.country_id == "KZ"
    assert stop.departure == TODAY - dt.timedelta(days=366)
    assert (trip.status, trip.risk_level) == (TripStatus.COMPLETED, 3)
    assert trip.decisions.get().outcome == "approve"
    assert not trip.assessments.exists()
    tick.refresh_from_db()
    assert (tick.note, tick.done_at is not None) == ("", True)
    briefing.refresh_from_db()
    assert (briefing.status, briefing.file_name, briefing.changes) == ("erased", "", {})
    assert briefing.sha256 == "a" * 64
    assert not storages["private"].exists(pdf)
    assert briefing.acknowledgement.ip is None
    assert briefing.acknowledgement.user == traveller
    # The audit trail keeps who decided what, without the purpose.
    approved = AuditEntry.objects.get(action="trip.approved", object_id=str(trip.pk))
    assert approved.actor.username.startswith("boss-")
    assert "hospital" not in approved.object_repr.lower()
    assert AuditEntry.objects.filter(action="privacy.trip_erased", object_id=str(trip.pk)).exists()


@pytest.mark.django_db
def test_a_trip_within_the_retention_period_is_kept(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    trip = ended_trip(employee(), days_ago=365)

    assert privacy.trips_erase_expired() == []

    trip.refresh_from_db()
    assert trip.purpose == "Visiting my mother in hospital"
    assert trip.briefings.get().status == BriefingStatus.READY


@pytest.mark.django_db
def test_the_retention_period_comes_from_the_settings(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    old = ended_trip(employee(), days_ago=31)
    recent = ended_trip(employee(), days_ago=29)

    assert privacy.trips_erase_expired() == [old.pk]
    recent.refresh_from_db()
    assert recent.purpose == "Visiting my mother in hospital"


@pytest.mark.django_db
def test_cancelled_trips_and_drafts_without_stops_are_erased_too(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    cancelled = ended_trip(employee(), days_ago=40, status=TripStatus.CANCELLED)
    empty = TripFactory(purpose="My secret draft")
    Trip.objects.filter(pk=empty.pk).update(created_at=timezone.now() - dt.timedelta(days=40))

    assert sorted(privacy.trips_erase_expired()) == sorted([cancelled.pk, empty.pk])


@pytest.mark.django_db
def test_a_deleted_drafts_purpose_leaves_the_audit_trail_after_the_retention_period(settings):
    import time_machine

    from trips.services import trip_delete

    settings.PERSONAL_DATA_RETENTION_DAYS = 30
    traveller = employee()
    old, recent = (TripFactory(traveller=traveller, purpose="Clinic visit") for _ in range(2))
    with time_machine.travel(timezone.now() - dt.timedelta(days=31)):
        trip_delete(trip=old, by=traveller)
    trip_delete(trip=recent, by=traveller)

    privacy.trips_erase_expired()

    entries = {e.object_id: e for e in AuditEntry.objects.filter(action="trip.deleted")}
    assert "purpose" not in entries[str(old.pk)].details
    assert "Clinic" not in entries[str(old.pk)].object_repr
    assert entries[str(old.pk)].actor == traveller
    assert entries[str(recent.pk)].details["purpose"] == "Clinic visit"


@pytest.mark.django_db
def test_the_daily_task_erases_each_trip_once(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    trip = ended_trip(employee(), days_ago=400)

    assert erase_expired_personal_data.delay().get() == [trip.pk]
    assert erase_expired_personal_data.delay().get() == []
    assert AuditEntry.objects.filter(action="privacy.trip_erased").count() == 1


def test_the_daily_task_is_scheduled(settings):
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "portal.tasks.erase_expired_personal_data" in entries


@pytest.mark.django_db
def test_the_trip_page_says_the_briefing_pdf_was_erased(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    traveller = employee()
    trip = ended_trip(traveller, days_ago=400)
    privacy.trips_erase_expired()

    page = logged_in(traveller).get(f"/trips/{trip.pk}/")

    assert page.status_code == 200
    assert "The PDF was erased" in page.content.decode()
    briefing = trip.briefings.get()
    assert logged_in(traveller).get(f"/briefings/{briefing.pk}/pdf/").status_code == 404


# --- download my data ---------------------------------------------------------------------


@pytest.mark.django_db
def test_download_my_data_is_a_json_attachment_of_everything_about_me():
    traveller = employee(first_name="Dana")
    traveller.profile.phone = "+44 20 7946 0000"
    traveller.profile.date_of_birth = dt.date(1990, 5, 4)
    traveller.profile.save()
    trip = ended_trip(traveller, days_ago=10)
    ended_trip(employee(), days_ago=10)  # someone else's

    response = logged_in(traveller).get("/profile/data/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["first_name"] == "Dana"
    assert data["profile"]["phone"] == "+44 20 7946 0000"
    assert data["profile"]["date_of_birth"] == "1990-05-04"
    assert [t["id"] for t in data["trips"]] == [trip.pk]
    mine = data["trips"][0]
    assert mine["purpose"] == "Visiting my mother in hospital"
    assert mine["stops"][0]["place"] == "Hospital street 5, Almaty"
    assert mine["assessments"][0]["risk_level"] == 3
    assert mine["decisions"][0]["outcome"] == "approve"
    assert mine["briefings"][0]["acknowledgement"]["ip"] == "192.0.2.7"
    actions = [entry["action"] for entry in data["audit"]]
    assert "trip.approved" in actions


@pytest.mark.django_db
def test_my_data_through_the_api_is_the_same_document_and_the_download_is_audited():
    traveller = employee()
    trip = ended_trip(traveller, days_ago=10)

    response = api_as(traveller).get("/api/me/data/")

    assert response.status_code == 200
    assert [t["id"] for t in response.json()["trips"]] == [trip.pk]
    assert AuditEntry.objects.filter(action="privacy.data_exported", actor=traveller).exists()


@pytest.mark.django_db
def test_my_data_needs_a_sign_in(api, client):
    assert api.get("/api/me/data/").status_code == 401
    page = client.get("/profile/data/")
    assert page.status_code == 302
    assert "/accounts/login/" in page["Location"]


@pytest.mark.django_db
def test_the_profile_page_offers_the_download_and_says_how_long_trips_are_kept(settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 200
    page = logged_in(employee()).get("/profile/").content.decode()
    assert 'href="/profile/data/"' in page
    assert "Download my data" in page
    assert "erased 200 days after it ends" in page


# --- a leaving employee ------------------------------------------------------------------


@pytest.fixture
def leaver(db):
    user = employee(username="dana", first_name="Dana", last_name="Leaver", email="dana@ex.com")
    profile = user.profile
    profile.nationality = "GB"
    profile.date_of_birth = dt.date(1990, 5, 4)
    profile.phone = "+44 20 7946 0000"
    profile.emergency_contact_name = "Sam"
    profile.save()
    audit_record(actor=user, action="auth.login", obj=user, ip="198.51.100.4")
    audit_record(actor=None, action="auth.login_failed", details={"username": "dana"})
    return user


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1")


def test_the_admin_action_asks_first_then_erases_a_leaving_employee(
    leaver, superuser, django_capture_on_commit_callbacks
):
    past = ended_trip(leaver, days_ago=10)
    pdf = past.briefings.get().file_name
    upcoming = TripFactory(traveller=leaver, purpose="Conference", status=TripStatus.APPROVED)
    StopFactory(trip=upcoming, arrival=TODAY + dt.timedelta(days=20))
    Trip.objects.filter(pk=upcoming.pk).update(first_arrival=TODAY + dt.timedelta(days=20))
    admin = logged_in(superuser)
    form = {"action": "erase_leaving_employees", "_selected_action": [leaver.pk]}

    asked = admin.post("/admin/auth/user/", form)
    assert asked.status_code == 200
    assert "cannot be undone" in asked.content.decode()
    assert User.objects.get(pk=leaver.pk).is_active

    with django_capture_on_commit_callbacks(execute=True):
        done = admin.post("/admin/auth/user/", {**form, "confirmed": "yes"})
    assert done.status_code == 302

    gone = User.objects.get(pk=leaver.pk)
    assert gone.username == f"erased-user-{leaver.pk}"
    assert (gone.first_name, gone.last_name, gone.email, gone.is_active) == ("", "", "", False)
    assert not gone.has_usable_password()
    assert not gone.groups.exists()
    profile = gone.profile
    assert (profile.nationality, profile.phone, profile.date_of_birth) == ("", "", None)
    assert profile.emergency_contact_name == ""
    for trip in (past, upcoming):
        trip.refresh_from_db()
        assert trip.purpose == privacy.ERASED_PURPOSE
    assert upcoming.status == TripStatus.CANCELLED
    assert not storages["private"].exists(pdf)
    # Their entries are pseudonymised: the same actor row, renamed; no name, no address.
    login = AuditEntry.objects.get(action="auth.login", actor_id=leaver.pk)
    assert (login.actor_id, login.object_repr, login.ip) == (leaver.pk, gone.username, None)
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.details == {"username": gone.username}
    erased = AuditEntry.objects.get(action="privacy.user_erased")
    assert erased.actor == superuser
    assert erased.object_id == str(leaver.pk)


def test_a_leaver_can_no_longer_use_the_portal_nor_its_api(leaver, superuser, api):
    session = logged_in(leaver)
    issued = api.post(
        "/api/auth/token/", {"username": "dana", "password": "pw-for-tests-1"}, format="json"
    )
    token = issued.json()["token"]
    assert api_as_token(token).get("/api/me/").status_code == 200

    privacy.user_erase(user=leaver, by=superuser)

    assert session.get("/").status_code == 302
    assert api_as_token(token).get("/api/me/").status_code == 401


def api_as_token(key):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_only_a_superuser_erases_and_never_themselves(leaver, superuser):
    with pytest.raises(NotAllowed):
        privacy.user_erase(user=leaver, by=manager())
    with pytest.raises(NotAllowed):
        privacy.user_erase(user=superuser, by=superuser)
    assert User.objects.get(pk=leaver.pk).username == "dana"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_still_refuses_to_change_who_did_what_even_while_redacting():
    from django.db import DatabaseError

    entry = audit_record(actor=None, action="trip.approved", details={"purpose": "x"})
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('portal.audit_redaction', 'on', true)")
        cursor.execute(
            "UPDATE portal_auditentry SET action = 'trip.rejected' WHERE id = %s", [entry.pk]
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE portal_auditentry SET details = '{}' WHERE id = %s", [entry.pk])
    audit_redact(AuditEntry.objects.filter(pk=entry.pk), details={})
    assert AuditEntry.objects.get(pk=entry.pk).details == {}


def test_a_leavers_calendar_feed_and_safety_check_answers_go_too(leaver, superuser):
    from incidents.models import CheckAnswer, CheckRecipient, SafetyCheck
    from tests.factories import IncidentFactory
    from trips.models import CalendarFeed

    trip = ended_trip(leaver, days_ago=5)
    CalendarFeed.objects.create(user=leaver, token="secret-feed")
    check = SafetyCheck.objects.create(incident=IncidentFactory(), started_by=manager())
    recipient = CheckRecipient.objects.create(
        safety_check=check, traveller=leaver, trip=trip, note="Hiding in the hotel basement"
    )
    CheckAnswer.objects.create(
        recipient=recipient, status="need_help", note="Room 12", channel="link", ip="203.0.113.9"
    )
    assert logged_in(leaver).get("/calendar/secret-feed.ics").status_code == 200

    privacy.user_erase(user=leaver, by=superuser)

    assert logged_in(superuser).get("/calendar/secret-feed.ics").status_code == 404
    recipient.refresh_from_db()
    answer = recipient.answers.get()
    assert (recipient.note, answer.note, answer.ip) == ("", "", None)
    assert (answer.status, answer.channel) == ("need_help", "link")


@pytest.mark.django_db
def test_my_data_includes_my_ticks_and_my_safety_check_answers():
    from incidents.models import CheckAnswer, CheckRecipient, SafetyCheck
    from tests.factories import IncidentFactory
    from trips.models import RequirementTick

    traveller = employee()
    trip = ended_trip(traveller, days_ago=5)
    RequirementTick.objects.create(
        trip=trip, requirement_id="kz-reg", done_at=timezone.now(), note="Done at the hotel"
    )
    check = SafetyCheck.objects.create(
        incident=IncidentFactory(title="Flood"), started_by=manager()
    )
    recipient = CheckRecipient.objects.create(safety_check=check, traveller=traveller, trip=trip)
    CheckAnswer.objects.create(recipient=recipient, status="safe", channel="api", ip="192.0.2.1")

    data = api_as(traveller).get("/api/me/data/").json()

    assert data["trips"][0]["requirements_ticked"][0]["note"] == "Done at the hotel"
    assert data["safety_checks"][0]["incident"] == "Flood"
    assert data["safety_checks"][0]["answers"][0]["ip"] == "192.0.2.1"


# --- whose data an export holds -------------------------------------------------------------

TRAVELLER_IP, ARRANGER_IP, MANAGER_IP = "203.0.113.10", "198.51.100.11", "198.51.100.12"


@pytest.fixture
def three_people(db):
    """A traveller, their arranger and a manager, each having done something to the
    traveller's trip and safety-check answer, each from their own address."""
    from core.audit import request_ip
    from incidents.checks import services as check_services
    from incidents.models import CheckRecipient, SafetyCheck
    from tests.factories import IncidentFactory, arranger_for

    tess = employee(username="tess.traveller")
    arranger = arranger_for(tess, username="arlo.arranger")
    boss = manager(username="mona.manager")
    trip = ended_trip(tess, days_ago=5)
    Trip.objects.filter(pk=trip.pk).update(purpose="Tess visits the fertility clinic")
    TripFactory(traveller=arranger, purpose="Arlo's own offsite")
    TripFactory(traveller=employee(), purpose="Somebody else's retreat")
    RequirementTick.objects.create(
        trip=trip, requirement_id="kz-reg", done_at=timezone.now(), note="Tess insulin supply"
    )
    for actor, ip, action, details in (
        (arranger, ARRANGER_IP, "trip.requirement_done", {"note": "Tess insulin supply"}),
        (boss, MANAGER_IP, "trip.approved", {"comment": "Fine for Tess", "to": "approved"}),
    ):
        token = request_ip.set(ip)
        try:
            audit_record(actor=actor, action=action, obj=trip, details=details)
        finally:
            request_ip.reset(token)
    check = SafetyCheck.objects.create(incident=IncidentFactory(title="Flood"), started_by=boss)
    recipient = CheckRecipient.objects.create(safety_check=check, traveller=tess, trip=trip)
    check_services.check_answer(
        recipient=recipient, status="need_help", channel="link", ip=TRAVELLER_IP
    )
    check_services.check_recipient_update(
        recipient=recipient,
        by=boss,
        status="safe",
        handled=True,
        note="evacuated to Istanbul",
        ip=MANAGER_IP,
    )
    return {"traveller": tess, "arranger": arranger, "manager": boss, "trip": trip}


def export_of(user) -> tuple[dict, str]:
    response = logged_in(user).get("/profile/data/")
    assert response.status_code == 200
    return json.loads(response.content), response.content.decode()


def test_a_travellers_export_holds_what_is_about_them_and_not_the_others_addresses(
    three_people,
):
    data, text = export_of(three_people["traveller"])

    assert [trip["purpose"] for trip in data["trips"]] == ["Tess visits the fertility clinic"]
    assert data["trips"][0]["requirements_ticked"][0]["note"] == "Tess insulin supply"
    check = data["safety_checks"][0]
    assert (check["handled"], check["handled_note"]) == (True, "evacuated to Istanbul")
    assert check["handled_by"] == "mona.manager"
    by_channel = {answer["channel"]: answer for answer in check["answers"]}
    assert by_channel["link"]["ip"] == TRAVELLER_IP
    assert by_channel["manager"]["ip"] is None
    assert data["trips"][0]["briefings"][0]["acknowledgement"]["ip"] == "192.0.2.7"
    actions = {entry["action"] for entry in data["audit"]}
    assert {"trip.requirement_done", "trip.approved", "check.handled"} <= actions
    for elsewhere in (ARRANGER_IP, MANAGER_IP, "Arlo's own offsite", "Somebody else's"):
        assert elsewhere not in text


def test_an_arrangers_export_holds_what_they_did_but_not_the_travellers_trip(three_people):
    data, text = export_of(three_people["arranger"])

    assert [trip["purpose"] for trip in data["trips"]] == ["Arlo's own offsite"]
    ticked = next(e for e in data["audit"] if e["action"] == "trip.requirement_done")
    assert ticked["object_id"] == str(three_people["trip"].pk)
    assert (ticked["ip"], ticked["object"], ticked["details"]) == (ARRANGER_IP, None, {})
    for elsewhere in ("fertility clinic", "Tess insulin", "tess.traveller", MANAGER_IP):
        assert elsewhere not in text
    assert data["safety_checks"] == []


def test_a_managers_export_holds_their_actions_without_the_people_they_acted_on(three_people):
    data, text = export_of(three_people["manager"])

    mine = {entry["action"]: entry for entry in data["audit"]}
    assert {"trip.approved", "check.answered", "check.handled"} <= set(mine)
    assert mine["check.handled"]["ip"] == MANAGER_IP
    assert mine["trip.approved"]["details"] == {"to": "approved"}
    for elsewhere in (
        "fertility clinic",
        "evacuated to Istanbul",
        "Fine for Tess",
        "tess.traveller",
        TRAVELLER_IP,
        ARRANGER_IP,
    ):
        assert elsewhere not in text
    assert data["trips"] == [] and data["safety_checks"] == []


def test_erasing_someone_with_a_short_name_renames_only_them_in_the_audit(superuser):
    al = employee(username="al")
    other = TripFactory(purpose="Annual review with al's team")
    audit_record(actor=None, action="trip.approved", obj=other)
    audit_record(actor=al, action="auth.login", obj=al)

    privacy.user_erase(user=al, by=superuser)

    described = AuditEntry.objects.get(action="trip.approved").object_repr
    assert described == f"Trip #{other.pk}: Annual review with erased-user-{al.pk}'s team"
    assert AuditEntry.objects.get(action="auth.login").object_repr == f"erased-user-{al.pk}"
