import datetime as dt
import hashlib
from unittest import mock

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.utils import timezone

from briefings import rendering, services
from briefings.models import Acknowledgement, Briefing, BriefingStatus
from briefings.tasks import render_briefing
from core.errors import Conflict, NotAllowed, TransitionNotAllowed
from core.models import AuditEntry
from tests.briefings.content import approved_trip
from tests.factories import employee, manager
from trips.models import Trip, TripStatus
from trips.signals import briefing_needed

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_ready(django_capture_on_commit_callbacks):
    def request(trip, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            briefing = services.briefing_request(
                trip=trip, reason=kwargs.pop("reason", "approved"), **kwargs
            )
        briefing.refresh_from_db()
        return briefing

    return request


def test_a_request_queues_version_one_and_renders_it_on_commit(django_capture_on_commit_callbacks):
    trip = approved_trip()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        briefing = services.briefing_request(trip=trip, reason="approved")
    assert briefing.status == BriefingStatus.QUEUED and briefing.version == 1
    assert len(callbacks) == 1  # nothing is enqueued inside the transaction

    callbacks[0]()
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.READY
    assert briefing.attempts == 1
    with storages["private"].open(briefing.file_name) as handle:
        data = handle.read()
    assert data.startswith(b"%PDF") and briefing.size == len(data)
    assert briefing.sha256 == rendering.sha256_hex(data)
    assert briefing.content_versions == {"KZ": 1}


def test_a_new_version_supersedes_the_old_one_and_unclears_the_trip(request_ready):
    trip = approved_trip()
    first = request_ready(trip)
    services.briefing_acknowledge(briefing=first, user=trip.traveller, sha256=first.sha256)
    trip.refresh_from_db()
    assert trip.status == TripStatus.CLEARED

    second = request_ready(
        trip, reason="content_changed", changes=["Risk level changed from 2 to 3."]
    )

    first.refresh_from_db()
    trip.refresh_from_db()
    assert (first.superseded, second.superseded, second.version) == (True, False, 2)
    assert first.status == BriefingStatus.READY  # kept
    assert trip.status == TripStatus.APPROVED
    assert second.changes == ["Risk level changed from 2 to 3."]
    assert Briefing.objects.filter(trip=trip, superseded=False).count() == 1


def test_only_an_approved_or_cleared_trip_gets_a_briefing():
    trip = approved_trip(status=TripStatus.PENDING_APPROVAL)
    with pytest.raises(TransitionNotAllowed):
        services.briefing_request(trip=trip, reason="approved")


def test_the_briefing_needed_signal_queues_a_briefing(django_capture_on_commit_callbacks):
    trip = approved_trip()
    with django_capture_on_commit_callbacks(execute=True):
        briefing_needed.send(sender=type(trip), trip=trip, reason="amended", changes=["x"], by=None)
    briefing = Briefing.objects.get(trip=trip)
    assert (briefing.reason, briefing.changes, briefing.status) == ("amended", ["x"], "ready")


# --- the claim ------------------------------------------------------------------------------


def queued(trip) -> Briefing:
    return Briefing.objects.create(
        trip=trip,
        version=1,
        reason="approved",
        content_versions={"KZ": 1},
        queued_at=timezone.now(),
    )


def test_a_duplicate_delivery_renders_nothing_twice():
    briefing = queued(approved_trip())
    with mock.patch(
        "briefings.rendering.render_briefing_pdf", wraps=rendering.render_briefing_pdf
    ) as spy:
        assert render_briefing.apply(args=[briefing.pk]).get() == "ready"
        assert render_briefing.apply(args=[briefing.pk]).get() == "skipped"
        assert services.briefing_render(briefing_id=briefing.pk) is None
    assert spy.call_count == 1
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts) == (BriefingStatus.READY, 1)
    assert storages["private"].listdir(f"briefings/trip-{briefing.trip_id}")[1] == [
        f"briefing-{briefing.pk}-v1.pdf"
    ]


def test_a_render_in_progress_is_not_claimed_but_one_whose_heartbeat_stopped_is():
    briefing = queued(approved_trip())
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    Briefing.objects.filter(pk=briefing.pk).update(
        status="rendering", claimed_at=long_ago, heartbeat_at=timezone.now()
    )
    assert services.briefing_render(briefing_id=briefing.pk) is None

    silent = timezone.now() - services.HEARTBEAT_STALE - dt.timedelta(seconds=1)
    Briefing.objects.filter(pk=briefing.pk).update(heartbeat_at=silent)
    assert services.briefing_render(briefing_id=briefing.pk).status == BriefingStatus.READY


def test_a_superseded_briefing_is_not_rendered():
    briefing = queued(approved_trip())
    Briefing.objects.filter(pk=briefing.pk).update(superseded=True)
    assert services.briefing_render(briefing_id=briefing.pk) is None


def test_a_version_superseded_while_queued_is_never_rendered_and_says_so(
    django_capture_on_commit_callbacks,
):
    trip = approved_trip()
    first = queued(trip)
    second = services.briefing_request(trip=trip, reason="amended")
    first.refresh_from_db()
    assert (first.status, first.superseded) == (BriefingStatus.SKIPPED, True)
    assert first.error == "Superseded by version 2 before it was rendered."
    assert services.briefing_render(briefing_id=first.pk) is None
    assert services.briefing_render(briefing_id=second.pk).status == BriefingStatus.READY


def test_a_briefing_queued_for_a_trip_cancelled_meanwhile_is_not_rendered():
    briefing = queued(approved_trip())
    Trip.objects.filter(pk=briefing.trip_id).update(status=TripStatus.CANCELLED)
    with mock.patch("briefings.rendering.render_briefing_pdf") as render:
        assert render_briefing.apply(args=[briefing.pk]).get() == "skipped"
    render.assert_not_called()
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.SKIPPED
    assert "no longer approved" in briefing.error
    # The sweeper leaves it alone: nothing is queued any more.
    later = timezone.now() + dt.timedelta(hours=1)
    assert services.briefings_requeue_stuck(now=later) == []


@pytest.fixture
def eager_retries():
    # An eager task's retry runs in-process only when failures do not propagate.
    from portal.celery import app

    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = True


def test_transient_errors_are_retried_then_the_briefing_fails_with_its_error(eager_retries):
    briefing = queued(approved_trip())
    with mock.patch("briefings.rendering.render_briefing_pdf", side_effect=OSError("disk full")):
        render_briefing.apply(args=[briefing.pk])
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.FAILED
    assert briefing.attempts == 4  # the first try and three retries
    assert briefing.error == "OSError: disk full"
    assert AuditEntry.objects.filter(action="briefing.failed", object_id=str(briefing.pk)).exists()


def test_a_content_or_template_error_fails_at_once():
    briefing = queued(approved_trip())
    with mock.patch("briefings.rendering.render_briefing_pdf", side_effect=KeyError("level")):
        assert render_briefing.apply(args=[briefing.pk]).get() == "failed"
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts) == (BriefingStatus.FAILED, 1)
    assert "KeyError" in briefing.error


def test_a_transient_error_then_success_ends_ready(eager_retries):
    briefing = queued(approved_trip())
    real = rendering.render_briefing_pdf
    calls = iter([OSError("blip")])

    def flaky(document, **kwargs):
        for error in calls:
            raise error
        return real(document, **kwargs)

    with mock.patch("briefings.rendering.render_briefing_pdf", side_effect=flaky):
        render_briefing.apply(args=[briefing.pk])
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts, briefing.error) == ("ready", 2, "")


def test_a_manager_retries_a_failed_render(django_capture_on_commit_callbacks):
    briefing = queued(approved_trip())
    Briefing.objects.filter(pk=briefing.pk).update(status="failed", error="boom")
    with pytest.raises(NotAllowed):
        services.briefing_retry(briefing=briefing, by=briefing.trip.traveller)

    boss = manager()
    with django_capture_on_commit_callbacks(execute=True):
        services.briefing_retry(briefing=briefing, by=boss)
    briefing.refresh_from_db()
    assert (briefing.status, briefing.error) == ("ready", "")
    with pytest.raises(Conflict):
        services.briefing_retry(briefing=briefing, by=boss)


def test_the_sweeper_requeues_lost_briefings_and_renders_whose_heartbeat_stopped(
    django_capture_on_commit_callbacks,
):
    trip_one, trip_two, trip_three = approved_trip(), approved_trip(), approved_trip()
    now = timezone.now()
    lost = queued(trip_one)
    Briefing.objects.filter(pk=lost.pk).update(queued_at=now - dt.timedelta(minutes=3))
    stuck = queued(trip_two)
    Briefing.objects.filter(pk=stuck.pk).update(
        status="rendering",
        claimed_at=now - dt.timedelta(minutes=1),
        heartbeat_at=now - services.HEARTBEAT_STALE - dt.timedelta(seconds=1),
    )
    fresh = queued(trip_three)

    with (
        mock.patch("briefings.tasks.render_briefing.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ids = services.briefings_requeue_stuck(now=now)
    assert sorted(ids) == sorted([lost.pk, stuck.pk])
    assert sorted(call.kwargs["kwargs"]["briefing_id"] for call in send.call_args_list) == sorted(
        ids
    )
    stuck.refresh_from_db()
    assert stuck.status == BriefingStatus.QUEUED

    with django_capture_on_commit_callbacks(execute=True):  # eager: renders
        services.briefings_requeue_stuck(now=now + dt.timedelta(minutes=3))
    for briefing in (lost, stuck, fresh):
        briefing.refresh_from_db()
        assert briefing.status == BriefingStatus.READY


# --- acknowledgement ------------------------------------------------------------------------


def test_the_traveller_acknowledges_the_latest_ready_briefing_and_the_trip_is_cleared(
    request_ready,
):
    trip = approved_trip()
    briefing = request_ready(trip)

    acknowledgement = services.briefing_acknowledge(
        briefing=briefing, user=trip.traveller, sha256=briefing.sha256.upper(), ip="203.0.113.9"
    )

    assert (acknowledgement.user, acknowledgement.ip, acknowledgement.sha256) == (
        trip.traveller,
        "203.0.113.9",
        briefing.sha256,
    )
    trip.refresh_from_db()
    assert trip.status == TripStatus.CLEARED
    entry = AuditEntry.objects.get(action="briefing.acknowledged")
    assert (entry.actor, entry.ip, entry.details["sha256"]) == (
        trip.traveller,
        "203.0.113.9",
        briefing.sha256,
    )


def test_acknowledging_a_wrong_digest_an_old_version_or_twice_is_a_conflict(request_ready):
    trip = approved_trip()
    old = request_ready(trip)
    with pytest.raises(Conflict):
        services.briefing_acknowledge(briefing=old, user=trip.traveller, sha256="0" * 64)
    new = request_ready(trip, reason="amended")
    with pytest.raises(Conflict):
        services.briefing_acknowledge(briefing=old, user=trip.traveller, sha256=old.sha256)
    services.briefing_acknowledge(briefing=new, user=trip.traveller, sha256=new.sha256)
    with pytest.raises(Conflict):
        services.briefing_acknowledge(briefing=new, user=trip.traveller, sha256=new.sha256)
    assert Acknowledgement.objects.count() == 1


def test_only_the_traveller_may_acknowledge(request_ready):
    trip = approved_trip()
    briefing = request_ready(trip)
    for someone in (manager(), employee()):
        with pytest.raises(NotAllowed):
            services.briefing_acknowledge(briefing=briefing, user=someone, sha256=briefing.sha256)


def test_a_queued_briefing_cannot_be_acknowledged():
    trip = approved_trip()
    briefing = queued(trip)
    with pytest.raises(Conflict):
        services.briefing_acknowledge(briefing=briefing, user=trip.traveller, sha256="a" * 64)


# --- e-mail ---------------------------------------------------------------------------------


def test_the_traveller_is_told_the_briefing_is_ready_with_a_link_not_the_pdf(request_ready):
    trip = approved_trip()
    request_ready(trip)
    (message,) = mail.outbox
    assert message.to == [trip.traveller.email]
    assert "ready" in message.subject
    assert f"/trips/{trip.pk}/" in message.body
    assert message.attachments == []


def test_a_company_that_asks_for_it_gets_the_pdf_attached(request_ready, settings):
    settings.BRIEFING_EMAIL_ATTACHMENT = True
    trip = approved_trip()
    briefing = request_ready(trip)
    (message,) = mail.outbox
    ((name, content, mimetype),) = message.attachments
    assert (name, mimetype) == (briefing.download_name, "application/pdf")
    assert hashlib.sha256(content).hexdigest() == briefing.sha256
    assert f"/trips/{trip.pk}/" in message.body


def test_a_rebrief_says_what_changed(request_ready):
    trip = approved_trip()
    request_ready(trip)
    request_ready(trip, reason="content_changed", changes=["New requirement: Permit for Baikonur."])
    message = mail.outbox[-1]
    assert "version 2" in message.subject
    assert "New requirement: Permit for Baikonur." in message.body


# --- reminders ------------------------------------------------------------------------------

TODAY = dt.date(2027, 3, 1)


def test_travellers_departing_within_7_days_are_reminded_and_managers_within_2(request_ready):
    boss = manager(email="boss@example.com")
    soon = approved_trip(first_arrival=TODAY + dt.timedelta(days=2))
    week = approved_trip(first_arrival=TODAY + dt.timedelta(days=7))
    later = approved_trip(first_arrival=TODAY + dt.timedelta(days=8))
    done = approved_trip(first_arrival=TODAY + dt.timedelta(days=1))
    for trip in (soon, week, later, done):
        request_ready(trip)
    acknowledged = Briefing.objects.get(trip=done)
    services.briefing_acknowledge(
        briefing=acknowledged, user=done.traveller, sha256=acknowledged.sha256
    )
    mail.outbox.clear()

    result = services.briefing_send_reminders(today=TODAY)

    assert result == {"travellers": 2, "urgent_trips": 1}
    to = sorted(address for message in mail.outbox for address in message.to)
    assert to == sorted([soon.traveller.email, week.traveller.email, boss.email])
    managers_mail = next(m for m in mail.outbox if m.to == [boss.email])
    assert f"Trip #{soon.pk}" in managers_mail.body and f"#{week.pk}" not in managers_mail.body

    mail.outbox.clear()
    assert services.briefing_send_reminders(today=TODAY) == {"travellers": 0, "urgent_trips": 0}
    assert mail.outbox == []
    # The next day, the trip 8 days out enters the window too.
    assert services.briefing_send_reminders(today=TODAY + dt.timedelta(days=1))["travellers"] == 3


def test_managers_hear_of_an_imminent_trip_whose_briefing_failed():
    boss = manager()
    trip = approved_trip(first_arrival=TODAY + dt.timedelta(days=1))
    briefing = queued(trip)
    Briefing.objects.filter(pk=briefing.pk).update(status="failed", error="boom")

    assert services.briefing_send_reminders(today=TODAY) == {"travellers": 0, "urgent_trips": 1}
    (message,) = mail.outbox
    assert message.to == [boss.email] and "failed" in message.body
