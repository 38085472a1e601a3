"""Feed items become incidents (incidents.feeds.services): idempotent by the feed's own id, a
corrected magnitude updates, a CAP Update changes and a Cancel closes the incident it
references; one touching nobody is quiet, one touching travellers tells the managers once per
severity, a critical one with travellers there starts its safety check by itself, all audited
as the feed."""

from __future__ import annotations

import pytest
import time_machine
from django.core import mail

from core.models import AuditEntry
from incidents.feeds import cap, gdacs, usgs
from incidents.feeds.services import items_import
from incidents.models import FeedNotice, Incident, SafetyCheck
from tests.factories import employee, manager
from tests.incidents.feeds_helpers import NOW, TODAY, arriving, feed, mails_to, there_now


def notices_to(address: str) -> list:
    """The feed's e-mails to a manager (a trip sent back for approval e-mails them too)."""
    return [m for m in mails_to(address) if " from USGS: " in m.subject]


pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Import items the way a poll does, running what the outbox sends after each commit."""

    def run_import(items, min_severity="info", via="feed: test"):
        with django_capture_on_commit_callbacks(execute=True):
            return items_import(items=items, via=via, min_severity=min_severity)

    return run_import


def test_a_usgs_feed_read_twice_makes_each_quake_one_incident_and_changes_nothing_the_second_time(
    run,
):
    first = run(usgs.parse(feed("usgs_summary.geojson")))
    assert len(first.created) == 4
    entries = AuditEntry.objects.count()

    second = run(usgs.parse(feed("usgs_summary.geojson")))

    assert (second.created, second.updated, len(second.unchanged)) == ([], [], 4)
    assert Incident.objects.count() == 4
    assert AuditEntry.objects.count() == entries
    quake = Incident.objects.get(external_id="usgs:us7000almt")
    assert (quake.source, quake.country_id, quake.radius_km) == ("usgs", None, 100.0)


def test_a_corrected_magnitude_updates_the_incident_it_was(run):
    run(usgs.parse(feed("usgs_summary.geojson")))

    result = run(usgs.parse(feed("usgs_summary_revised.geojson")))

    assert result.updated == ["usgs:us7000almt"]
    quake = Incident.objects.get(external_id="usgs:us7000almt")
    assert quake.title == "M 6.6 earthquake, 12 km SW of Almaty, Kazakhstan"
    assert quake.severity == "critical"
    entry = AuditEntry.objects.filter(action="incident.updated").get()
    assert entry.actor is None
    assert entry.details["via"] == "feed: test"
    assert entry.details["changed"] == ["severity", "summary", "title"]


def test_items_below_the_minimum_severity_are_skipped_with_the_reason(run):
    result = run(usgs.parse(feed("usgs_summary.geojson")), min_severity="warning")

    assert sorted(result.created) == ["usgs:us7000almt", "usgs:us7000bshk", "usgs:us7000twn1"]
    assert result.skipped == ["usgs:us7000fiji: info, below the minimum"]


def test_gdacs_events_keep_their_country_and_point(run):
    run(gdacs.parse(feed("gdacs_rss.xml")))

    assert Incident.objects.get(external_id="gdacs:EQ1501234").country_id == "KZ"
    cyclone = Incident.objects.get(external_id="gdacs:TC1001120")
    assert cyclone.country_id == "MZ"
    assert (cyclone.latitude, cyclone.longitude, cyclone.radius_km) == (-12.97, 40.52, 300.0)
    flood = Incident.objects.get(external_id="gdacs:FL1102345")
    assert not flood.is_open  # GDACS no longer follows it


def test_a_cap_update_changes_the_incident_it_references_and_a_cancel_closes_it(run):
    run(cap.parse(feed("cap_alert_circle.xml")))

    updated = run(cap.parse(feed("cap_update.xml")))

    assert updated.updated == ["cap:KZ-MES-2026-12-08-001"]
    incident = Incident.objects.get()
    assert incident.external_id == "cap:KZ-MES-2026-12-08-001"
    assert (incident.severity, incident.radius_km) == ("warning", 8.0)
    assert incident.title == "Mudflow above Almaty: the flow has stopped, roads still closed"

    cancelled = run(cap.parse(feed("cap_cancel.xml")))

    assert cancelled.closed == ["cap:KZ-MES-2026-12-08-001"]
    incident.refresh_from_db()
    assert incident.ends_on == TODAY and not incident.is_open
    assert AuditEntry.objects.get(action="incident.closed").details["via"] == "feed: test"
    # Read again, nothing changes: it stays closed, and so does a repeated update.
    assert run(cap.parse(feed("cap_cancel.xml"))).unchanged == ["cap:KZ-MES-2026-12-08-001"]
    run(cap.parse(feed("cap_update.xml")))
    incident.refresh_from_db()
    assert incident.ends_on == TODAY


def test_a_cancel_of_a_message_never_imported_is_skipped(run):
    result = run(cap.parse(feed("cap_cancel.xml")))

    assert result.skipped == ["cap:KZ-MES-2026-12-08-003: withdrawn, and never imported"]
    assert not Incident.objects.exists()


def test_an_atom_feed_of_cap_alerts_imports_the_actual_ones_only(run):
    result = run(cap.parse(feed("cap_atom.xml")))

    assert sorted(result.created) == ["cap:KZ-MES-2026-12-08-001", "cap:KZ-MET-0901"]
    assert result.skipped == ["cap:KZ-MES-DRILL-7: status Exercise, not an actual alert"]


def test_a_feed_incident_that_touches_nobody_is_stored_quietly(run):
    manager(username="mara")
    there_now((51.1605, 71.4704))  # in Astana, far from every quake

    run(usgs.parse(feed("usgs_summary.geojson")))

    assert Incident.objects.count() == 4
    assert mail.outbox == []
    assert not FeedNotice.objects.exists()
    assert not SafetyCheck.objects.exists()


def test_a_feed_incident_touching_travellers_tells_the_managers_once_per_severity(run):
    manager(username="mara")
    arriving(traveller=employee(username="nina"))

    run(usgs.parse(feed("usgs_summary.geojson")))
    run(usgs.parse(feed("usgs_summary.geojson")))

    (notice,) = notices_to("mara@example.com")
    assert "M 6.1 earthquake, 12 km SW of Almaty" in notice.subject
    assert "nina" in notice.body and "arriving" in notice.body
    # Nobody is there yet: no safety check, even once it is critical; one more e-mail then.
    run(usgs.parse(feed("usgs_summary_revised.geojson")))
    run(usgs.parse(feed("usgs_summary_revised.geojson")))
    assert [m.subject.split(" from ")[0] for m in notices_to("mara@example.com")] == [
        "Warning",
        "Critical",
    ]
    assert not SafetyCheck.objects.exists()


def test_a_critical_feed_incident_with_travellers_there_starts_its_check_as_the_feed(run):
    manager(username="mara")
    there_now(traveller=employee(username="cora"))

    run(usgs.parse(feed("usgs_summary_revised.geojson")), via="feed: USGS significant")

    check = SafetyCheck.objects.get()
    assert check.incident.external_id == "usgs:us7000almt"
    assert check.started_by is None
    assert list(check.recipients.values_list("traveller__username", flat=True)) == ["cora"]
    assert len([m for m in mails_to("cora@example.com") if "Are you OK?" in m.subject]) == 1
    started = AuditEntry.objects.get(action="check.started")
    assert (started.actor, started.details["via"]) == (None, "feed: USGS significant")
    (notice,) = notices_to("mara@example.com")
    assert "A safety check asks those there" in notice.body
    # The next poll starts no second check, nor one a manager closed.
    run(usgs.parse(feed("usgs_summary_revised.geojson")))
    assert SafetyCheck.objects.count() == 1


def test_a_quake_usgs_deletes_closes_its_incident(run):
    run(usgs.parse(feed("usgs_summary.geojson")))
    deleted = feed("usgs_summary.geojson").replace(
        b'"alert":"green","status":"reviewed"', b'"alert":"green","status":"deleted"'
    )

    result = run(usgs.parse(deleted))

    assert result.closed == ["usgs:us7000bshk"]
    assert not Incident.objects.get(external_id="usgs:us7000bshk").is_open
