"""Saved responses of the watched sources (tests/fixtures/sources) and a published Kazakhstan."""

from __future__ import annotations

import json
from pathlib import Path

from advisories.models import WatchedSource
from advisories.services import advisory_publish
from tests.factories import AdvisoryFactory, SectionFactory, country

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"
FCDO_URL = "https://www.gov.uk/api/content/foreign-travel-advice/kazakhstan"
US_URL = "https://travel.state.gov/_res/rss/TAsTWs.xml"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fcdo_changed(*, alert_status: list[str], note: str, paragraph: str) -> bytes:
    """The saved FCDO response as the FCDO would publish a change: new alert statuses, a new
    change description, a new paragraph in its safety part, a later update time."""
    page = json.loads(fixture("fcdo_kazakhstan.json"))
    page["details"]["alert_status"] = alert_status
    page["details"]["change_description"] = f"<p>{note}</p>"
    page["details"]["parts"][1]["body"] += f"\n<p>{paragraph}</p>"
    page["public_updated_at"] = "2026-12-07T16:00:00.000+00:00"
    return json.dumps(page).encode()


def published_kazakhstan(*, level: int = 2):
    advisory = AdvisoryFactory(country=country("KZ"), level=level)
    SectionFactory(
        advisory=advisory,
        key="kz-street-crime",
        topic="crime",
        heading="Street crime",
        body="Pickpocketing happens in Almaty and Astana, especially in markets.",
    )
    advisory_publish(country=advisory.country, by=None, change_note="First", material=False)
    return advisory.country


def watched(kind: str = "fcdo", *, url: str = FCDO_URL, code: str = "KZ") -> WatchedSource:
    return WatchedSource.objects.create(country=country(code), kind=kind, url=url)


def us_feed(*, kazakhstan: str = "Level 3: Reconsider Travel") -> bytes:
    """The saved State Department feed with Kazakhstan rated as given."""
    return fixture("us_state_advisories.xml").replace(
        b"Kazakhstan - Level 1: Exercise Normal Precautions",
        f"Kazakhstan - {kazakhstan}".encode(),
    )


def rated_by_us(kazakhstan: str = "Level 3: Reconsider Travel", *, source=None):
    """Kazakhstan as the State Department's feed rates it, read as a poll would."""
    from advisories.watch.services import source_file_read

    source = source or watched("us_state", url=US_URL)
    source_file_read(source=source, data=us_feed(kazakhstan=kazakhstan))
    return source
