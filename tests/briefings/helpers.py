"""Helpers the briefings tests (and the publish step's) share: Kazakhstan as the demo pack
ships it, and trips filed, approved, briefed and acknowledged through the services."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings

from advisories.models import Country
from advisories.packs import pack_import
from briefings import services
from briefings.models import Briefing, BriefingStatus
from tests.factories import employee, manager
from trips import services as trip_services
from trips.models import Trip, TripStatus
from trips.services import StopInput, TripInput

CLOSED_AREAS = "Closed areas: permission needed in advance"


def d(offset: int) -> dt.date:
    return dt.date.today() + dt.timedelta(days=offset)


def demo_kazakhstan() -> Country:
    """Kazakhstan imported from the demo pack and published (version 1)."""
    path = settings.BASE_DIR / "advisories" / "content" / "demo-pack.json"
    pack_import(json.loads(path.read_text()), by=None)
    return Country.objects.get(code="KZ")


def cleared_trip(capture, *, place: str, name: str, arrival: int = 20) -> Trip:
    """A trip to `place` filed, approved (by a manager when it needs one), briefed and
    acknowledged: cleared to travel. `capture` is django_capture_on_commit_callbacks."""
    traveller = employee(
        first_name=name, last_name="Traveller", email=f"{name.lower()}@example.com"
    )
    traveller.profile.nationality = "GB"
    traveller.profile.save()
    data = TripInput(
        purpose=f"Visit to {place}",
        stops=[StopInput(country="KZ", place=place, arrival=d(arrival), departure=d(arrival + 4))],
    )
    with capture(execute=True):
        trip = trip_services.trip_create(by=traveller, data=data)
        trip = trip_services.trip_submit(trip=trip, by=traveller)
    if trip.status == TripStatus.PENDING_APPROVAL:
        with capture(execute=True):
            trip = trip_services.trip_approve(trip=trip, by=manager())
    briefing = Briefing.objects.get(trip=trip, superseded=False)
    assert briefing.status == BriefingStatus.READY
    services.briefing_acknowledge(briefing=briefing, user=traveller, sha256=briefing.sha256)
    trip.refresh_from_db()
    assert trip.status == TripStatus.CLEARED
    return trip
