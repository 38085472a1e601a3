"""An incident re-assesses the trips it touches on a real Celery worker (Redis), after its
declaration commits (issue 22): a critical one sends an approved trip back for a decision;
closed, the trip no longer needs one and is approved again."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from tests.factories import api_as, employee, manager
from tests.trips.helpers import file_trip
from tests.workers import celery_worker_factory  # noqa: F401 (a fixture)
from trips.models import Trip, TripStatus

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def wait_for_status(trip_id: int, status: str, *, worker, timeout: float = 60) -> Trip:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        trip = Trip.objects.get(pk=trip_id)
        if trip.status == status:
            return trip
        time.sleep(0.25)
    raise AssertionError(f"Trip {trip_id} is not {status} within {timeout}s\n{worker.output()}")


def test_a_critical_incident_and_its_closing_reassess_the_trip_on_the_worker(
    catalogue,
    celery_worker_factory,  # noqa: F811
):
    worker = celery_worker_factory().start()
    trip = file_trip(employee(), start=1)
    assert trip.status == TripStatus.APPROVED
    boss = api_as(manager())

    declared = boss.post(
        "/api/incidents/",
        {
            "title": "Earthquake in Old Harbour",
            "severity": "critical",
            "category": "natural_hazards",
            "country": "MN",
            "places": ["Old Harbour"],
            "starts_on": days(-5).isoformat(),
        },
        format="json",
    )
    assert declared.status_code == 201, declared.json()
    pending = wait_for_status(trip.pk, TripStatus.PENDING_APPROVAL, worker=worker)
    assert pending.risk_level == 4
    assert "Task trips.tasks.reassess_trips[" in worker.output()

    closed = boss.patch(
        f"/api/incidents/{declared.json()['id']}/",
        {"ends_on": days(-4).isoformat(), "lookahead_days": 0},
        format="json",
    )
    assert closed.status_code == 200, closed.json()
    approved = wait_for_status(trip.pk, TripStatus.APPROVED, worker=worker)
    assert approved.risk_level == 2
    assert approved.assessments.first().incidents == []
