"""Helpers the trips tests share (test modules never import from one another)."""

from __future__ import annotations

import datetime as dt
import re

from tests.factories import api_as
from trips import services
from trips.models import Trip
from trips.services import StopInput, TripInput

# A small published catalogue: invented places in Mongolia (MN), a country the demo content
# does not cover, so nothing leans on shipped data (the `catalogue` fixture imports it).
TEST_PACK = {
    "format": "travel-risk-content/1",
    "sources": [
        {
            "key": "mn-rules",
            "publisher": "Test Ministry",
            "title": "Entry rules",
            "url": "https://example.org/mn",
            "retrieved": "2026-11-01",
        }
    ],
    "activities": [
        {"code": "driving", "label": "Driving a vehicle"},
        {"code": "nightlife", "label": "Nightlife"},
    ],
    "countries": [
        {
            "code": "MN",
            "advisory": {
                "level": 2,
                "summary": "Normal precautions.",
                "material": True,
                "change_note": "First",
                "sections": [
                    {
                        "key": "mn-crime",
                        "topic": "crime",
                        "heading": "Street crime",
                        "body": "Watch your bag.",
                        "level": None,
                        "places": [],
                        "activities": [],
                        "months": [],
                        "source": "mn-rules",
                    },
                    {
                        "key": "mn-nightlife",
                        "topic": "crime",
                        "heading": "Late nights in Old Harbour",
                        "body": "Go in groups.",
                        "level": 3,
                        "places": ["Old Harbour"],
                        "activities": ["nightlife"],
                        "months": [],
                        "source": "mn-rules",
                    },
                ],
            },
            "places": [
                {
                    "name": "Old Harbour",
                    "aliases": ["Ölд Харбор", "Portville"],
                    "kind": "city",
                    "level": None,
                },
                {"name": "Hill Town", "aliases": [], "kind": "city", "level": None},
                {"name": "Sealed Valley", "aliases": [], "kind": "closed_area", "level": 4},
            ],
            "emergency_contacts": [{"label": "Police", "number": "102", "place": None}],
            "rules": [
                {
                    "key": "mn-registration",
                    "kind": "registration",
                    "title": "Register your stay",
                    "detail": "At the immigration office.",
                    "threshold_days": 5,
                    "deadline_days": 5,
                    "deadline_unit": "calendar",
                    "exemptions": {
                        "passport_types": ["diplomatic"],
                        "visa_categories": [],
                        "under_age": 16,
                    },
                    "authority": "Immigration office",
                    "citation": "Entry rules s.1",
                    "source": "mn-rules",
                },
                {
                    "key": "mn-visa-free",
                    "kind": "visa_free",
                    "title": "Visa-free stays",
                    "nationalities": ["GB", "US"],
                    "max_days": 30,
                    "source": "mn-rules",
                },
                {
                    "key": "mn-driving",
                    "kind": "activity",
                    "title": "International Driving Permit",
                    "activities": ["driving"],
                    "source": "mn-rules",
                },
            ],
        }
    ],
}


def d(offset: int) -> dt.date:
    """The date `offset` days from today."""
    return dt.date.today() + dt.timedelta(days=offset)


def day(offset: int) -> str:
    """The date `offset` days from today, as the API writes it."""
    return d(offset).isoformat()


def file_trip(
    traveller,
    *,
    country: str = "MN",
    place: str = "Old Harbour",
    activities=(),
    submit: bool = True,
    start: int = 10,
    days: int = 8,
    purpose: str = "Plant audit",
    by=None,
) -> Trip:
    """A one-stop trip filed through the service (submitted unless told otherwise)."""
    data = TripInput(
        purpose=purpose,
        stops=[
            StopInput(
                country=country,
                place=place,
                arrival=d(start),
                departure=d(start + days),
                activities=list(activities),
            )
        ],
    )
    trip = services.trip_create(by=by or traveller, data=data, traveller=traveller)
    if submit:
        trip = services.trip_submit(trip=trip, by=by or traveller)
    return trip


def trip_links(response) -> int:
    """How many trip pages a page links to."""
    return len(re.findall(r'href="/trips/\d+/"', response.content.decode()))


# --- through the API --------------------------------------------------------------------------


def trip_body(*stops, purpose: str = "Site visit", **extra) -> dict:
    return {"purpose": purpose, "stops": list(stops), **extra}


def stop(country="MN", place="Old Harbour", arrival=10, departure=12, **extra) -> dict:
    """A stop as the API takes it, `arrival` and `departure` in days from today."""
    return {
        "country": country,
        "place": place,
        "arrival": day(arrival),
        "departure": day(departure),
        **extra,
    }


def post_trip(user, *stops, **kwargs) -> dict:
    """A draft trip filed through POST /api/trips/ (one stop in Mongolia unless told)."""
    response = api_as(user).post(
        "/api/trips/", trip_body(*(stops or [stop()]), **kwargs), format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()
