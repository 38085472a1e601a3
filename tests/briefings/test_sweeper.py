"""The sweeper (beat, every 30 s): renders whose worker died are re-queued within a minute,
and trips a lost or failed re-assessment left on older content are re-assessed."""

from __future__ import annotations

import copy
import datetime as dt
import time
from unittest import mock

import pytest
from django.utils import timezone

from advisories.packs import pack_import
from briefings import rendering, services
from briefings.models import Briefing, BriefingStatus
from core.models import OutboxMessage
from tests.briefings.content import approved_trip
from tests.factories import api_as, employee
from tests.trips.helpers import TEST_PACK, post_trip, stop
from trips.models import Trip, TripStatus


@pytest.fixture
def catalogue(db):
    pack_import(copy.deepcopy(TEST_PACK), by=None)


def escalate_mn() -> None:
    pack = copy.deepcopy(TEST_PACK)
    pack["countries"][0]["advisory"].update(level=4, change_note="Escalation")
    pack_import(pack, by=None)


def approved_mn_trip(django_capture_on_commit_callbacks) -> Trip:
    traveller = employee()
    trip = post_trip(traveller, stop())
    with django_capture_on_commit_callbacks(execute=True):
        api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    return Trip.objects.get(pk=trip["id"])


@pytest.mark.django_db
def test_a_lost_reassessment_is_redone_by_the_sweeper_after_its_grace_and_only_once(
    catalogue, django_capture_on_commit_callbacks
):
    trip = approved_mn_trip(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        escalate_mn()
    # The broker took the message and lost it (Redis restarted without persistence).
    OutboxMessage.objects.filter(key="trips.reassess:MN:2").update(sent_at=timezone.now())
    assert trip.assessments.first().content_versions == {"MN": 1}

    with django_capture_on_commit_callbacks(execute=True):
        services.briefings_requeue_stuck()  # the publication's own fan-out still has time
    assert Trip.objects.get(pk=trip.pk).status == TripStatus.APPROVED

    later = timezone.now() + dt.timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.briefings_requeue_stuck(now=later)
    trip.refresh_from_db()
    assert trip.status == TripStatus.PENDING_APPROVAL
    assert trip.assessments.first().content_versions == {"MN": 2}

    with django_capture_on_commit_callbacks(execute=True):
        services.briefings_requeue_stuck(now=later + dt.timedelta(minutes=5))
    assert trip.assessments.count() == 2
    assert OutboxMessage.objects.filter(key__startswith="trips.reassess:MN:2").count() == 2


@pytest.mark.django_db
def test_the_sweeper_leaves_a_reassessment_that_still_waits_for_the_broker_to_the_relay(
    catalogue, django_capture_on_commit_callbacks
):
    approved_mn_trip(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        escalate_mn()
    with django_capture_on_commit_callbacks(execute=True):
        services.briefings_requeue_stuck(now=timezone.now() + dt.timedelta(minutes=3))
    assert list(
        OutboxMessage.objects.filter(key__startswith="trips.reassess:MN:2").values_list(
            "key", flat=True
        )
    ) == ["trips.reassess:MN:2"]


@pytest.mark.django_db
def test_a_render_whose_heartbeat_stopped_is_requeued_within_a_minute_but_a_live_one_is_not(
    django_capture_on_commit_callbacks,
):
    now = timezone.now()
    live, dead = queued_briefing(), queued_briefing()
    Briefing.objects.filter(pk=live.pk).update(
        status="rendering", claimed_at=now - dt.timedelta(minutes=5), heartbeat_at=now
    )
    Briefing.objects.filter(pk=dead.pk).update(
        status="rendering", claimed_at=now - dt.timedelta(seconds=50), heartbeat_at=None
    )
    with (
        mock.patch("briefings.tasks.render_briefing.apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.briefings_requeue_stuck(now=now) == [dead.pk]
    assert [call.kwargs["kwargs"] for call in send.call_args_list] == [{"briefing_id": dead.pk}]
    assert Briefing.objects.get(pk=dead.pk).status == BriefingStatus.QUEUED
    assert Briefing.objects.get(pk=live.pk).status == BriefingStatus.RENDERING
    silent = now + services.HEARTBEAT_STALE + dt.timedelta(seconds=1)
    with (
        mock.patch("briefings.tasks.render_briefing.apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert services.briefings_requeue_stuck(now=silent) == [live.pk]


def queued_briefing() -> Briefing:
    return Briefing.objects.create(
        trip=approved_trip(), version=1, reason="approved", queued_at=timezone.now()
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_refreshes_the_heartbeat_while_it_renders():
    briefing = queued_briefing()
    seen: list[dt.datetime | None] = []
    original = rendering.render_briefing_pdf

    def slow(*args, **kwargs):
        for _ in range(3):
            time.sleep(0.3)
            seen.append(Briefing.objects.get(pk=briefing.pk).heartbeat_at)
        return original(*args, **kwargs)

    with (
        mock.patch.object(services, "HEARTBEAT_EVERY", dt.timedelta(seconds=0.1)),
        mock.patch("briefings.rendering.render_briefing_pdf", slow),
    ):
        rendered = services.briefing_render(briefing_id=briefing.pk)
    assert rendered is not None and rendered.status == BriefingStatus.READY
    assert len(set(seen)) == 3  # a new beat each time it looked
    assert seen[0] > rendered.claimed_at


@pytest.mark.django_db
def test_trips_left_on_older_content_are_found_in_a_fixed_number_of_queries(
    catalogue, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from trips import selectors

    for _ in range(3):
        approved_mn_trip(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        escalate_mn()
    later = timezone.now() + dt.timedelta(minutes=3)
    with django_assert_max_num_queries(3):
        found = selectors.countries_with_trips_on_older_content(
            today=timezone.localdate(), published_before=later
        )
    assert found == {"MN": 2}
    # Filed after the publication: assessed against version 2, nothing left behind.
    Trip.objects.exclude(status=TripStatus.DRAFT).update(status=TripStatus.CANCELLED)
    approved_mn_trip(django_capture_on_commit_callbacks)
    assert (
        selectors.countries_with_trips_on_older_content(
            today=timezone.localdate(), published_before=later
        )
        == {}
    )
