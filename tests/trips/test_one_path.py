"""A page and its API endpoint run the same service with the same checks: the same bad input
gets the same refusal, in the same words, through both, and changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from tests.factories import api_as, employee, logged_in, manager
from tests.trips.helpers import d, file_trip, trip_links
from trips import services
from trips.models import NOTE_MAX_LENGTH, Decision, Trip, TripStatus

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (NOTE_MAX_LENGTH + 1)
KEEP_IT_SHORT = "Keep it to 2000 characters (this has 2001)."


def page_messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def pending(catalogue):
    """A trip to a closed area, awaiting a decision."""
    return file_trip(employee(), place="Sealed Valley")


@pytest.mark.parametrize(
    ("action", "field", "body", "message"),
    [
        ("reject", "reason", {}, "A rejection needs a reason."),
        ("reject", "reason", {"reason": "   "}, "A rejection needs a reason."),
        ("reject", "reason", {"reason": TOO_LONG}, KEEP_IT_SHORT),
        (
            "approve",
            "comment",
            {"comment": TOO_LONG},
            "Keep it to 2000 characters (this has 2001).",
        ),
    ],
    ids=["no-reason", "blank-reason", "long-reason", "long-comment"],
)
def test_a_decision_with_a_bad_note_is_refused_alike_by_the_page_and_the_api(
    pending, action, field, body, message
):
    deciding = manager()
    api = api_as(deciding).post(f"/api/trips/{pending.pk}/{action}/", body, format="json")
    assert api.status_code == 400
    assert api.json() == {field: [message]}

    page = logged_in(deciding).post(f"/trips/{pending.pk}/{action}/", body, follow=True)
    assert message in page_messages(page)

    pending.refresh_from_db()
    assert pending.status == TripStatus.PENDING_APPROVAL
    assert not Decision.objects.filter(trip=pending).exists()


def test_a_cancellation_with_a_long_note_is_refused_alike_by_the_page_and_the_api(pending):
    traveller = pending.traveller
    api = api_as(traveller).post(
        f"/api/trips/{pending.pk}/cancel/", {"reason": TOO_LONG}, format="json"
    )
    assert api.status_code == 400
    assert api.json() == {"reason": ["Keep it to 2000 characters (this has 2001)."]}
    page = logged_in(traveller).post(f"/trips/{pending.pk}/cancel/", {"reason": TOO_LONG})
    assert "Keep it to 2000 characters (this has 2001)." in page_messages(page)
    pending.refresh_from_db()
    assert pending.status == TripStatus.PENDING_APPROVAL


def test_the_cancel_service_itself_refuses_someone_elses_trip(pending):
    with pytest.raises(services.NotAllowed):
        services.trip_cancel(trip=pending, by=employee())
    pending.refresh_from_db()
    assert pending.status == TripStatus.PENDING_APPROVAL


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", 2), ("risk_level=4", 2), ("risk_level=1", 0), ("risk_level=unknown", 0)],
)
def test_the_approval_queue_filters_mean_the_same_on_the_page_and_in_the_api(
    catalogue, query, expected
):
    file_trip(employee(), place="Sealed Valley", start=30)
    file_trip(employee(), place="Sealed Valley", start=5)
    file_trip(employee())  # approved automatically: never in the queue
    reader = manager()
    api = api_as(reader).get(f"/api/approvals/?{query}")
    assert api.status_code == 200
    assert api.json()["count"] == expected
    assert trip_links(logged_in(reader).get(f"/approvals/?{query}")) == expected


def test_an_unknown_risk_is_found_by_the_queue_filter_in_both(catalogue):
    unknown = file_trip(employee(), country="KZ", place="")  # no advisory for KZ here
    reader = manager()
    api = api_as(reader).get("/api/approvals/?risk_level=unknown").json()
    assert [row["id"] for row in api["results"]] == [unknown.pk]
    assert trip_links(logged_in(reader).get("/approvals/?risk_level=unknown")) == 1


def test_the_second_approval_filter_works_in_both(catalogue):
    from trips.models import ApprovalPolicy

    policy = ApprovalPolicy.current()
    policy.dual_approval_level = 4
    policy.save()
    waiting = file_trip(employee(), place="Sealed Valley")
    file_trip(employee(), place="Sealed Valley", start=20)
    first = manager()
    manager()  # a second manager exists, so the trip is not stuck
    services.trip_approve(trip=waiting, by=first)
    reader = manager()
    api = api_as(reader).get("/api/approvals/?second=1").json()
    assert [row["id"] for row in api["results"]] == [waiting.pk]
    assert trip_links(logged_in(reader).get("/approvals/?second=1")) == 1


def test_a_bad_risk_level_is_refused_by_both(catalogue):
    file_trip(employee(), place="Sealed Valley")
    reader = manager()
    api = api_as(reader).get("/api/approvals/?risk_level=9")
    assert api.status_code == 400
    assert api.json() == {"risk_level": ['A risk level from 1 to 5, or "unknown".']}
    page = logged_in(reader).get("/approvals/?risk_level=9").content.decode()
    assert "A risk level from 1 to 5, or &quot;unknown&quot;." in page


@pytest.mark.parametrize("days", ["366", "-1", "abc", "9" * 5000])
def test_a_bad_compliance_period_is_refused_by_both_with_the_same_words(catalogue, days):
    reader = manager()
    api = api_as(reader).get("/api/compliance/", {"days": days})
    assert api.status_code == 400
    assert api.json() == {"days": ["A whole number of days from 0 to 365."]}
    page = logged_in(reader).get("/compliance/", {"days": days}).content.decode()
    assert "A whole number of days from 0 to 365. Showing 14." in page


@pytest.mark.parametrize("days", ["0", "1", "365"])
def test_the_same_compliance_periods_are_accepted_by_both(catalogue, days):
    file_trip(employee(), place="Sealed Valley", start=0, days=3)
    reader = manager()
    assert api_as(reader).get("/api/compliance/", {"days": days}).status_code == 200
    page = logged_in(reader).get("/compliance/", {"days": days}).content.decode()
    assert "Showing 14" not in page


def test_the_trip_knows_what_its_state_allows(catalogue):
    draft = file_trip(employee(), submit=False)
    assert draft.is_draft and draft.can_edit and draft.can_cancel
    assert not draft.is_awaiting_decision
    pending = file_trip(employee(), place="Sealed Valley", start=20)
    assert pending.is_awaiting_decision and pending.can_amend and not pending.is_draft
    services.trip_cancel(trip=pending, by=pending.traveller)
    cancelled = Trip.objects.get(pk=pending.pk)
    assert not (cancelled.can_edit or cancelled.can_cancel or cancelled.is_awaiting_decision)
    assert d(0) <= draft.first_arrival
