import datetime as dt

import pytest

from advisories.importers.documents import parse_document
from advisories.watch.parsers import parse_source
from advisories.watch.ratings import RATINGS, disagrees, rating_for
from advisories.watch.reading import SourceFormatError
from tests.advisories.watch_helpers import fixture


def read(kind: str, name: str, *, code="KZ", country="Kazakhstan", url="https://example.org/kz"):
    return parse_source(kind, fixture(name), country_code=code, country_name=country, url=url)


def test_the_fcdo_content_api_gives_its_alert_status_change_note_time_and_parts():
    reading = read("fcdo", "fcdo_kazakhstan.json")
    assert reading.rating_code == "avoid_all_but_essential_travel_to_parts"
    assert reading.rating == "advise against all but essential travel to parts"
    assert reading.change_note.startswith("Information on flooding in the Akmola")
    assert reading.updated_at == dt.datetime(2026, 11, 20, 9, 12, 44, tzinfo=dt.UTC)
    assert reading.url == "https://www.gov.uk/foreign-travel-advice/kazakhstan"
    assert "## Warnings and insurance" in reading.document
    assert "## Safety and security" in reading.document
    assert (
        "[appropriate travel insurance](https://www.gov.uk/guidance/foreign-travel-insurance)"
        in (reading.document)
    )


def test_the_fcdo_document_is_read_by_the_importer_with_the_fcdo_as_its_source():
    parsed = parse_document(read("fcdo", "fcdo_kazakhstan.json").document.encode(), fmt="fcdo")
    assert parsed.source["publisher"] == "Foreign, Commonwealth & Development Office (GOV.UK)"
    assert parsed.source["url"] == "https://www.gov.uk/foreign-travel-advice/kazakhstan"
    headings = [section.heading for section in parsed.sections]
    assert "Street crime" in headings or "Crime" in headings


def test_the_most_severe_of_several_fcdo_alert_statuses_is_the_rating():
    import json

    page = json.loads(fixture("fcdo_kazakhstan.json"))
    page["details"]["alert_status"] = [
        "avoid_all_travel_to_parts",
        "avoid_all_but_essential_travel_to_whole_country",
    ]
    reading = parse_source(
        "fcdo", json.dumps(page).encode(), country_code="KZ", country_name="Kazakhstan", url="u"
    )
    assert reading.rating_code == "avoid_all_but_essential_travel_to_whole_country"


def test_an_fcdo_page_without_an_alert_status_rates_no_advice_against_travel():
    import json

    page = json.loads(fixture("fcdo_kazakhstan.json"))
    page["details"]["alert_status"] = []
    reading = parse_source(
        "fcdo", json.dumps(page).encode(), country_code="KZ", country_name="Kazakhstan", url="u"
    )
    assert (reading.rating_code, rating_for("fcdo", reading.rating_code).level) == ("none", 1)


def test_the_state_department_feed_gives_the_countrys_own_item():
    reading = read("us_state", "us_state_advisories.xml")
    assert reading.rating_code == "level_1"
    assert reading.rating == "Level 1: Exercise Normal Precautions"
    assert reading.updated_at == dt.datetime(2026, 7, 14, 4, 0, tzinfo=dt.UTC)
    assert reading.url.endswith("/kazakhstan-travel-advisory.html")
    assert reading.change_note == "Reissued with obsolete COVID-19 page links removed."
    assert "Enroll in the Smart Traveler Enrollment Program" in reading.document
    assert "Kyrgyzstan" not in reading.document.split("\n", 1)[0]


def test_another_country_in_the_same_feed_gets_its_own_level():
    reading = read("us_state", "us_state_advisories.xml", code="AF", country="Afghanistan")
    assert reading.rating_code == "level_4"
    assert rating_for("us_state", "level_4").against_all_travel


def test_a_country_the_feed_does_not_list_is_a_clear_error():
    with pytest.raises(SourceFormatError, match="no item for Mongolia"):
        read("us_state", "us_state_advisories.xml", code="MN", country="Mongolia")


def test_smartraveller_gives_the_overall_level_not_a_regional_one():
    reading = read("smartraveller", "smartraveller_kazakhstan.html")
    assert reading.rating == "Exercise a high degree of caution"
    assert reading.change_note.startswith("We've reviewed our advice for Kazakhstan")
    assert reading.updated_at == dt.datetime(2026, 10, 29, 2, 51, 24, tzinfo=dt.UTC)
    assert "## Safety" in reading.document
    assert "window.dataLayer" not in reading.document
    assert "Before you go" not in reading.document


def test_the_auswaertiges_amt_gives_no_warning_and_its_reise_und_sicherheitshinweise():
    reading = read("auswaertiges_amt", "auswaertiges_amt_kazakhstan.json")
    assert reading.rating_code == "none"
    assert reading.title == "Kasachstan: Reise- und Sicherheitshinweise"
    assert reading.updated_at is not None and reading.updated_at.year == 2026
    assert "## Sicherheit" in reading.document
    assert "### Kriminalität" in reading.document


def test_a_teilreisewarnung_is_a_partial_warning_and_a_reisewarnung_advises_against_all_travel():
    import json

    data = json.loads(fixture("auswaertiges_amt_kazakhstan.json"))
    entry = data["response"]["211934"]
    entry["partialWarning"] = True
    partial = parse_source(
        "auswaertiges_amt",
        json.dumps(data).encode(),
        country_code="KZ",
        country_name="Kazakhstan",
        url="u",
    )
    entry["warning"] = True
    full = parse_source(
        "auswaertiges_amt",
        json.dumps(data).encode(),
        country_code="KZ",
        country_name="Kazakhstan",
        url="u",
    )
    assert (partial.rating_code, full.rating_code) == ("partial_warning", "warning")
    assert not rating_for("auswaertiges_amt", "partial_warning").against_all_travel
    assert rating_for("auswaertiges_amt", "warning").against_all_travel


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("fcdo", "us_state_advisories.xml"),
        ("us_state", "fcdo_kazakhstan.json"),
        ("auswaertiges_amt", "smartraveller_kazakhstan.html"),
    ],
)
def test_a_response_of_another_kind_is_refused_with_a_reason(kind, name):
    with pytest.raises(SourceFormatError):
        read(kind, name)


def test_an_xml_entity_attack_is_refused_before_the_feed_is_read():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><item><title>&b;</title>'
        b"</item></channel></rss>"
    )
    with pytest.raises(SourceFormatError, match="not an RSS feed"):
        parse_source("us_state", bomb, country_code="KZ", country_name="Kazakhstan", url="u")


def test_the_us_levels_map_onto_ours_as_the_table_says():
    levels = {code: rating.level for code, rating in RATINGS["us_state"].items()}
    assert levels == {"level_1": 1, "level_2": 2, "level_3": 4, "level_4": 5}


def test_the_fcdo_whole_country_ratings_are_above_the_parts_ones():
    fcdo = RATINGS["fcdo"]
    assert fcdo["avoid_all_but_essential_travel_to_parts"].level == 3
    assert fcdo["avoid_all_but_essential_travel_to_whole_country"].level == 4
    assert fcdo["avoid_all_travel_to_parts"].level == 4
    assert fcdo["avoid_all_travel_to_whole_country"].level == 5
    assert [code for code, r in fcdo.items() if r.against_all_travel] == [
        "avoid_all_travel_to_whole_country"
    ]


def test_every_rating_in_the_table_is_on_our_scale():
    assert all(1 <= r.level <= 5 for kind in RATINGS.values() for r in kind.values())


@pytest.mark.parametrize(
    ("level", "against_all", "ours", "expected"),
    [
        (4, False, 2, True),  # two levels above ours
        (3, False, 2, False),  # one level above
        (5, True, 4, True),  # against all travel where ours is below 5
        (5, True, 5, False),
        (1, False, 3, False),  # below ours is no alarm
        (5, True, None, False),  # nothing of ours published
    ],
)
def test_the_disagreement_rule(level, against_all, ours, expected):
    assert disagrees(level=level, against_all_travel=against_all, ours=ours) is expected
