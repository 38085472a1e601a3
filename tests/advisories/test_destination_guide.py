"""The destination guide (/destinations/<CODE>/): the published content in plain words."""

import copy

import pytest
from django.test import Client

from advisories.packs import pack_import
from tests.factories import employee

pytestmark = pytest.mark.django_db

PACK = {
    "format": "travel-risk-content/1",
    "sources": [
        {
            "key": "xg-rules",
            "publisher": "Test Ministry",
            "title": "Entry rules",
            "url": "https://example.org/rules",
            "retrieved": "2026-11-01",
        }
    ],
    "activities": [],
    "countries": [
        {
            "code": "MN",
            "advisory": {
                "level": 2,
                "summary": "Normal precautions.",
                "sections": [
                    {
                        "key": "mn-winter",
                        "topic": "natural_hazards",
                        "heading": "Winter roads",
                        "body": "Roads close in snow.",
                        "level": None,
                        "places": [],
                        "activities": [],
                        "months": [1, 12],
                        "source": "xg-rules",
                    }
                ],
            },
            "places": [],
            "emergency_contacts": [],
            "rules": [
                {
                    "key": "mn-visa-free-short",
                    "kind": "visa_free",
                    "title": "Short visa-free stays",
                    "nationalities": ["GB", "US"],
                    "max_days": 30,
                    "source": "xg-rules",
                },
                {
                    "key": "mn-visa-free-long",
                    "kind": "visa_free",
                    "title": "Long visa-free stays",
                    "nationalities": ["DE"],
                    "max_days": 90,
                    "source": "xg-rules",
                },
                {
                    "key": "mn-transit",
                    "kind": "transit",
                    "title": "Transit",
                    "max_days": 3,
                    "source": "xg-rules",
                },
            ],
        }
    ],
}


def guide(pack: dict) -> str:
    pack_import(copy.deepcopy(pack), by=None)
    client = Client()
    client.force_login(employee())
    response = client.get("/destinations/MN/")
    assert response.status_code == 200
    return response.content.decode()


def test_two_visa_free_lists_do_not_contradict_each_other():
    page = guide(PACK)
    assert "other foreign citizens need a visa" not in page
    short = page.index("Citizens of GB and US may stay up to 30 days without a visa")
    long = page.index("Citizens of DE may stay up to 90 days without a visa")
    others = "Foreign citizens of countries not listed above need a visa."
    assert page.count(others) == 1
    # Said once, after every visa-free list and before the next kind of rule.
    assert max(short, long) < page.index(others) < page.index("Passing through")


def test_the_others_sentence_respects_the_rules_periods():
    pack = copy.deepcopy(PACK)
    pack["countries"][0]["rules"][1]["valid_from"] = "2031-01-01"
    page = guide(pack)
    assert "In force from 2031-01-01." in page
    assert "not listed in a rule above that is in force on the day they arrive" in page


def test_a_country_without_visa_free_rules_says_nothing_of_visas():
    pack = copy.deepcopy(PACK)
    pack["countries"][0]["rules"] = pack["countries"][0]["rules"][2:]
    page = guide(pack)
    assert "need a visa" not in page


def test_a_sections_months_are_named_in_calendar_order_across_the_year_end():
    page = guide(PACK)
    assert "Applies in December, January</p>" in page
    assert "months 1, 12" not in page
