"""A trip that changes after its briefing: the next version says what changed, the old one is
not acknowledged while the trip awaits a new decision, and managers re-brief from the trip
page. Trips are filed, amended and approved through trips.services (the MN test catalogue)."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.test import Client
from pypdf import PdfReader

from briefings import services
from briefings.models import Acknowledgement, Briefing, BriefingStatus
from core.errors import Conflict
from core.templatetags.days import day
from tests.briefings.content import approved_trip
from tests.factories import api_as, employee, logged_in, manager
from trips import services as trip_services
from trips.models import Assessment, TripStatus
from trips.services import StopInput, TripInput, assessment_changes

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def d(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


HARBOUR = StopInput(country="MN", place="Old Harbour", arrival=d(10), departure=d(14))


@pytest.fixture
def briefed(catalogue, django_capture_on_commit_callbacks):
    """A level-2 trip to Old Harbour, approved automatically, with version 1 rendered."""
    traveller = employee(first_name="Dana", last_name="Traveller")
    data = TripInput(purpose="Harbour audit", stops=[HARBOUR])
    with django_capture_on_commit_callbacks(execute=True):
        trip = trip_services.trip_create(by=traveller, data=data)
        trip = trip_services.trip_submit(trip=trip, by=traveller)
    assert trip.status == TripStatus.APPROVED
    first = Briefing.objects.get(trip=trip)
    assert (first.version, first.status, first.changes) == (1, BriefingStatus.READY, [])
    mail.outbox.clear()
    return trip


def amend(trip, capture, *stops: StopInput):
    data = TripInput(purpose=trip.purpose, stops=[HARBOUR, *stops])
    with capture(execute=True):
        return trip_services.trip_update(trip=trip, by=trip.traveller, data=data)


def current(trip) -> Briefing:
    return Briefing.objects.get(trip=trip, superseded=False)


def pdf_text(briefing: Briefing) -> str:
    with storages["private"].open(briefing.file_name) as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- what changed ----------------------------------------------------------------------------


def test_a_briefing_after_an_amendment_a_manager_approved_says_what_changed(
    briefed, django_capture_on_commit_callbacks
):
    trip = amend(
        briefed,
        django_capture_on_commit_callbacks,
        StopInput(country="MN", place="Sealed Valley", arrival=d(14), departure=d(16)),
    )
    assert trip.status == TripStatus.PENDING_APPROVAL
    with django_capture_on_commit_callbacks(execute=True):
        trip_services.trip_approve(trip=trip, by=manager())

    second = current(trip)
    assert (second.version, second.status) == (2, BriefingStatus.READY)
    assert second.changes[0] == "Your itinerary was amended."
    assert "Your risk level rose from 2 to 4." in second.changes
    assert "Your briefing now covers Sealed Valley." in second.changes
    assert f"New requirement: Permit to enter Sealed Valley (due {day(d(10))})." in second.changes
    assert len(second.changes) == len(set(second.changes))

    (message,) = [m for m in mail.outbox if "version 2" in m.subject]
    assert message.to == [trip.traveller.email]
    assert "Permit to enter Sealed Valley" in message.body
    assert "Your risk level rose from 2 to 4." in message.body
    text = pdf_text(second)
    assert "What changed in version 2" in text
    assert "Permit to enter Sealed Valley" in text


def test_an_amendment_approved_automatically_says_what_changed(
    briefed, django_capture_on_commit_callbacks
):
    # A longer stay (7 days: registration) with driving (a permit), still level 2.
    trip = amend(
        briefed,
        django_capture_on_commit_callbacks,
        StopInput(
            country="MN", place="Hill Town", arrival=d(14), departure=d(16), activities=["driving"]
        ),
    )
    assert trip.status == TripStatus.APPROVED
    second = current(trip)
    assert (second.version, second.reason) == (2, "amended")
    assert second.changes[0] == "Your itinerary was amended."
    assert any(c.startswith("New requirement: Register your stay") for c in second.changes)
    assert any("International Driving Permit" in c for c in second.changes)
    assert not any("risk level" in c for c in second.changes)
    (message,) = mail.outbox
    assert "Register your stay" in message.body


def assessed(trip, *, risk_level: int, requirements: list[dict]) -> Assessment:
    """A new assessment of the trip: the same sections and reasons, this level and checklist."""
    first = trip.assessments.last()
    return Assessment.objects.create(
        trip=trip,
        risk_level=risk_level,
        requires_approval=risk_level >= 3,
        approvals_needed=1,
        approval_reasons=first.approval_reasons,
        requirements=requirements,
        sections=first.sections,
        explanation=first.explanation,
        content_versions={"KZ": 1},
    )


PERMIT = {"kind": "permit", "title": "Permit for Baikonur", "due_date": "2027-03-09"}
VISA = {"kind": "visa", "title": "Visa for Kazakhstan", "due_date": "2027-03-01"}


def test_a_content_rebrief_lists_each_sentence_once(django_capture_on_commit_callbacks):
    trip = approved_trip(requirements=[PERMIT])
    with django_capture_on_commit_callbacks(execute=True):
        services.briefing_request(trip=trip, reason="approved")
    before = trip.assessments.first()
    after = assessed(trip, risk_level=5, requirements=[PERMIT, VISA])
    # As trips.services.trip_reassess passes them: its reason, then the same differences.
    reason = "The Kazakhstan advisory was updated (version 2)."
    given = [reason, *assessment_changes(before, after)]
    with django_capture_on_commit_callbacks(execute=True):
        second = services.briefing_request(trip=trip, reason="content_changed", changes=given)
    assert second.changes == [
        reason,
        "Your risk level rose from 4 to 5.",
        "New requirement: Visa for Kazakhstan (due Mon 1 Mar 2027).",
    ]


def test_differences_are_measured_from_the_briefing_the_traveller_last_saw(
    django_capture_on_commit_callbacks,
):
    trip = approved_trip(requirements=[PERMIT])  # risk 4, briefed
    with django_capture_on_commit_callbacks(execute=True):
        services.briefing_request(trip=trip, reason="approved")
    # Re-assessed while it awaited a decision (never briefed), then again and approved.
    unseen = assessed(trip, risk_level=5, requirements=[PERMIT, VISA])
    latest = assessed(trip, risk_level=3, requirements=[PERMIT, VISA])
    given = ["The Kazakhstan advisory was updated.", *assessment_changes(unseen, latest)]
    with django_capture_on_commit_callbacks(execute=True):
        second = services.briefing_request(trip=trip, reason="content_changed", changes=given)
    assert second.changes == [
        "The Kazakhstan advisory was updated.",
        "Your risk level fell from 4 to 3.",
        "New requirement: Visa for Kazakhstan (due Mon 1 Mar 2027).",
    ]


def test_a_rebrief_of_the_same_assessment_changes_nothing(django_capture_on_commit_callbacks):
    trip = approved_trip()
    with django_capture_on_commit_callbacks(execute=True):
        services.briefing_request(trip=trip, reason="approved")
        second = services.briefing_rebrief(trip=trip, by=manager())
    assert (second.version, second.changes) == (2, [])


# --- an out-of-date briefing is not acknowledged -------------------------------------------


def test_a_trip_amended_into_a_new_decision_cannot_acknowledge_its_old_briefing(
    briefed, django_capture_on_commit_callbacks
):
    old = current(briefed)
    trip = amend(
        briefed,
        django_capture_on_commit_callbacks,
        StopInput(country="MN", place="Sealed Valley", arrival=d(14), departure=d(16)),
    )
    assert trip.status == TripStatus.PENDING_APPROVAL
    assert current(trip).pk == old.pk  # still the current version: nothing newer yet

    response = api_as(trip.traveller).post(
        f"/api/briefings/{old.pk}/acknowledge/", {"sha256": old.sha256}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The trip changed and awaits a new decision; a new briefing will follow."
    )

    client = logged_in(trip.traveller)
    page = client.get(f"/trips/{trip.pk}/").content.decode()
    assert "Out of date" in page and "awaits a new decision" in page
    assert f'href="/briefings/{old.pk}/download/"' in page  # still downloadable
    assert "Acknowledge the briefing" not in page
    assert f'action="/briefings/{old.pk}/acknowledge/"' not in page

    # The form's target refuses too, and says why.
    response = client.post(
        f"/briefings/{old.pk}/acknowledge/", {"sha256": old.sha256, "read": "on"}, follow=True
    )
    assert "awaits a new decision" in response.content.decode()
    assert not Acknowledgement.objects.exists()

    dashboard = client.get("/").content.decode()
    assert "acknowledge" not in dashboard.lower()
    assert "Awaiting a security manager" in dashboard


def test_an_acknowledged_briefing_of_a_trip_sent_back_for_a_decision_shows_out_of_date(
    briefed, django_capture_on_commit_callbacks
):
    old = current(briefed)
    services.briefing_acknowledge(briefing=old, user=briefed.traveller, sha256=old.sha256)
    briefed.refresh_from_db()
    assert briefed.status == TripStatus.CLEARED
    trip = amend(
        briefed,
        django_capture_on_commit_callbacks,
        StopInput(country="MN", place="Sealed Valley", arrival=d(14), departure=d(16)),
    )
    page = logged_in(trip.traveller).get(f"/trips/{trip.pk}/").content.decode()
    assert "Out of date" in page
    assert "message-success" not in page  # no "Acknowledged" tick for a replaced itinerary


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (TripStatus.REJECTED, "rejected"),
        (TripStatus.CANCELLED, "cancelled"),
        (TripStatus.SUBMITTED, "awaits a new decision"),
    ],
)
def test_no_briefing_is_acknowledged_unless_the_trip_is_approved(
    status, says, django_capture_on_commit_callbacks
):
    trip = approved_trip()
    with django_capture_on_commit_callbacks(execute=True):
        briefing = services.briefing_request(trip=trip, reason="approved")
    briefing.refresh_from_db()
    trip.status = status
    trip.save(update_fields=["status"])
    with pytest.raises(Conflict, match=says):
        services.briefing_acknowledge(
            briefing=briefing, user=trip.traveller, sha256=briefing.sha256
        )


# --- managers re-brief from the trip page ---------------------------------------------------


def test_a_manager_requests_a_new_briefing_from_the_trip_page(
    briefed, django_capture_on_commit_callbacks
):
    boss = manager()
    client = logged_in(boss)
    action = f'action="/briefings/trips/{briefed.pk}/rebrief/"'
    assert action in client.get(f"/trips/{briefed.pk}/").content.decode()
    assert action not in logged_in(briefed.traveller).get(f"/trips/{briefed.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/briefings/trips/{briefed.pk}/rebrief/", follow=True)
    assert response.redirect_chain[-1][0] == f"/trips/{briefed.pk}/"
    assert "Version 2 of the briefing is being prepared" in response.content.decode()
    second = current(briefed)
    assert (second.version, second.status, second.reason) == (2, BriefingStatus.QUEUED, "requested")
    assert second.requested_by == boss


def test_the_rebrief_button_is_for_managers_with_post_and_csrf_on_approved_trips(
    briefed, django_capture_on_commit_callbacks
):
    url = f"/briefings/trips/{briefed.pk}/rebrief/"
    assert logged_in(briefed.traveller).post(url).status_code == 403
    assert logged_in(employee()).post(url).status_code == 403
    boss = logged_in(manager())
    assert boss.get(url).status_code == 405
    assert boss.post(f"/briefings/trips/{briefed.pk + 999}/rebrief/").status_code == 404
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager())
    assert strict.post(url).status_code == 403
    assert Briefing.objects.filter(trip=briefed).count() == 1

    # Awaiting a decision: no button, and a POST says why and queues nothing.
    trip = amend(
        briefed,
        django_capture_on_commit_callbacks,
        StopInput(country="MN", place="Sealed Valley", arrival=d(14), departure=d(16)),
    )
    assert f'action="{url}"' not in boss.get(f"/trips/{trip.pk}/").content.decode()
    response = boss.post(url, follow=True)
    assert "Only an approved trip gets a briefing" in response.content.decode()
    assert Briefing.objects.filter(trip=trip).count() == 1
