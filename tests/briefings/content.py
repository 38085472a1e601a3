"""Shared test content for briefings: Kazakhstan as published from the demo pack, and an
approved trip with an assessment, without going through the engine (unit tests) or with it
(integration tests)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings

from advisories.models import AdvisoryVersion, Country
from tests.factories import StopFactory, TripFactory, employee
from trips.models import Assessment, TripStatus

PACK = Path(settings.BASE_DIR) / "advisories" / "content" / "demo-pack.json"


def kz_snapshot(*, extra_sections: list[dict] | None = None, level: int | None = None) -> dict:
    pack = json.loads(PACK.read_text())
    entry = next(c for c in pack["countries"] if c["code"] == "KZ")
    advisory = {
        key: value for key, value in entry["advisory"].items() if key in ("level", "summary")
    }
    advisory["sections"] = list(entry["advisory"]["sections"]) + list(extra_sections or [])
    if level is not None:
        advisory["level"] = level
    cited = {s.get("source") for s in advisory["sections"]} | {
        r.get("source") for r in entry["rules"]
    }
    return {
        "code": "KZ",
        "advisory": advisory,
        "places": entry["places"],
        "emergency_contacts": entry["emergency_contacts"],
        "rules": entry["rules"],
        "sources": [s for s in pack["sources"] if s["key"] in cited],
    }


def publish_kz(**kwargs) -> AdvisoryVersion:
    snapshot = kz_snapshot(**kwargs)
    country = Country.objects.get(code="KZ")
    number = AdvisoryVersion.objects.filter(country=country).count() + 1
    version = AdvisoryVersion.objects.create(
        country=country,
        number=number,
        change_note="Test publication",
        material=True,
        level=snapshot["advisory"]["level"],
        content=snapshot,
        content_hash=f"test-{number}",
    )
    country.published = version
    country.save(update_fields=["published"])
    return version


REQUIREMENTS = [
    {
        "kind": "registration",
        "title": "Register with the migration police",
        "detail": "Register within 5 calendar days of arrival.",
        "due_date": "2027-03-05",
        "country": "KZ",
        "place": "Almaty",
        "rule": "kz-registration",
        "citation": "Rules No. 148, paragraph 9",
        "authority": "Migration police",
        "source": {
            "key": "kz-entry-rules",
            "publisher": "Academy of Law Enforcement Agencies",
            "title": "Rules of entry and stay of foreigners",
            "url": "https://example.org/kz-entry",
            "retrieved": "2026-11-01",
        },
    },
    {
        "kind": "permit",
        "title": "Permit for Baikonur",
        "detail": "Closed area: permission from three authorities.",
        "due_date": "2027-03-09",
        "country": "KZ",
        "place": "Baikonur",
        "rule": "kz-closed-areas",
        "citation": "Closed areas list",
        "authority": "National Security Committee (KNB)",
        "source": None,
    },
    {
        "kind": "document",
        "title": "Carry your original passport",
        "detail": "Police may ask for it at any time.",
        "due_date": None,
        "country": "KZ",
        "place": None,
        "rule": "kz-passport",
        "citation": "",
        "authority": "",
        "source": None,
    },
]


def approved_trip(
    *,
    traveller=None,
    version: AdvisoryVersion | None = None,
    section_keys: list[str] | None = None,
    first_arrival: dt.date = dt.date(2027, 3, 1),
    status: str = TripStatus.APPROVED,
    requirements: list[dict] | None = None,
):
    """An approved Almaty + Baikonur trip with an assessment that matched `section_keys`."""
    traveller = traveller or employee(first_name="Aigerim", last_name="Testova")
    profile = traveller.profile
    profile.nationality = "GB"
    profile.phone = "+44 7700 900123"
    profile.emergency_contact_name = "Sam Testova"
    profile.emergency_contact_phone = "+44 7700 900999"
    profile.save()
    version = version or publish_kz()
    trip = TripFactory(
        traveller=traveller,
        purpose="Pipeline inspection in Almaty",
        status=status,
        first_arrival=first_arrival,
        last_departure=first_arrival + dt.timedelta(days=12),
        risk_level=4,
    )
    StopFactory(
        trip=trip,
        position=0,
        place_text="Almaty",
        arrival=first_arrival,
        departure=first_arrival + dt.timedelta(days=8),
        activities=["driving"],
    )
    StopFactory(
        trip=trip,
        position=1,
        place_text="Baikonur",
        arrival=first_arrival + dt.timedelta(days=8),
        departure=first_arrival + dt.timedelta(days=12),
    )
    sections = version.content["advisory"]["sections"]
    keys = section_keys if section_keys is not None else [s["key"] for s in sections][:8]
    by_key = {s["key"]: s for s in sections}
    Assessment.objects.create(
        trip=trip,
        risk_level=4,
        requires_approval=True,
        approvals_needed=1,
        approval_reasons=["Baikonur is a closed area."],
        requirements=requirements if requirements is not None else REQUIREMENTS,
        sections=[
            {
                "stop_index": 0,
                "country": "KZ",
                "place": None,
                "key": key,
                "topic": by_key[key]["topic"],
                "heading": by_key[key]["heading"],
                "level": by_key[key].get("level"),
            }
            for key in keys
        ],
        explanation=["Kazakhstan advisory: level 2", "Baikonur is a closed area: level 4"],
        content_versions={"KZ": version.number},
    )
    return trip
