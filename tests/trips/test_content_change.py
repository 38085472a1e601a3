import copy

import pytest

from advisories.packs import pack_import
from tests.factories import api_as, employee, manager
from tests.trips.helpers import TEST_PACK, post_trip, stop
from trips.models import Trip
from trips.signals import briefing_needed

pytestmark = pytest.mark.django_db


def republish(level=None, section_level=None):
    pack = copy.deepcopy(TEST_PACK)
    advisory = pack["countries"][0]["advisory"]
    if level is not None:
        advisory["level"] = level
    if section_level is not None:
        advisory["sections"][0]["level"] = section_level
    advisory["change_note"] = "Escalation"
    pack_import(pack, by=None)


@pytest.fixture
def briefings_requested():
    calls = []

    def listener(sender, trip, reason, changes, **kwargs):
        calls.append((trip.pk, reason, changes))

    briefing_needed.connect(listener, dispatch_uid="test-listener")
    yield calls
    briefing_needed.disconnect(dispatch_uid="test-listener")


def test_an_escalation_sends_an_approved_trip_back_for_a_decision(
    catalogue, django_capture_on_commit_callbacks
):
    traveller = employee()
    trip = post_trip(traveller, stop())
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    assert Trip.objects.get(pk=trip["id"]).status == "approved"
    with django_capture_on_commit_callbacks(execute=True):
        republish(level=4)
    refreshed = Trip.objects.get(pk=trip["id"])
    assert refreshed.status == "pending_approval"
    assert refreshed.risk_level == 4
    assert refreshed.assessments.count() == 2
    assert refreshed.assessments.first().content_versions == {"MN": 2}


def test_a_change_that_needs_no_new_decision_rebriefs_with_what_changed(
    catalogue, briefings_requested, django_capture_on_commit_callbacks
):
    traveller = employee()
    trip = post_trip(traveller, stop(place="Sealed Valley"))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    with django_capture_on_commit_callbacks(execute=True):
        api_as(manager()).post(f"/api/trips/{trip['id']}/approve/", {}, format="json")
    briefings_requested.clear()
    with django_capture_on_commit_callbacks(execute=True):
        republish(section_level=4)
    assert Trip.objects.get(pk=trip["id"]).status == "approved"
    assert [(pk, reason) for pk, reason, _ in briefings_requested] == [
        (trip["id"], "content_changed")
    ]
    assert "advisory was updated" in briefings_requested[0][2][0]
    # The content admin's change note reaches the traveller.
    assert briefings_requested[0][2][0].endswith("(version 2): Escalation")


def test_drafts_cancelled_and_past_trips_are_left_alone(
    catalogue, django_capture_on_commit_callbacks
):
    traveller = employee()
    draft = post_trip(traveller, stop())
    cancelled = post_trip(traveller, stop())
    api_as(traveller).post(f"/api/trips/{cancelled['id']}/cancel/")
    with django_capture_on_commit_callbacks(execute=True):
        republish(level=4)
    assert not Trip.objects.get(pk=draft["id"]).assessments.exists()
    assert not Trip.objects.get(pk=cancelled["id"]).assessments.exists()


def test_completed_trips_are_marked_by_the_daily_task(catalogue):
    import datetime as dt

    from trips.services import trips_complete_past

    traveller = employee()
    trip = post_trip(traveller, stop(arrival=1, departure=2))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    assert trips_complete_past(today=dt.date.today() + dt.timedelta(days=3)) == 1
    assert Trip.objects.get(pk=trip["id"]).status == "completed"


def test_an_announcement_is_idempotent_and_spares_trips_filed_after_it(
    catalogue, briefings_requested, django_capture_on_commit_callbacks
):
    from trips.services import trips_reassess_for_country

    traveller = employee()
    trip = post_trip(traveller, stop(place="Sealed Valley"))
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    with django_capture_on_commit_callbacks(execute=True):
        api_as(manager()).post(f"/api/trips/{trip['id']}/approve/", {}, format="json")
    assessments = Trip.objects.get(pk=trip["id"]).assessments.count()
    briefings_requested.clear()
    # The trip was assessed against version 1: announcing version 1 (a late or repeated
    # delivery) changes nothing for it.
    with django_capture_on_commit_callbacks(execute=True):
        assert trips_reassess_for_country(country_code="MN", version=1) == 0
    assert briefings_requested == []
    with django_capture_on_commit_callbacks(execute=True):
        republish(section_level=4)  # version 2, announced through the hook...
    with django_capture_on_commit_callbacks(execute=True):
        assert trips_reassess_for_country(country_code="MN", version=2) == 0  # ...and again
    assert [pk for pk, _reason, _changes in briefings_requested] == [trip["id"]]
    assert Trip.objects.get(pk=trip["id"]).assessments.count() == assessments + 1


def test_a_draft_rename_or_a_removed_place_row_does_not_change_what_the_rules_see(catalogue):
    """Stops are matched against the published places by what the traveller typed: editing
    the draft (or a pack import recreating place rows) changes nothing until it is published."""
    from advisories.models import Place, match_key
    from trips import selectors

    traveller = employee()
    trip = Trip.objects.get(pk=post_trip(traveller, stop(place="sealed valley"))["id"])

    def permits_and_level():
        result = selectors.trip_assess(trip)
        return [r.place for r in result.requirements if r.kind == "permit"], result.risk_level

    assert permits_and_level() == (["Sealed Valley"], 4)
    Place.objects.filter(name="Sealed Valley").update(
        name="Hidden Valley", key=match_key("Hidden Valley")
    )
    assert permits_and_level() == (["Sealed Valley"], 4)
    Place.objects.filter(name="Hidden Valley").delete()
    trip.refresh_from_db()
    assert permits_and_level() == (["Sealed Valley"], 4)


def test_a_trip_awaiting_a_decision_the_content_no_longer_asks_for_is_approved_and_briefed(
    catalogue, briefings_requested, django_capture_on_commit_callbacks
):
    traveller = employee()
    trip = post_trip(traveller, stop())
    with django_capture_on_commit_callbacks(execute=True):
        republish(level=4)  # a future trip filed at level 2: escalated before submission
    api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    assert Trip.objects.get(pk=trip["id"]).status == "pending_approval"
    briefings_requested.clear()

    with django_capture_on_commit_callbacks(execute=True):
        republish(level=2)

    refreshed = Trip.objects.get(pk=trip["id"])
    assert (refreshed.status, refreshed.risk_level) == ("approved", 2)
    assert refreshed.transitions.order_by("-id").first().comment.startswith("Automatic")
    assert [(pk, reason) for pk, reason, _ in briefings_requested] == [
        (trip["id"], "content_changed")
    ]
    approvals = api_as(manager()).get("/api/approvals/").json()
    assert trip["id"] not in [t["id"] for t in approvals["results"]]


def test_a_traveller_whose_approved_trip_is_sent_back_for_a_decision_is_told(
    catalogue, django_capture_on_commit_callbacks
):
    from django.core import mail

    traveller = employee()
    boss = manager()
    trip = post_trip(traveller, stop())
    with django_capture_on_commit_callbacks(execute=True):
        api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        republish(level=4)
    told = [m for m in mail.outbox if m.to == [traveller.email]]
    assert [m.subject for m in told] == [f'Your trip "{trip["purpose"]}" needs a new decision']
    assert "(version 2): Escalation" in told[0].body
    assert "Risk level changed from 2 to 4." in told[0].body
    (managers_notice,) = [m for m in mail.outbox if m.to == [boss.email]]
    assert "It was approved before this change" in managers_notice.body


def test_a_failing_mail_server_or_trip_does_not_stop_the_others_being_reassessed(
    catalogue, django_capture_on_commit_callbacks, monkeypatch
):
    from trips.services import notifications

    traveller = employee()
    first = post_trip(traveller, stop(arrival=10, departure=12))
    second = post_trip(traveller, stop(arrival=20, departure=22))
    for trip in (first, second):
        api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")

    def broken_mail(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(notifications, "send_templated", broken_mail)
    with django_capture_on_commit_callbacks(execute=True):
        republish(level=4)  # both go back for a decision; every e-mail fails
    assert [Trip.objects.get(pk=t["id"]).status for t in (first, second)] == [
        "pending_approval",
        "pending_approval",
    ]


def test_one_trip_that_cannot_be_reassessed_leaves_the_others_done_and_the_task_retryable(
    catalogue, monkeypatch
):
    from trips import services
    from trips.services import reassessment

    traveller = employee()
    first = post_trip(traveller, stop(arrival=10, departure=12))
    second = post_trip(traveller, stop(arrival=20, departure=22))
    for trip in (first, second):
        api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    pack = copy.deepcopy(TEST_PACK)
    pack["countries"][0]["advisory"]["level"] = 4
    pack["countries"][0]["advisory"]["change_note"] = "Escalation"
    from advisories.packs import pack_import as quiet_import

    quiet_import(pack, by=None)  # published without running the hook's task here
    real = services.trip_reassess

    def flaky(*, trip, **kwargs):
        if trip.pk == first["id"]:
            raise RuntimeError("a bug")
        return real(trip=trip, **kwargs)

    monkeypatch.setattr(reassessment, "trip_reassess", flaky)
    with pytest.raises(services.ReassessmentIncomplete):
        services.trips_reassess_for_country(country_code="MN", version=2)
    assert Trip.objects.get(pk=second["id"]).status == "pending_approval"
    monkeypatch.setattr(reassessment, "trip_reassess", real)
    assert services.trips_reassess_for_country(country_code="MN", version=2) == 1
    assert Trip.objects.get(pk=first["id"]).status == "pending_approval"
