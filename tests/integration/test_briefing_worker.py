"""A briefing rendered by a real Celery worker on Redis: approved, rendered, downloaded,
read with pypdf, acknowledged; and a worker killed in the middle of a render."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from briefings import services
from briefings.models import Briefing, BriefingStatus
from core.templatetags.days import day
from tests.briefings.content import approved_trip, publish_kz
from tests.factories import StopFactory, TripFactory, api_as, employee
from trips import services as trip_services
from trips.models import TripStatus

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


def wait_for(predicate, *, timeout: float, message: str, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    log = worker.output()[-4000:] if worker else ""
    raise AssertionError(f"{message} within {timeout}s\n{log}")


def test_an_approved_trip_gets_its_briefing_from_the_worker_and_is_cleared_once_acknowledged(
    celery_worker_factory, settings
):
    worker = celery_worker_factory().start()
    publish_kz()
    traveller = employee(first_name="Dana", last_name="Integration")
    traveller.profile.nationality = "GB"
    traveller.profile.save()
    trip = TripFactory(traveller=traveller, purpose="Supplier audit in Almaty")
    StopFactory(
        trip=trip,
        position=0,
        place_text="Almaty",
        arrival=dt.date(2027, 3, 1),
        departure=dt.date(2027, 3, 12),
        activities=[],
    )
    trip.first_arrival, trip.last_departure = dt.date(2027, 3, 1), dt.date(2027, 3, 12)
    trip.save()

    trip = trip_services.trip_submit(trip=trip, by=traveller)  # assessed, below threshold
    trip.refresh_from_db()
    assert trip.status == TripStatus.APPROVED

    briefing = wait_for(
        lambda: Briefing.objects.filter(trip=trip, status=BriefingStatus.READY).first(),
        timeout=90,
        message="The briefing did not become ready",
        worker=worker,
    )
    client = api_as(traveller)
    listed = client.get(reverse("api-trip-briefings", args=[trip.pk])).json()["results"]
    assert listed[0]["status"] == "ready" and listed[0]["sha256"] == briefing.sha256

    response = client.get(reverse("api-briefing-pdf", args=[briefing.pk]))
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Dana Integration" in text
    assert "Almaty" in text and "Kazakhstan" in text
    requirements = trip.assessments.first().requirements
    assert requirements, "the engine should ask a 11-day stay in Kazakhstan to register"
    for requirement in requirements:
        assert requirement["title"] in text
        if requirement["due_date"]:
            assert day(requirement["due_date"]) in text  # as the pages write dates
    assert "112" in text  # an emergency number
    assert "Sources and content versions" in text

    acknowledged = client.post(
        reverse("api-briefing-acknowledge", args=[briefing.pk]),
        {"sha256": briefing.sha256},
        format="json",
    )
    assert acknowledged.status_code == 200
    trip.refresh_from_db()
    assert trip.status == TripStatus.CLEARED


def test_a_render_killed_with_its_worker_still_ends_ready_exactly_once(celery_worker_factory):
    slow = celery_worker_factory().start(render_delay=60)
    trip = approved_trip()
    briefing = services.briefing_request(trip=trip, reason="approved")  # enqueued on commit

    wait_for(
        lambda: Briefing.objects.filter(pk=briefing.pk, status=BriefingStatus.RENDERING).exists(),
        timeout=60,
        message="The worker did not claim the briefing",
        worker=slow,
    )
    slow.kill()  # SIGKILL mid-render: the task is neither acked nor finished

    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts) == (BriefingStatus.RENDERING, 1)

    fresh = celery_worker_factory().start()
    # Redis would hand the unacked task back after its visibility timeout (an hour); the
    # beat sweeper (every 30 s) takes the render back once its heartbeat, which died with the
    # worker, is HEARTBEAT_STALE old: within a minute.
    assert services.briefings_requeue_stuck() == []
    silent = timezone.now() + services.HEARTBEAT_STALE + dt.timedelta(seconds=1)
    assert services.briefings_requeue_stuck(now=silent) == [briefing.pk]
    wait_for(
        lambda: Briefing.objects.filter(pk=briefing.pk, status=BriefingStatus.READY).exists(),
        timeout=90,
        message="The briefing did not become ready after the restart",
        worker=fresh,
    )
    briefing.refresh_from_db()
    assert briefing.attempts == 2
    rendered_at, digest = briefing.rendered_at, briefing.sha256

    # The killed delivery coming back late (or any duplicate) renders nothing.
    from briefings.tasks import render_briefing

    render_briefing.delay(briefing.pk)
    fresh.wait_for_log(f"Briefing {briefing.pk}: nothing to claim", timeout=30)
    briefing.refresh_from_db()
    assert (briefing.status, briefing.attempts, briefing.rendered_at, briefing.sha256) == (
        BriefingStatus.READY,
        2,
        rendered_at,
        digest,
    )
    assert fresh.output().count(f"Briefing {briefing.pk} rendered") == 1
    _dirs, files = storages["private"].listdir(f"briefings/trip-{trip.pk}")
    assert files == [f"briefing-{briefing.pk}-v1.pdf"]
    with storages["private"].open(briefing.file_name) as handle:
        assert services_sha(handle.read()) == digest


def services_sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()
