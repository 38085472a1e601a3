"""Requirements as one read model with stable ids, ticked off by the traveller or their
arranger (API and trip page), kept across re-assessment, counted on the dashboard, reminded
the day before they fall due, and reported when overdue."""

import copy
import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import SafeString

from advisories.packs import pack_import
from core.lib.markdown import render_markdown
from core.models import AuditEntry
from tests.factories import api_as, arranger_for, employee, logged_in, manager
from tests.trips.helpers import TEST_PACK, file_trip
from trips import services
from trips.models import RequirementTick, TripStatus
from trips.requirements import assessment_requirements, requirement_id, with_ids
from trips.services.ticks import requirement_reminders_send

pytestmark = pytest.mark.django_db


def british(**kwargs):
    """An employee on a British passport: visa-free in the test country for 30 days."""
    user = employee(**kwargs)
    user.profile.nationality = "GB"
    user.profile.save()
    return user


def requirements_of(user, trip):
    return api_as(user).get(f"/api/trips/{trip.pk}/assessment/").json()["requirements"]


def by_title(rows, title):
    return next(row for row in rows if row["title"] == title)


def tick(user, trip, rid, **body):
    return api_as(user).post(
        f"/api/trips/{trip.pk}/requirements/{rid}/", body or {"done": True}, format="json"
    )


def test_markdown_is_rendered_once_as_a_safe_string():
    html = render_markdown("**bold** <script>alert(1)</script>")
    assert isinstance(html, SafeString)
    assert "<strong>bold</strong>" in html and "<script>" not in html


def test_a_requirement_id_depends_on_kind_rule_country_and_place_only():
    base = {"kind": "registration", "rule": "mn-registration", "country": "MN", "place": "Hill"}
    assert requirement_id(base) == requirement_id({**base, "due_date": "2027-01-01"})
    assert requirement_id(base) == requirement_id({**base, "place": "HILL"})
    assert requirement_id(base) != requirement_id({**base, "place": "Old Harbour"})
    # The same requirement met twice (two visits) gets two ids, in order.
    first, second = with_ids([base, base])
    assert first["id"] == requirement_id(base) != second["id"]


def test_every_requirement_in_the_api_has_an_id_and_done_at(catalogue):
    user = employee()
    trip = file_trip(user, activities=["driving"])
    rows = requirements_of(user, trip)
    assert {row["title"] for row in rows} >= {"Register your stay", "International Driving Permit"}
    assert all(row["id"] and row["done_at"] is None for row in rows)
    assert len({row["id"] for row in rows}) == len(rows)


def test_the_traveller_ticks_a_requirement_off_with_a_note_and_it_is_audited(catalogue):
    user = employee()
    trip = file_trip(user, activities=["driving"])
    permit = by_title(requirements_of(user, trip), "International Driving Permit")
    response = tick(user, trip, permit["id"], done=True, note="Bought at the AA")
    assert response.status_code == 200
    assert response.json()["done_at"] and response.json()["note"] == "Bought at the AA"
    assert by_title(requirements_of(user, trip), "International Driving Permit")["done_at"]
    entry = AuditEntry.objects.get(action="trip.requirement_done")
    assert entry.actor == user and entry.details["note"] == "Bought at the AA"
    # ...and back on again.
    response = tick(user, trip, permit["id"], done=False)
    assert response.status_code == 200 and response.json()["done_at"] is None
    assert AuditEntry.objects.filter(action="trip.requirement_reopened").count() == 1


def test_the_arranger_may_tick_a_manager_reads_and_an_outsider_gets_a_404(catalogue):
    traveller = employee()
    arranger = arranger_for(traveller)
    trip = file_trip(traveller)
    rid = requirements_of(traveller, trip)[0]["id"]
    assert tick(arranger, trip, rid).status_code == 200
    assert tick(manager(), trip, rid).status_code == 403
    assert tick(employee(), trip, rid).status_code == 404
    assert RequirementTick.objects.get(trip=trip).by == arranger


def test_bad_tick_input_is_a_field_error_and_an_unknown_requirement_a_404(catalogue):
    user = employee()
    trip = file_trip(user)
    rid = requirements_of(user, trip)[0]["id"]
    assert tick(user, trip, "not-a-requirement").status_code == 404
    missing = api_as(user).post(f"/api/trips/{trip.pk}/requirements/{rid}/", {}, format="json")
    assert missing.status_code == 400 and "done" in missing.json()
    too_long = tick(user, trip, rid, done=True, note="x" * 2001)
    assert too_long.status_code == 400 and "note" in too_long.json()
    assert not RequirementTick.objects.exists()


def test_a_tick_survives_re_assessment_while_the_requirement_is_the_same(catalogue):
    user = employee()
    trip = file_trip(user, activities=["driving"])
    permit = by_title(requirements_of(user, trip), "International Driving Permit")
    tick(user, trip, permit["id"])
    assert services.trip_reassess(trip=trip, reason="test")
    assert trip.assessments.count() == 2
    again = by_title(requirements_of(user, trip), "International Driving Permit")
    assert again["id"] == permit["id"] and again["done_at"]


def test_the_trip_page_ticks_off_and_counts_what_is_still_open(catalogue):
    user = employee()
    trip = file_trip(user, activities=["driving"])
    rows = assessment_requirements(assessment=trip.assessments.first())
    client = logged_in(user)
    body = client.get(f"/trips/{trip.pk}/").content.decode()
    assert f"{len(rows)} requirements still to do" in body and "Mark done" in body
    permit = next(row for row in rows if row.title == "International Driving Permit")
    response = client.post(
        f"/trips/{trip.pk}/requirements/{permit.id}/", {"done": "1", "note": "Got it"}, follow=True
    )
    body = response.content.decode()
    assert "Done: International Driving Permit." in body
    assert f"{len(rows) - 1} requirement" in body and "Note: Got it" in body
    assert RequirementTick.objects.get(trip=trip, requirement_id=permit.id).done_at


def test_a_manager_sees_no_tick_boxes_and_cannot_post_one(catalogue):
    user = employee()
    trip = file_trip(user)
    rid = assessment_requirements(assessment=trip.assessments.first())[0].id
    boss = logged_in(manager())
    assert "Mark done" not in boss.get(f"/trips/{trip.pk}/").content.decode()
    response = boss.post(f"/trips/{trip.pk}/requirements/{rid}/", {"done": "1"}, follow=True)
    assert "Only the traveller or their arranger" in response.content.decode()
    assert not RequirementTick.objects.exists()
    outsider = logged_in(employee())
    assert outsider.post(f"/trips/{trip.pk}/requirements/{rid}/", {"done": "1"}).status_code == 404


def test_the_dashboard_shows_what_a_cleared_trip_still_needs(catalogue):
    user = british()
    trip = file_trip(user, activities=["driving"])
    trip.status = TripStatus.CLEARED
    trip.save()
    count = len(assessment_requirements(assessment=trip.assessments.first()))
    body = logged_in(user).get("/").content.decode()
    assert f"Cleared to travel; {count} requirements still to do" in body
    assert "Next: <a" in body and "International Driving Permit" in body


def test_a_reminder_goes_the_day_before_an_open_requirement_is_due_once(catalogue):
    user = british(email="erin@example.org")
    file_trip(user, activities=["driving"], start=1, days=8)  # the permit is due tomorrow
    assert requirement_reminders_send() == 1
    assert requirement_reminders_send() == 0  # the second run that day sends nothing
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Due tomorrow: International Driving Permit"
    assert mail.outbox[0].to == ["erin@example.org"]


def test_no_reminder_for_a_requirement_ticked_off(catalogue):
    user = british(email="erin@example.org")
    trip = file_trip(user, activities=["driving"], start=1, days=8)
    permit = by_title(requirements_of(user, trip), "International Driving Permit")
    tick(user, trip, permit["id"])
    assert requirement_reminders_send() == 0
    assert mail.outbox == []


def test_overdue_open_requirements_appear_in_the_compliance_report(catalogue):
    today = dt.date.today()
    user = british(first_name="Erin")
    with time_machine.travel(today - dt.timedelta(days=10), tick=False):
        # Arrives 7 days ago, leaves in 5: registration was due 3 days ago.
        trip = file_trip(user, start=3, days=12)
    assert trip.status == TripStatus.APPROVED
    due = (today - dt.timedelta(days=3)).isoformat()
    boss = manager()
    page = logged_in(boss).get("/compliance/").content.decode()
    assert f"overdue: Register your stay (due {due})" in page
    csv = logged_in(boss).get("/compliance/?format=csv").content.decode()
    assert f"overdue: Register your stay (due {due})" in csv
    rows = api_as(boss).get("/api/compliance/").json()["results"]
    assert rows[0]["trip"] == trip.pk
    assert f"overdue: Register your stay (due {due})" in rows[0]["missing"]
    # Ticked off, it is no longer a gap.
    rid = by_title(requirements_of(user, trip), "Register your stay")["id"]
    tick(user, trip, rid)
    assert api_as(boss).get("/api/compliance/").json()["count"] == 0


def test_the_dashboard_reads_requirements_and_ticks_in_a_fixed_number_of_queries(catalogue):
    user = british()
    client = logged_in(user)
    for index in range(2):
        file_trip(user, activities=["driving"], start=10 + 20 * index, days=5)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        client.get("/")
    for index in range(2, 6):
        trip = file_trip(user, activities=["driving"], start=10 + 20 * index, days=5)
        tick(user, trip, requirements_of(user, trip)[0]["id"])
    with CaptureQueriesContext(connection) as more:
        body = client.get("/").content.decode()
    assert len(more.captured_queries) == len(few.captured_queries)
    assert body.count("still to do") >= 6


def test_a_cancelled_trip_has_nothing_to_tick(catalogue):
    user = british()
    trip = file_trip(user)
    rid = requirements_of(user, trip)[0]["id"]
    services.trip_cancel(trip=trip, by=user)
    response = tick(user, trip, rid)
    assert response.status_code == 409
    assert not RequirementTick.objects.exists()


def test_a_reminder_also_goes_while_the_traveller_is_away(catalogue):
    today = dt.date.today()
    user = british(email="erin@example.org")
    with time_machine.travel(today - dt.timedelta(days=4), tick=False):
        file_trip(user, start=1, days=10)  # arrived 3 days ago: registration due tomorrow
    assert requirement_reminders_send() == 1
    assert mail.outbox[0].subject == "Due tomorrow: Register your stay"


# --- what can be done, and what is a way to behave -------------------------------------------


@pytest.fixture
def passport_catalogue(db):
    """The test catalogue with a rule to carry one's passport: a way to behave, not a step."""
    pack = copy.deepcopy(TEST_PACK)
    pack["countries"][0]["rules"].append(
        {
            "key": "mn-passport",
            "kind": "document",
            "title": "Carry your passport",
            "detail": "The police check papers in the street.",
            "source": "mn-rules",
        }
    )
    pack_import(pack, by=None)


def test_carrying_a_passport_has_no_mark_done_and_is_not_counted_as_still_to_do(passport_catalogue):
    user = employee()
    trip = file_trip(user, activities=["driving"])
    rows = assessment_requirements(assessment=trip.assessments.first())
    passport = next(row for row in rows if row.title == "Carry your passport")
    body = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    item = body.split(f'id="req-{passport.id}"')[1].split("</li>")[0]
    assert "Mark done" not in item
    assert "Nothing to tick off: keep to this throughout the stay." in item
    permit = next(row for row in rows if row.title == "International Driving Permit")
    assert "Mark done" in body.split(f'id="req-{permit.id}"')[1].split("</li>")[0]
    assert f"{len(rows) - 1} requirements still to do" in body
    assert f"{len(rows) - 1} of {len(rows) - 1} still to do." in body


def test_the_api_refuses_to_tick_off_carrying_a_passport_with_a_field_error(passport_catalogue):
    user = employee()
    trip = file_trip(user)
    rows = requirements_of(user, trip)
    rid = next(row["id"] for row in rows if row["kind"] == "document")
    doable = {row["kind"]: row["doable"] for row in rows}
    assert doable == {"document": False, "registration": True, "visa": True}
    response = tick(user, trip, rid)
    assert response.status_code == 400
    assert "not a step to tick off" in response.json()["done"][0]
    assert not RequirementTick.objects.exists()
    assert not AuditEntry.objects.filter(action="trip.requirement_done").exists()


def test_the_trip_page_refuses_a_forged_tick_on_carrying_a_passport(passport_catalogue):
    user = employee()
    trip = file_trip(user)
    rid = next(row["id"] for row in requirements_of(user, trip) if row["kind"] == "document")
    response = logged_in(user).post(
        f"/trips/{trip.pk}/requirements/{rid}/", {"done": "1"}, follow=True
    )
    assert "not a step to tick off" in response.content.decode()
    assert not RequirementTick.objects.exists()
