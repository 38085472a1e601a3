"""The security managers' page of failed briefings, with its retry button."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from briefings.models import Briefing, BriefingStatus
from core.models import AuditEntry
from tests.briefings.content import approved_trip, publish_kz
from tests.factories import employee, logged_in, manager
from trips.models import TripStatus

pytestmark = pytest.mark.django_db


def failed_briefing(trip, *, error="OSError: disk full", version=1, superseded=False) -> Briefing:
    return Briefing.objects.create(
        trip=trip,
        version=version,
        reason="approved",
        content_versions={"KZ": 1},
        queued_at=timezone.now(),
        status=BriefingStatus.FAILED,
        error=error,
        attempts=4,
        superseded=superseded,
    )


def test_the_failed_briefings_page_is_for_managers_only(client):
    assert (
        client.get("/briefings/failed/")["Location"] == "/accounts/login/?next=/briefings/failed/"
    )
    assert logged_in(employee()).get("/briefings/failed/").status_code == 403


def test_managers_see_current_failures_soonest_departure_first_with_the_error():
    version = publish_kz()
    later = approved_trip(version=version, first_arrival=dt.date(2027, 5, 1))
    sooner = approved_trip(version=version, first_arrival=dt.date(2027, 4, 1))
    failed_briefing(later, error="TemplateSyntaxError: bad tag")
    failed_briefing(sooner, error="OSError: disk full")
    # Not listed: an older version already replaced, and a cancelled trip.
    replaced = approved_trip(version=version)
    failed_briefing(replaced, error="old failure", superseded=True)
    cancelled = approved_trip(version=version, status=TripStatus.CANCELLED)
    failed_briefing(cancelled, error="cancelled failure")

    response = logged_in(manager()).get("/briefings/failed/")
    body = response.content.decode()
    assert response.status_code == 200
    assert [b.trip_id for b in response.context["briefings"]] == [sooner.pk, later.pk]
    assert body.index("OSError: disk full") < body.index("TemplateSyntaxError: bad tag")
    assert "old failure" not in body and "cancelled failure" not in body
    assert body.count('name="csrfmiddlewaretoken"') >= 2


def test_the_retry_button_queues_the_render_again_and_is_audited(
    django_capture_on_commit_callbacks,
):
    trip = approved_trip()
    briefing = failed_briefing(trip)
    boss = manager()
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(boss).post(f"/briefings/{briefing.pk}/retry/", follow=True)
    assert response.redirect_chain[-1][0] == "/briefings/failed/"
    assert "queued again" in response.content.decode()
    briefing.refresh_from_db()
    # Eager Celery in tests: the retried render ran and succeeded.
    assert (briefing.status, briefing.error) == (BriefingStatus.READY, "")
    assert AuditEntry.objects.filter(
        action="briefing.retried", actor=boss, object_id=str(briefing.pk)
    ).exists()


def test_retrying_a_briefing_that_did_not_fail_says_so_and_changes_nothing():
    trip = approved_trip()
    briefing = failed_briefing(trip)
    Briefing.objects.filter(pk=briefing.pk).update(status=BriefingStatus.QUEUED, error="")
    response = logged_in(manager()).post(f"/briefings/{briefing.pk}/retry/", follow=True)
    assert "Only the current briefing" in response.content.decode()
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.QUEUED
    assert not AuditEntry.objects.filter(action="briefing.retried").exists()


def test_employees_cannot_retry_and_the_retry_needs_post_and_csrf():
    trip = approved_trip()
    briefing = failed_briefing(trip)
    assert logged_in(trip.traveller).post(f"/briefings/{briefing.pk}/retry/").status_code == 403
    boss_client = logged_in(manager())
    assert boss_client.get(f"/briefings/{briefing.pk}/retry/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager())
    assert strict.post(f"/briefings/{briefing.pk}/retry/").status_code == 403
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.FAILED


def test_the_failed_page_runs_a_constant_number_of_queries():
    version = publish_kz()
    client = logged_in(manager())
    failed_briefing(approved_trip(version=version))
    with CaptureQueriesContext(connection) as one:
        client.get("/briefings/failed/")
    for _ in range(4):
        failed_briefing(approved_trip(version=version))
    with CaptureQueriesContext(connection) as five:
        response = client.get("/briefings/failed/")
    assert len(response.context["briefings"]) == 5
    assert len(five) == len(one)


def test_the_trip_page_offers_managers_the_retry_and_tells_the_traveller_only_the_outcome():
    trip = approved_trip()
    briefing = failed_briefing(trip, error="OSError: disk full")
    retry = f'action="/briefings/{briefing.pk}/retry/"'
    as_manager = logged_in(manager()).get(f"/trips/{trip.pk}/").content.decode()
    assert retry in as_manager and "OSError: disk full" in as_manager
    as_traveller = logged_in(trip.traveller).get(f"/trips/{trip.pk}/").content.decode()
    assert "could not be prepared" in as_traveller
    assert retry not in as_traveller and "OSError" not in as_traveller
