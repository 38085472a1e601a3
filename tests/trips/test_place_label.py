"""A stop's place reads the same wherever it is shown: the curated place's name when the typed
text matched one, else the text as typed (trips.models.Stop.place_label)."""

from __future__ import annotations

import pytest

from incidents.models import Incident
from tests.factories import (
    IncidentFactory,
    PlaceFactory,
    api_as,
    country,
    employee,
    logged_in,
    manager,
    trip_with_stops,
)
from tests.incidents.helpers import day

pytestmark = pytest.mark.django_db


def shown_places(trip, incident: Incident, *, traveller, boss) -> dict[str, str]:
    page = logged_in(traveller).get(f"/trips/{trip.pk}/")
    assert page.status_code == 200
    listed = api_as(traveller).get("/api/trips/")
    assert listed.status_code == 200
    [row] = [t for t in listed.json()["results"] if t["id"] == trip.pk]
    impacted = api_as(boss).get(f"/api/incidents/{incident.pk}/impacted/?on={day(10)}")
    assert impacted.status_code == 200, impacted.content
    [person] = impacted.json()["results"]
    return {
        "page": page.content.decode(),
        "list": row["stops"][0]["place"],
        "impacted": person["stop"]["place"],
    }


def test_a_matched_place_is_named_as_curated_on_the_trip_page_the_list_and_the_impacted_list():
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    traveller, boss = employee(), manager()
    trip = trip_with_stops(
        {
            "country": country("KZ"),
            "place": almaty,
            "place_text": "almaty city centre",
            "arrival": day(9),
            "departure": day(12),
        },
        traveller=traveller,
    )
    incident = IncidentFactory(places=[almaty])

    shown = shown_places(trip, incident, traveller=traveller, boss=boss)

    assert shown["list"] == shown["impacted"] == "Almaty"
    assert "Almaty" in shown["page"]
    assert "almaty city centre" not in shown["page"]


def test_a_place_we_do_not_know_is_shown_as_typed_everywhere():
    traveller, boss = employee(), manager()
    trip = trip_with_stops(
        {
            "country": country("KZ"),
            "place": None,
            "place_text": "Shymbulak ski base",
            "arrival": day(9),
            "departure": day(12),
        },
        traveller=traveller,
    )
    incident = IncidentFactory()  # the whole country

    shown = shown_places(trip, incident, traveller=traveller, boss=boss)

    assert shown["list"] == shown["impacted"] == "Shymbulak ski base"
    assert "Shymbulak ski base" in shown["page"]
