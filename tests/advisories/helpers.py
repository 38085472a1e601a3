"""Helpers the advisories tests share."""

from __future__ import annotations


def every_kind_pack() -> dict:
    """An unseen pack: two countries, every rule kind, every optional field."""
    exempt = {"passport_types": ["diplomatic"], "visa_categories": ["investor"], "under_age": 16}
    no_exemptions = {"passport_types": [], "visa_categories": [], "under_age": None}
    return {
        "format": "travel-risk-content/1",
        "sources": [
            {
                "key": "mn-law",
                "publisher": "Mongolian Immigration Agency",
                "title": "Stay of foreigners",
                "url": "https://example.org/mn",
                "retrieved": "2026-10-01",
                "licence": "Official, restated",
            },
            {
                "key": "uz-law",
                "publisher": "Uzbek Interior Ministry",
                "title": "Registration of foreigners",
                "url": "",
                "retrieved": None,
                "licence": "",
            },
        ],
        "activities": [
            {"code": "driving", "label": "Driving a vehicle"},
            {"code": "drone", "label": "Flying a drone"},
            {"code": "trekking", "label": "Trekking"},
        ],
        "countries": [
            {
                "code": "MN",
                "advisory": {
                    "level": 3,
                    "summary": "Take extra care.",
                    "material": True,
                    "change_note": "First edition",
                    "sections": [
                        {
                            "key": "mn-steppe-winter",
                            "topic": "natural_hazards",
                            "heading": "Winter on the steppe",
                            "body": "Temperatures fall below **-30C**.\n\n- carry water",
                            "level": 4,
                            "places": ["Khovd Steppe"],
                            "activities": ["trekking"],
                            "months": [1, 2, 12],
                            "source": "mn-law",
                        },
                        {
                            "key": "mn-crime",
                            "topic": "crime",
                            "heading": "Crime in the capital",
                            "body": "Pickpockets work the markets.",
                            "level": None,
                            "places": [],
                            "activities": [],
                            "months": [],
                            "source": None,
                        },
                    ],
                },
                "places": [
                    {
                        "name": "Ulaanbaatar",
                        "aliases": ["Ulan Bator", "Улаанбаатар"],
                        "kind": "city",
                        "level": None,
                    },
                    {"name": "Khovd Steppe", "aliases": [], "kind": "region", "level": 3},
                    {
                        "name": "Test Range 7",
                        "aliases": ["Range Seven"],
                        "kind": "closed_area",
                        "level": 5,
                    },
                ],
                "emergency_contacts": [
                    {"label": "Emergency", "number": "112", "place": None},
                    {"label": "Tourist police", "number": "+976 7011 0102", "place": "Ulan Bator"},
                ],
                "rules": [
                    {
                        "key": "mn-registration",
                        "kind": "registration",
                        "title": "Register",
                        "detail": "Register within a week.",
                        "threshold_days": 30,
                        "deadline_days": 7,
                        "deadline_unit": "calendar",
                        "exemptions": exempt,
                        "valid_from": "2024-01-01",
                        "valid_until": "2030-12-31",
                        "authority": "Immigration Agency",
                        "citation": "Law on foreigners, art. 5",
                        "source": "mn-law",
                    },
                    {
                        "key": "mn-re-registration",
                        "kind": "re_registration",
                        "title": "Re-register",
                        "detail": "",
                        "deadline_days": 3,
                        "deadline_unit": "working",
                        "exemptions": exempt,
                        "valid_from": None,
                        "valid_until": None,
                        "authority": "",
                        "citation": "",
                        "source": "mn-law",
                    },
                    {
                        "key": "mn-visa-free",
                        "kind": "visa_free",
                        "title": "Visa-free stay",
                        "detail": "",
                        "nationalities": ["US", "DE", "JP"],
                        "max_days": 30,
                        "exemptions": no_exemptions,
                        "valid_from": None,
                        "valid_until": None,
                        "authority": "",
                        "citation": "",
                        "source": None,
                    },
                    {
                        "key": "mn-transit",
                        "kind": "transit",
                        "title": "Transit",
                        "detail": "",
                        "max_days": 3,
                        "exemptions": no_exemptions,
                        "valid_from": None,
                        "valid_until": None,
                        "authority": "",
                        "citation": "",
                        "source": None,
                    },
                    {
                        "key": "mn-permit",
                        "kind": "permit",
                        "title": "Border zone permit",
                        "detail": "",
                        "places": ["Range Seven", "Khovd Steppe"],
                        "exemptions": no_exemptions,
                        "valid_from": None,
                        "valid_until": None,
                        "authority": "",
                        "citation": "",
                        "source": None,
                    },
                    {
                        "key": "mn-passport",
                        "kind": "document",
                        "title": "Carry your passport",
                        "detail": "",
                        "nationalities": ["GB"],
                        "activities": ["driving"],
                        "exemptions": no_exemptions,
                        "valid_from": None,
                        "valid_until": None,
                        "authority": "",
                        "citation": "",
                        "source": None,
                    },
                    {
                        "key": "mn-drone",
                        "kind": "activity",
                        "title": "Drone licence",
                        "detail": "",
                        "activities": ["drone"],
                        "nationalities": ["FR"],
                        "exemptions": no_exemptions,
                        "valid_from": "2025-06-01",
                        "valid_until": None,
                        "lead_days": 14,
                        "authority": "Civil Aviation",
                        "citation": "",
                        "source": "mn-law",
                    },
                    {
                        "key": "mn-stay-limit",
                        "kind": "stay_limit",
                        "title": "90 days in any 180",
                        "detail": "",
                        "max_days": 90,
                        "window_days": 180,
                        "nationalities": ["US"],
                        "exemptions": no_exemptions,
                        "valid_from": None,
                        "valid_until": None,
                        "authority": "",
                        "citation": "",
                        "source": None,
                    },
                ],
                "non_working_days": ["2027-07-09"],
                "working_days": ["2027-07-17"],
            },
            {
                "code": "UZ",
                "advisory": {
                    "level": 2,
                    "summary": "Normal precautions.",
                    "sections": [
                        {
                            "key": "uz-registration-note",
                            "topic": "entry_registration",
                            "heading": "Hotels register you",
                            "body": "Keep the slips.",
                            "source": "uz-law",
                        }
                    ],
                },
                "places": [{"name": "Samarkand", "aliases": ["Samarqand"]}],
                "emergency_contacts": [],
                "rules": [
                    {
                        "key": "uz-registration",
                        "kind": "registration",
                        "threshold_days": 3,
                        "deadline_days": 3,
                        "source": "uz-law",
                    }
                ],
            },
        ],
    }


def mn(pack) -> dict:
    return pack["countries"][0]


def content_of(pack: dict) -> dict:
    """A pack without its ``exported_at``: what two exports of the same content share."""
    return {name: value for name, value in pack.items() if name != "exported_at"}
