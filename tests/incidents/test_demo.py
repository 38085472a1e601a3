"""The demo company's incidents (loaddemo): an open warning in Almaty touching three demo trips,
one of them under way today, and a closed one; a second run adds nothing. Two demo travellers
are abroad today."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from incidents.models import Incident
from incidents.selectors import incident_impacted

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_open_almaty_warning_touching_three_trips_and_a_closed_incident():
    call_command("loaddemo", "--force", stdout=StringIO())
    call_command("loaddemo", "--force", stdout=StringIO())
    assert Incident.objects.count() == 2
    almaty = Incident.objects.get(external_id="demo-almaty-demonstrations")
    assert almaty.is_open and almaty.severity == "warning"
    assert [place.name for place in almaty.places.all()] == ["Almaty"]
    rows = incident_impacted(incident=almaty)
    assert {row.trip.purpose for row in rows} == {
        "Supplier visit in Almaty",
        "Pipeline audit, Almaty and Astana",
        "Launch-site inspection, Baikonur",
    }
    there = [row for row in rows if row.presence == "there"]
    assert [(row.traveller.username, row.trip.purpose) for row in there] == [
        ("employee", "Supplier visit in Almaty")
    ]
    assert not Incident.objects.get(external_id="demo-atyrau-floods").is_open


def test_two_demo_travellers_are_abroad_today_on_trips_going_ahead():
    from django.utils import timezone

    from trips.selectors import whereabouts

    call_command("loaddemo", "--force", stdout=StringIO())

    today = timezone.localdate()
    stops = whereabouts(on=today)
    assert {(stop.trip.traveller.username, stop.place.name) for stop in stops} == {
        ("employee", "Almaty"),
        ("traveller", "Astana"),
    }
