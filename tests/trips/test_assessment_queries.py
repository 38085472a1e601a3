import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from advisories.packs import pack_import
from tests.factories import employee
from tests.trips.helpers import TEST_PACK, post_trip, stop
from trips import selectors
from trips.models import Trip

pytestmark = pytest.mark.django_db


def big_pack(extra_countries: int, sections_each: int) -> dict:
    """The test pack plus many other countries, each with many sections, places and rules."""
    pack = copy.deepcopy(TEST_PACK)
    for code in ["FR", "DE", "IT", "ES", "PT", "NL", "BE", "AT", "CH", "PL"][:extra_countries]:
        pack["countries"].append(
            {
                "code": code,
                "advisory": {
                    "level": 1,
                    "summary": "Fine.",
                    "material": True,
                    "change_note": "First",
                    "sections": [
                        {
                            "key": f"{code.lower()}-s{i}",
                            "topic": "crime",
                            "heading": f"Note {i}",
                            "body": "Text",
                            "level": None,
                            "places": [],
                            "activities": [],
                            "months": [],
                            "source": "mn-rules",
                        }
                        for i in range(sections_each)
                    ],
                },
                "places": [
                    {"name": f"Town {i}", "aliases": [], "kind": "city", "level": None}
                    for i in range(20)
                ],
                "emergency_contacts": [],
                "rules": [
                    {
                        "key": f"{code.lower()}-doc-{i}",
                        "kind": "document",
                        "title": "Carry ID",
                        "source": "mn-rules",
                    }
                    for i in range(10)
                ],
            }
        )
    return pack


def queries_for_assessing(trip_id: int) -> int:
    trip = Trip.objects.get(pk=trip_id)
    with CaptureQueriesContext(connection) as captured:
        selectors.trip_assess(trip)
    return len(captured)


@pytest.mark.parametrize("catalogue_size", [0, 10])
def test_assessing_runs_the_same_queries_whatever_the_catalogue_size(catalogue_size):
    pack_import(big_pack(catalogue_size, 30), by=None)
    traveller = employee()
    two_countries = post_trip(
        traveller,
        stop(),
        stop(country="FR" if catalogue_size else "PE", place="Paris", arrival=13, departure=14),
    )
    one_stop = post_trip(traveller, stop())
    assert queries_for_assessing(two_countries["id"]) == queries_for_assessing(one_stop["id"]) <= 6
