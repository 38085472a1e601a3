"""GET /api/trips/: each row is the trip as its own page (GET /api/trips/{id}/) shows it, key
for key and in the same order, whatever the trip's state, stops and time zone."""

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import api_as, employee, manager, trip_with_stops
from tests.trips.helpers import post_trip, stop

pytestmark = pytest.mark.django_db


def _trips_of_every_kind(traveller, recorder) -> list[int]:
    """Drafts and assessed trips, places matched by name or alias or kept as free text,
    activities and a transit stop, passport overrides, a cancellation, a trip recorded after
    it began, one without a place and one without stops (the API never makes one; the
    database allows it)."""
    submitted = post_trip(
        traveller,
        stop(place="Portville", arrival=10, departure=14, activities=["driving"]),
        stop(place="Nowhere Junction", arrival=14, departure=14, transit=True),
        stop(place="Hill Town", arrival=15, departure=18, activities=["nightlife", "driving"]),
        passport_nationality="US",
        passport_type="diplomatic",
        visa_category="business",
    )
    needs_approval = post_trip(traveller, stop(arrival=30, departure=33, activities=["nightlife"]))
    cancelled = post_trip(traveller, stop(place="", arrival=40, departure=41))
    draft = post_trip(traveller, stop(place="old harbour", arrival=50, departure=52))
    recorded = post_trip(recorder, stop(arrival=-20, departure=-15))
    bare = trip_with_stops(traveller=traveller, status="draft")
    owner = api_as(traveller)
    for trip in (submitted, needs_approval):
        assert owner.post(f"/api/trips/{trip['id']}/submit/").status_code == 200
    assert owner.post(f"/api/trips/{cancelled['id']}/cancel/").status_code == 200
    return [
        *(trip["id"] for trip in (submitted, needs_approval, cancelled, draft, recorded)),
        bare.pk,
    ]


@pytest.mark.parametrize("time_zone", ["UTC", "Pacific/Auckland"])
def test_each_listed_trip_reads_exactly_as_its_own_page(catalogue, settings, time_zone):
    settings.TIME_ZONE = time_zone
    traveller, boss = employee(), manager()
    traveller.profile.nationality = "GB"
    traveller.profile.save()
    ids = _trips_of_every_kind(traveller, boss)
    client = api_as(boss)

    listed = client.get("/api/trips/").json()

    assert listed["count"] == len(ids)
    assert sorted(row["id"] for row in listed["results"]) == sorted(ids)
    pages = [client.get(f"/api/trips/{row['id']}/").json() for row in listed["results"]]
    # As text: the same keys in the same order, the same values to the character.
    assert json.dumps(listed["results"]) == json.dumps(pages)
    by_id = {row["id"]: row for row in listed["results"]}
    submitted, needs_approval, cancelled, draft, recorded, bare = (by_id[pk] for pk in ids)
    assert [(s["place"], s["place_matched"], s["transit"]) for s in submitted["stops"]] == [
        ("Old Harbour", True, False),
        ("Nowhere Junction", False, True),
        ("Hill Town", True, False),
    ]
    assert submitted["stops"][2]["activities"] == ["driving", "nightlife"]
    assert (submitted["passport_type"], submitted["visa_category"]) == ("diplomatic", "business")
    assert needs_approval["status"] == "pending_approval" and needs_approval["risk_level"] == 3
    assert cancelled["status"] == "cancelled" and cancelled["stops"][0]["place"] == ""
    assert draft["risk_level"] is None and draft["status"] == "draft"
    assert recorded["recorded_after_start"] is True and draft["recorded_after_start"] is False
    assert bare["stops"] == [] and bare["first_arrival"] is None


def test_the_list_keeps_its_order_and_pages(catalogue):
    traveller = employee()
    for start in (40, 10, 30, 20):
        post_trip(traveller, stop(arrival=start, departure=start + 2))
    client = api_as(traveller)

    everything = client.get("/api/trips/").json()
    arrivals = [row["first_arrival"] for row in everything["results"]]

    assert arrivals == sorted(arrivals) and everything["next"] is None
    assert client.get("/api/trips/?page=2").status_code == 404


def test_a_managers_list_runs_the_same_queries_for_one_trip_and_for_a_full_page(catalogue):
    boss = manager()

    def queries_of_the_list() -> int:
        # A fresh user each time: the roles are read once per user object.
        client = api_as(User.objects.get(pk=boss.pk))
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/trips/")
        assert response.status_code == 200
        return len(queries)

    post_trip(employee(), stop(), stop(place="Hill Town", arrival=12, departure=14))
    one = queries_of_the_list()
    for start in range(60):
        post_trip(employee(), stop(arrival=10 + start, departure=11 + start))
    listed = api_as(boss).get("/api/trips/").json()

    assert queries_of_the_list() == one
    assert listed["count"] == 61 and len(listed["results"]) == 50
    assert listed["next"].endswith("/api/trips/?page=2")
