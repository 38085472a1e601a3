"""A small published catalogue for the trips tests: invented places in Mongolia (MN), a
country the demo content does not cover, so nothing here leans on shipped data."""

import copy
import datetime as dt

import pytest

from advisories.packs import pack_import

TODAY = dt.date.today()


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


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


@pytest.fixture
def catalogue(db):
    pack_import(copy.deepcopy(TEST_PACK), by=None)
    return TEST_PACK
