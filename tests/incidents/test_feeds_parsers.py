"""The hazard feed parsers on saved documents written as the real feeds are
(tests/fixtures/feeds/): severity, point, radius and ids exactly as contracts.md says."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from incidents.feeds import FeedError, cap, gdacs, usgs

FEEDS = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"


def read(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def by_id(items):
    return {item.external_id: item for item in items}


def test_usgs_quakes_are_incidents_with_the_severity_and_radius_of_their_magnitude():
    items = by_id(usgs.parse(read("usgs_summary.geojson")))
    almaty = items["usgs:us7000almt"].incident
    assert almaty.title == "M 6.1 earthquake, 12 km SW of Almaty, Kazakhstan"
    assert almaty.severity == "warning"  # 6.1, PAGER yellow
    assert (almaty.latitude, almaty.longitude, almaty.radius_km) == (43.163, 76.812, 100.0)
    assert almaty.source == "usgs"
    assert almaty.category == "natural_hazards"
    assert almaty.country == ""  # the point says where it is
    assert almaty.starts_on == dt.date(2026, 12, 8)
    assert (
        "at a depth of 14 km, 12 km SW of Almaty, Kazakhstan, on 8 December 2026 at 02:14 UTC."
        in (almaty.summary)
    )
    assert "https://earthquake.usgs.gov/earthquakes/eventpage/us7000almt" in almaty.summary
    taiwan = items["usgs:us7000twn1"].incident
    assert (taiwan.severity, taiwan.radius_km) == ("critical", 200.0)
    fiji = items["usgs:us7000fiji"].incident
    assert (fiji.severity, fiji.radius_km) == ("info", 50.0)
    bishkek = items["usgs:us7000bshk"].incident
    assert (bishkek.severity, bishkek.radius_km) == ("warning", 50.0)  # 5.6 despite green


@pytest.mark.parametrize(
    ("magnitude", "alert", "severity"),
    [
        (6.5, None, "critical"),
        (6.4, None, "warning"),
        (5.5, None, "warning"),
        (5.4, None, "info"),
        (4.9, "orange", "critical"),
        (4.9, "red", "critical"),
        (4.9, "yellow", "warning"),
        (None, None, "info"),
    ],
)
def test_usgs_severity_follows_the_contracts_table(magnitude, alert, severity):
    assert usgs.severity_of(magnitude, alert) == severity


def test_a_corrected_usgs_magnitude_keeps_the_event_id_and_raises_the_severity():
    revised = by_id(usgs.parse(read("usgs_summary_revised.geojson")))["usgs:us7000almt"]
    assert revised.incident.title == "M 6.6 earthquake, 12 km SW of Almaty, Kazakhstan"
    assert revised.incident.severity == "critical"
    assert revised.incident.radius_km == 100.0


def test_a_document_that_is_not_usgs_geojson_is_refused_in_words():
    with pytest.raises(FeedError, match="not USGS GeoJSON"):
        usgs.parse(b"<html>maintenance</html>")
    with pytest.raises(FeedError):
        usgs.parse(b'{"type": "Topology"}')


def test_gdacs_events_carry_their_level_country_point_and_kind_radius():
    items = by_id(gdacs.parse(read("gdacs_rss.xml")))
    assert set(items) == {"gdacs:EQ1501234", "gdacs:FL1102345", "gdacs:TC1001120"}
    quake = items["gdacs:EQ1501234"].incident
    assert quake.title == "M 6.1 earthquake, Kazakhstan"
    assert (quake.severity, quake.country) == ("warning", "KZ")
    assert (quake.latitude, quake.longitude, quake.radius_km) == (43.163, 76.812, 100.0)
    assert quake.starts_on == dt.date(2026, 12, 8) and quake.ends_on is None
    flood = items["gdacs:FL1102345"].incident
    assert (flood.severity, flood.country, flood.radius_km) == ("info", "BD", 100.0)
    # GDACS no longer follows it: it ended on its last date.
    assert (flood.starts_on, flood.ends_on) == (dt.date(2026, 11, 28), dt.date(2026, 12, 5))
    cyclone = items["gdacs:TC1001120"].incident
    assert cyclone.title == "Tropical cyclone CHIDO-26, Mozambique"
    assert (cyclone.severity, cyclone.country, cyclone.radius_km) == ("critical", "MZ", 300.0)
    assert cyclone.source == "gdacs"


def test_gdacs_iso3_codes_become_alpha_2_and_unknown_ones_nothing():
    assert gdacs.country_code("KAZ") == "KZ"
    assert gdacs.country_code("XXX") == ""
    assert gdacs.country_code("") == ""


def test_a_cap_circle_gives_its_point_and_radius_and_extreme_is_critical():
    (item,) = cap.parse(read("cap_alert_circle.xml"))
    incident = item.incident
    assert incident.external_id == "cap:KZ-MES-2026-12-08-001"
    assert incident.title == "Mudflow in the foothills above Almaty"  # the English block
    assert incident.severity == "critical"
    assert (incident.latitude, incident.longitude, incident.radius_km) == (43.1578, 77.059, 15.0)
    assert incident.starts_on == dt.date(2026, 12, 8)
    # Open through the day it expires.
    assert incident.ends_on == dt.date(2026, 12, 11)
    assert "Stay away from river beds" in incident.summary
    assert (item.references, item.cancel, item.skipped) == ([], False, "")


def test_a_cap_polygon_gives_its_centroid_and_the_distance_to_its_farthest_vertex():
    (item,) = cap.parse(read("cap_alert_polygon.xml"))
    incident = item.incident
    assert incident.severity == "warning"  # Severe
    assert (incident.latitude, incident.longitude) == (51.2, 71.5)
    # Half a degree of longitude at 51° N and a fifth of a degree of latitude: about 41 km.
    assert incident.radius_km == pytest.approx(41.4, abs=0.1)


def test_a_polygons_centroid_is_weighted_by_area_not_by_vertices():
    # A square with extra vertices along one edge: their mean would be pulled towards it.
    area = cap.polygon_area("0,0 0,1 0.1,1 0.2,1 0.3,1 0.4,1 1,1 1,0 0,0")
    assert area is not None
    assert (area.latitude, area.longitude) == (0.5, 0.5)


def test_a_cap_update_and_cancel_name_the_messages_they_refer_to():
    (update,) = cap.parse(read("cap_update.xml"))
    assert update.references == ["cap:KZ-MES-2026-12-08-001"]
    assert update.incident.severity == "warning" and update.incident.radius_km == 8.0
    assert not update.cancel
    (cancel,) = cap.parse(read("cap_cancel.xml"))
    assert cancel.cancel and not cancel.skipped
    assert cancel.references == ["cap:KZ-MES-2026-12-08-001", "cap:KZ-MES-2026-12-08-002"]


def test_an_atom_feed_of_cap_alerts_gives_each_and_skips_the_exercise():
    items = cap.parse(read("cap_atom.xml"))
    assert [item.external_id for item in items] == [
        "cap:KZ-MET-0901",
        "cap:KZ-MES-DRILL-7",
        "cap:KZ-MES-2026-12-08-001",
    ]
    dust, drill, mudflow = items
    assert (dust.incident.severity, dust.skipped) == ("info", "")  # Moderate
    assert drill.skipped == "status Exercise, not an actual alert"
    assert mudflow.incident.severity == "critical"


def test_cap_xml_with_entities_is_refused_not_expanded():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&b;</identifier></alert>'
    )
    with pytest.raises(FeedError):
        cap.parse(bomb)


def test_a_document_with_no_cap_alert_is_refused_in_words():
    with pytest.raises(FeedError, match=r"no CAP 1\.2 alert"):
        cap.parse(b"<rss version='2.0'><channel><title>x</title></channel></rss>")
    with pytest.raises(FeedError, match="not CAP XML"):
        cap.parse(b"not xml at all")


def test_a_cap_1_1_message_reads_as_a_1_2_one():
    body = read("cap_alert_circle.xml").replace(b"emergency:cap:1.2", b"emergency:cap:1.1")
    (item,) = cap.parse(body)
    assert (item.external_id, item.incident.severity) == ("cap:KZ-MES-2026-12-08-001", "critical")


def test_an_atom_entry_carrying_cap_elements_itself_is_an_alert_too():
    (item,) = cap.parse(read("cap_atom_nws.xml"))
    incident = item.incident
    assert incident.external_id.startswith("cap:https://alerts.weather.gov/cap/wwacapget.php?x=")
    assert incident.title.startswith("Winter Storm Warning issued December 08")
    assert incident.severity == "warning"
    assert (incident.latitude, incident.longitude) == (61.2, -149.8)
    assert incident.ends_on == dt.date(2026, 12, 11)  # expires 10 Dec 03:00 UTC
    assert item.skipped == ""


def test_a_cap_identifier_too_long_for_the_column_is_kept_as_its_digest():
    long_id = "urn:" + "x" * 300
    assert cap.external_id(long_id) == cap.external_id(long_id)
    assert cap.external_id(long_id).startswith("cap:sha256:")
    assert len(cap.external_id(long_id)) <= 200
    assert cap.external_id("KZ-1") == "cap:KZ-1"
