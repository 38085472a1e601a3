"""The demo company's incidents (loaddemo): an open warning in Almaty touching two demo trips,
and a closed one; a second run adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from incidents.models import Incident
from incidents.selectors import incident_impacted

pytestmark = pytest.mark.django_db


def test_the_demo_has_an_open_almaty_warning_touching_two_trips_and_a_closed_incident():
    call_command("loaddemo", "--force", stdout=StringIO())
    call_command("loaddemo", "--force", stdout=StringIO())
    assert Incident.objects.count() == 2
    almaty = Incident.objects.get(external_id="demo-almaty-demonstrations")
    assert almaty.is_open and almaty.severity == "warning"
    assert [place.name for place in almaty.places.all()] == ["Almaty"]
    trips = {row.trip.purpose for row in incident_impacted(incident=almaty)}
    assert trips == {"Pipeline audit, Almaty and Astana", "Launch-site inspection, Baikonur"}
    assert not Incident.objects.get(external_id="demo-atyrau-floods").is_open
