"""Every model column that can hold personal data is listed in portal.privacy.PERSONAL_DATA,
and each one is erased when a leaver is erased and, for a trip's rows, when the trip passes the
retention period.

A new column with a personal-looking name fails the guard below until it is listed there (as
personal, with how it is erased) or here in NOT_PERSONAL (with why it is not)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.test import Client
from django.utils import timezone

from briefings.models import Acknowledgement, Briefing, BriefingStatus
from core import accounts
from core.audit import audit_record, email_digest, request_ip
from core.models import AuditEntry
from incidents.checks import services as check_services
from incidents.models import AnswerChannel, CheckRecipient, SafetyCheck
from portal import privacy
from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    StopFactory,
    TripFactory,
    arranger_for,
    employee,
    manager,
)
from trips.models import Assessment, CalendarFeed, Decision, RequirementTick, Transition, Trip
from trips.services import calendar_feed_renew

TODAY = timezone.localdate()

# A column whose name looks personal (PERSONAL_LOOKING) but holds nothing about a person.
NOT_PERSONAL: dict[tuple[str, str], str] = {
    ("auth.Permission", "name"): "a permission's label",
    ("auth.Permission", "codename"): "a permission's code",
    ("auth.Group", "name"): "a role's name",
    ("sessions.Session", "session_key"): "expires by itself; dies with the password",
    ("sessions.Session", "session_data"): "expires by itself; dies with the password",
    ("axes.AccessAttempt", "get_data"): "axes stores no request data (AXES_VERBOSE off)",
    ("axes.AccessAttempt", "post_data"): "axes stores no request data (AXES_VERBOSE off)",
    ("axes.AccessAttempt", "http_accept"): "a browser's accepted types",
    ("axes.AccessAttempt", "path_info"): "the sign-in page's path",
    ("axes.AccessLog", "session_hash"): "a hash of a session key",
    ("axes.AccessLog", "http_accept"): "a browser's accepted types",
    ("axes.AccessLog", "path_info"): "the sign-in page's path",
    ("axes.AccessFailureLog", "http_accept"): "a browser's accepted types",
    ("axes.AccessFailureLog", "path_info"): "the sign-in page's path",
    ("admin.LogEntry", "content_type"): "a model's name",
    ("core.OutboxMessage", "kwargs"): "ids of the rows a task works on, never their text",
    ("core.OutboxMessage", "key"): "a task's name and ids",
    ("core.OutboxMessage", "last_error"): "the broker's error",
    ("core.CompanySettings", "security_desk_phone"): "the company's line",
    ("core.CompanySettings", "security_desk_email"): "the company's address",
    ("core.AuditEntry", "object_type"): "a model's name",
    ("advisories.Country", "name"): "content",
    ("advisories.Source", "key"): "content",
    ("advisories.Source", "title"): "content",
    ("advisories.Place", "name"): "content: a curated place",
    ("advisories.Place", "key"): "content: a curated place",
    ("advisories.PlaceAlias", "name"): "content: a curated place",
    ("advisories.PlaceAlias", "key"): "content: a curated place",
    ("advisories.PlaceAlias", "place"): "content: a curated place",
    ("advisories.Advisory", "summary"): "content",
    ("advisories.Section", "places"): "content: where a section applies",
    ("advisories.Section", "activities"): "content: whom a section concerns",
    ("advisories.Rule", "places"): "content: where a rule applies",
    ("advisories.Rule", "activities"): "content: whom a rule concerns",
    ("advisories.EmergencyContact", "place"): "content: an embassy's public line",
    ("advisories.Section", "key"): "content",
    ("advisories.Rule", "key"): "content",
    ("advisories.Rule", "title"): "content",
    ("advisories.Rule", "detail"): "content",
    ("advisories.Rule", "nationalities"): "content: whom a rule concerns",
    ("advisories.Rule", "exempt_passport_types"): "content: whom a rule exempts",
    ("advisories.Rule", "exempt_visa_categories"): "content: whom a rule exempts",
    ("advisories.EmergencyContact", "nationalities"): "content: an embassy's public line",
    ("advisories.AdvisoryVersion", "change_note"): "content: an editor's note on a version",
    ("advisories.TopicKeyword", "keyword"): "content",
    ("incidents.Incident", "title"): "content: what happened where, about no one",
    ("incidents.Incident", "summary"): "content: what happened where, about no one",
    ("incidents.Incident", "places"): "content: curated places",
    ("incidents.HazardFeed", "name"): "a public feed's name",
    ("incidents.HazardFeed", "last_error"): "a public feed server's answer",
    ("trips.RequirementTick", "requirement_id"): "a rule's id",
    ("trips.Trip", "submission_key"): "a random key of the form that filed it, about no one",
    ("trips.RequirementReminder", "requirement_id"): "a rule's id",
    ("briefings.Briefing", "reason"): "why a briefing was made: approved, amended...",
    ("incidents.CheckRecipient", "answered_at"): "when, not what (kept with the check)",
    ("advisories.WatchedSource", "last_error"): "a public source server's answer",
    ("advisories.WatchedSource", "content_digest"): "a hash of a public source's text",
    ("advisories.WatchedSource", "changed_at"): "when a public source changed",
    ("advisories.WatchedSource", "change_note"): "a government's own change note",
    ("advisories.WatchedSource", "change_unreviewed"): "whether an editor looked at it",
}

PERSONAL_LOOKING = re.compile(
    r"note|(^|_)ips?(_|$)|ip_address|phone|e_?mail|name|comment|reason|purpose|address|text"
    r"|birth|passport|nationalit|contact|department|token|agent|place|activit|detail|repr"
    r"|message|error|change|visa|session|digest|data|title|summary|kwargs|explanation"
    r"|requirement|sections|answer|key"
)


def listed_as_personal() -> set[tuple[str, str]]:
    return {(entry.model, name) for entry in privacy.PERSONAL_DATA for name in entry.erase}


def test_every_personal_looking_column_is_listed_as_personal_or_as_not_personal():
    personal = listed_as_personal()
    unlisted = []
    for model in apps.get_models():
        label = model._meta.label
        for field in model._meta.get_fields():
            if field.auto_created and not field.concrete:
                continue  # a reverse relation: listed on the model that holds the column
            if not PERSONAL_LOOKING.search(field.name):
                continue
            if (label, field.name) not in personal | set(NOT_PERSONAL):
                unlisted.append(f"{label}.{field.name}")
    assert unlisted == [], (
        f"{unlisted}: "
        "Personal data? List each in portal.privacy.PERSONAL_DATA with how it is erased, "
        "or in NOT_PERSONAL here with why it is not."
    )


def test_every_listed_column_exists_and_says_how_it_is_erased():
    for entry in privacy.PERSONAL_DATA:
        names = {field.name for field in entry.model_class._meta.get_fields()}
        assert set(entry.erase) <= names, entry.model
        assert not {(entry.model, name) for name in entry.erase} & set(NOT_PERSONAL)
        if privacy.BY_CODE in entry.erase.values() or not entry.people:
            assert entry.how, f"{entry.model}: say which code erases it"


# --- a world where every personal column holds something ------------------------------------

LEAVER_IP = "203.0.113.77"
LINK_IP = "203.0.113.5"
ACK_IP = "203.0.113.6"
ARRANGER_IP = "198.51.100.30"
MANAGER_IP = "198.51.100.20"

# What was written about or by the leaver, and where they were: none of it may remain.
ABOUT_THE_TRIP = [
    "Visiting my mother in hospital",
    "Hospital street 5",
    "kitesurfing",
    "Approved given the clinic appointment",
    "Cancelled: surgery moved",
    "insulin supply",
    "Hiding in room 12",
    "evacuated to Istanbul",
    "Called from the hospital landline",
    "Your stay in Hospital street moved",
    "renderer choked on Hospital",
    LINK_IP,
    ACK_IP,
    ARRANGER_IP,
    MANAGER_IP,  # on the trip's entries and the answer taken by phone
]
ABOUT_THE_PERSON = [
    "dana.leaver",
    "dana@leaver.example",
    "Danielle",
    "Leavesworth",
    "+44 20 7946 0101",
    "Sam Emergencycontact",
    "+44 20 7946 0202",
    "Department of Quiet Exits",
    "1990-05-04",
    "Mozilla/5.0 Leaver",
    LEAVER_IP,
    email_digest("dana@leaver.example"),  # a throttled password reset's
]


def database_text() -> str:
    """Every row of every table, as text."""
    return "\n".join(
        serializers.serialize("json", model._default_manager.all()) for model in apps.get_models()
    )


def still_there(strings: list[str]) -> list[str]:
    text = database_text()
    return [value for value in strings if value in text]


@pytest.fixture
def world(db, settings):
    settings.PERSONAL_DATA_RETENTION_DAYS = 365
    leaver = employee(
        username="dana.leaver",
        email="dana@leaver.example",
        first_name="Danielle",
        last_name="Leavesworth",
    )
    profile = leaver.profile
    profile.nationality = "FR"
    profile.passport_type = "diplomatic"
    profile.date_of_birth = dt.date(1990, 5, 4)
    profile.department = "Department of Quiet Exits"
    profile.phone = "+44 20 7946 0101"
    profile.emergency_contact_name = "Sam Emergencycontact"
    profile.emergency_contact_phone = "+44 20 7946 0202"
    profile.save()
    helper = arranger_for(leaver, username="arranger")
    boss = manager(username="boss")
    bystander = employee(username="bystander")
    TripFactory(traveller=bystander, purpose="Bystander conference in Lyon")

    trip = trip_of(leaver, days_ago=400)
    booked_as(leaver, trip)
    tick_as(helper, trip)
    briefing_of(trip, leaver)
    check = SafetyCheck.objects.create(incident=IncidentFactory(), started_by=boss)
    recipient = CheckRecipient.objects.create(
        safety_check=check, traveller=leaver, trip=trip, stop=trip.stops.get()
    )
    check_services.check_answer(
        recipient=recipient,
        status="need_help",
        note="Hiding in room 12",
        channel=AnswerChannel.LINK,
        ip=LINK_IP,
    )
    check_services.check_recipient_update(
        recipient=recipient,
        by=boss,
        status="safe",
        handled=True,
        note="evacuated to Istanbul",
        ip=MANAGER_IP,
    )
    # An answer the leaver, a manager too, took by phone for the bystander: their address.
    boss_leaver = leaver
    boss_leaver.groups.add(*boss.groups.all())
    theirs = CheckRecipient.objects.create(safety_check=check, traveller=bystander)
    check_services.check_recipient_update(
        recipient=theirs, by=boss_leaver, status="safe", ip=LEAVER_IP
    )
    CheckRecipient.objects.filter(pk=recipient.pk).update(note="Called from the hospital landline")

    # A feed ended by a password change: the portal's entry, naming the feed's owner.
    calendar_feed_renew(user=leaver, by=leaver)
    leaver.set_password("a new secret for the leaver 7")
    leaver.save()
    CalendarFeed.objects.create(user=leaver, token="feed-secret-of-the-leaver")
    accounts.token_create(user=leaver)
    audit_record(actor=leaver, action="auth.login", obj=leaver, ip=LEAVER_IP)
    audit_record(actor=None, action="auth.login_failed", details={"username": "dana.leaver"})
    audit_record(
        actor=None,
        action="auth.password_reset_throttled",
        details={"email_sha256": email_digest("dana@leaver.example")},
    )
    audit_record(
        actor=boss,
        action="travellers.messaged",
        details={"subject": "Strike", "recipients": ["dana.leaver", "bystander"]},
    )
    audit_record(
        actor=None,
        action="incident.alert_sent",
        obj=check.incident,
        details={"traveller": "dana.leaver", "severity": "warning"},
    )
    sign_in = {
        "username": "dana.leaver",
        "ip_address": LEAVER_IP,
        "user_agent": "Mozilla/5.0 Leaver",
    }
    AccessAttempt.objects.create(**sign_in, failures_since_start=1)
    AccessLog.objects.create(**sign_in)
    AccessFailureLog.objects.create(**sign_in)
    LogEntry.objects.create(
        user=User.objects.create_superuser("root", "root@example.com", "pw-for-tests-1"),
        content_type=ContentType.objects.get_for_model(Trip),
        object_id=str(trip.pk),
        object_repr=str(trip),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Purpose"]}}]',
    )
    return {"leaver": leaver, "trip": trip, "bystander": bystander, "boss": boss}


def trip_of(traveller, *, days_ago: int) -> Trip:
    departure = TODAY - dt.timedelta(days=days_ago)
    trip = TripFactory(
        traveller=traveller,
        purpose="Visiting my mother in hospital",
        status="completed",
        passport_nationality="GB",
        passport_type="official",
        visa_category="medical",
        first_arrival=departure - dt.timedelta(days=3),
        last_departure=departure,
    )
    StopFactory(
        trip=trip,
        place=PlaceFactory(name="Clinic of Saint Ursula"),
        place_text="Hospital street 5",
        activities=["kitesurfing"],
        arrival=departure - dt.timedelta(days=3),
        departure=departure,
    )
    Assessment.objects.create(
        trip=trip,
        requires_approval=True,
        approval_reasons=["Hospital street 5"],
        requirements=[{"kind": "registration", "place": "Hospital street 5"}],
        sections=[{"heading": "Hospital street 5"}],
        explanation=["Hospital street 5 is not a place we know"],
    )
    boss = manager(username=f"approver-{trip.pk}")
    Decision.objects.create(
        trip=trip,
        approval_round=1,
        manager=boss,
        outcome="approve",
        comment="Approved given the clinic appointment",
    )
    Transition.objects.create(
        trip=trip,
        actor=boss,
        from_status="approved",
        to_status="cancelled",
        comment="Cancelled: surgery moved",
    )
    audit_record(
        actor=boss,
        action="trip.approved",
        obj=trip,
        ip=MANAGER_IP,
        details={"comment": "Approved given the clinic appointment"},
    )
    return trip


def booked_as(traveller, trip: Trip) -> None:
    """The trip's booking, as a booking e-mail the traveller forwarded left it."""
    from bookings.models import Booking, Segment

    booking = Booking.objects.create(
        reference="LEAVE1",
        source="acme-tmc",
        traveller=traveller,
        trip=trip,
        door="email",
        traveller_email="dana@leaver.example",
        traveller_name="Danielle Leavesworth",
        sender_email="dana@leaver.example",
        unassigned_reason="Waited while Hospital street 5 was unknown",
        raw="Your room near Hospital street 5",
        payload={"segments": [{"type": "hotel", "name": "Hospital street 5"}]},
        digest="d" * 64,
        stops=[{"final": {"place": "Hospital street 5"}, "was": None}],
    )
    Segment.objects.create(
        booking=booking,
        position=0,
        kind="hotel",
        name="Hospital street 5 guest house",
        city="Hospital street 5",
        country_id="KZ",
        latitude=43.2,
        longitude=76.9,
        check_in=trip.first_arrival,
        check_out=trip.last_departure,
    )


def tick_as(arranger, trip: Trip) -> None:
    RequirementTick.objects.create(
        trip=trip,
        requirement_id="kz-reg",
        done_at=timezone.now(),
        note="insulin supply",
        by=arranger,
    )
    token = request_ip.set(ARRANGER_IP)
    try:
        audit_record(
            actor=arranger,
            action="trip.requirement_done",
            obj=trip,
            details={"requirement": "kz-reg", "title": "Register", "note": "insulin supply"},
        )
    finally:
        request_ip.reset(token)


def briefing_of(trip: Trip, traveller) -> None:
    saved = storages["private"].save(
        f"briefings/trip-{trip.pk}/briefing.pdf", ContentFile(b"%PDF-1.7 Hospital street 5")
    )
    briefing = Briefing.objects.create(
        trip=trip,
        version=1,
        reason="approved",
        status=BriefingStatus.READY,
        sha256="a" * 64,
        file_name=saved,
        rendered_at=timezone.now(),
        changes={"sentences": ["Your stay in Hospital street moved"]},
        error="renderer choked on Hospital street 5",
        inputs={"places": [{"label": "Hospital street 5", "hash": "b" * 64}]},
        inputs_digest="c" * 64,
    )
    Acknowledgement.objects.create(briefing=briefing, user=traveller, ip=ACK_IP, sha256="a" * 64)
    audit_record(
        actor=traveller, action="briefing.acknowledged", obj=briefing, ip=ACK_IP, details={}
    )


def erased_as_listed(entry: privacy.PersonalData, rows) -> list[str]:
    """What of one entry's rows is not as PERSONAL_DATA says it becomes."""
    wrong = []
    if privacy.DELETE_ROW in entry.erase.values():
        return [f"{entry.model}: {rows.count()} rows left"] if rows.exists() else []
    if not rows.exists():
        return [f"{entry.model}: no rows to check (the world misses one)"]
    for name, value in entry.erase.items():
        if value is privacy.BY_CODE:
            continue
        column = entry.model_class._meta.get_field(name).attname
        for found in rows.values_list(column, flat=True):
            if found != value:
                wrong.append(f"{entry.model}.{name} is {found!r}, not {value!r}")
    return wrong


def test_the_world_has_something_in_every_listed_column_before_erasure(world):
    # Otherwise the checks after erasure would pass on empty columns.
    for entry in privacy.PERSONAL_DATA:
        if privacy.BY_CODE in entry.erase.values() or not entry.people:
            continue
        rows = entry.rows_of_person(world["leaver"])
        assert rows.exists(), entry.model
        for name, value in entry.erase.items():
            column = entry.model_class._meta.get_field(name).attname
            assert value not in rows.values_list(column, flat=True), f"{entry.model}.{name}"
    assert still_there(ABOUT_THE_TRIP + ABOUT_THE_PERSON) == ABOUT_THE_TRIP + ABOUT_THE_PERSON


# --- erasure --------------------------------------------------------------------------------


def test_erasing_a_leaver_erases_every_listed_column_and_nothing_of_them_is_left(
    world, django_capture_on_commit_callbacks
):
    leaver = world["leaver"]
    pdf = world["trip"].briefings.get().file_name
    root = User.objects.get(username="root")

    with django_capture_on_commit_callbacks(execute=True):
        privacy.user_erase(user=leaver, by=root)

    wrong = []
    for entry in privacy.PERSONAL_DATA:
        if entry.people:
            wrong += erased_as_listed(entry, entry.rows_of_person(leaver))
    assert wrong == []
    assert still_there(ABOUT_THE_TRIP + ABOUT_THE_PERSON) == []
    assert not storages["private"].exists(pdf)
    leaver.refresh_from_db()
    assert leaver.username == f"erased-user-{leaver.pk}"
    assert not (AccessAttempt.objects.exists() or AccessLog.objects.exists())
    # The bystander keeps their own words; the curated place stays in the content.
    kept = ["Bystander conference in Lyon", "bystander", "Clinic of Saint Ursula"]
    assert still_there(kept) == kept


def test_the_audit_keeps_each_event_about_a_leaver_under_their_pseudonym(world):
    leaver = world["leaver"]
    before = list(AuditEntry.objects.order_by("pk").values_list("pk", "action", "actor_id"))

    privacy.user_erase(user=leaver, by=User.objects.get(username="root"))

    after = AuditEntry.objects.order_by("pk")
    assert [(e.pk, e.action, e.actor_id) for e in after][: len(before)] == before
    alias = f"erased-user-{leaver.pk}"
    handled = after.get(action="check.handled")
    assert handled.details["traveller"] == alias
    assert "note" not in handled.details
    assert handled.actor == world["boss"]
    messaged = after.get(action="travellers.messaged")
    assert messaged.details["recipients"] == [alias, "bystander"]
    assert after.get(action="auth.login_failed").details == {"username": alias}
    assert after.get(action="incident.alert_sent").details["traveller"] == alias


def test_an_erased_leavers_answer_link_is_gone_and_stores_nothing(world, client):
    leaver = world["leaver"]
    recipient = CheckRecipient.objects.get(traveller=leaver)
    link = f"/checks/answer/{check_services.answer_token(recipient)}/"
    assert client.get(link).status_code == 200

    privacy.user_erase(user=leaver, by=User.objects.get(username="root"))

    assert client.get(link).status_code == 404
    answered = client.post(link, {"status": "need_help", "note": "Still here, room 14"})
    assert answered.status_code == 404
    assert "room 14" not in database_text()


def test_an_erased_leavers_calendar_feed_and_api_tokens_die(world):
    leaver = world["leaver"]
    feed = "/calendar/feed-secret-of-the-leaver.ics"
    assert Client().get(feed).status_code == 200

    privacy.user_erase(user=leaver, by=User.objects.get(username="root"))

    assert Client().get(feed).status_code == 404
    assert not accounts.AuthToken.objects.filter(user=leaver).exists()


# --- retention ------------------------------------------------------------------------------


def test_retention_erases_every_listed_column_of_a_trip_past_the_period(
    world, django_capture_on_commit_callbacks
):
    trip = world["trip"]
    pdf = trip.briefings.get().file_name

    with django_capture_on_commit_callbacks(execute=True):
        assert privacy.trips_erase_expired() == [trip.pk]

    wrong = []
    for entry in privacy.PERSONAL_DATA:
        if entry.trip is not None:
            wrong += erased_as_listed(entry, entry.rows_of_trips([trip.pk]))
    assert wrong == []
    assert still_there(ABOUT_THE_TRIP) == []
    assert not storages["private"].exists(pdf)
    # The person is still an employee: their account and profile stay.
    assert still_there(ABOUT_THE_PERSON) == ABOUT_THE_PERSON
    trip.refresh_from_db()
    assert (trip.status, trip.stops.get().country_id) == ("completed", "KZ")


def test_retention_takes_addresses_older_than_the_period_from_the_audit_and_sign_in_records(
    world,
):
    with time_machine.travel(timezone.now() - dt.timedelta(days=400)):
        login = audit_record(actor=world["leaver"], action="auth.login", ip=LEAVER_IP)
    AccessLog.objects.update(attempt_time=timezone.now() - dt.timedelta(days=400))

    privacy.trips_erase_expired()

    login.refresh_from_db()
    assert (login.action, login.actor, login.ip) == ("auth.login", world["leaver"], None)
    assert not AccessLog.objects.exists()
    assert AccessAttempt.objects.exists()  # a recent one stays
    recent = AuditEntry.objects.filter(action="auth.login").exclude(pk=login.pk).get()
    assert recent.ip == LEAVER_IP
