"""The official-document parser, on documents of each kind it is given, and on edge cases.

The documents are the repository's own (``tests/fixtures/documents/``): written for these tests
in the style of each publisher, with the structure and quirks of the real thing (page chrome,
a page saved twice, sentences cut by page breaks, a heading with a lone sub-heading). The
reference documents in ``../shared/seeds``, when a checkout has them beside it, get a few more
tests at the end, skipped otherwise.

Pure Python: runs with or without pytest-django (``-p no:django``).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from advisories.importers.documents import (
    DEFAULT_TOPIC_KEYWORDS,
    FORMATS,
    DocumentError,
    ParsedDocument,
    detect_format,
    guess_topic,
    parse_document,
)
from advisories.importers.documents.topics import _TIE_ORDER
from core.lib.vocabulary import Topic

DOCUMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "documents"
UK = "fcdo_staying_safe.txt"  # GOV.UK travel advice: Markdown, navigation block at the end
OSAC = "osac_crime_and_safety.txt"  # an OSAC report: bare headings, bullets, contact blocks
CT_LAW = "plain_counter_terrorism_law.txt"  # a law summary: page chrome, a flattened table
ENTRY = "plain_entry_rules_faq.txt"  # an FAQ page saved twice into one file, credit lines
CRIME_INDEX = "pdf_crime_profile.txt"  # PDF text: bold headings, page breaks, running footers

EXPLICIT_FORMAT = {UK: "fcdo", OSAC: "osac", CT_LAW: "plain", ENTRY: "plain", CRIME_INDEX: "plain"}
AUTO_FORMAT = EXPLICIT_FORMAT  # the crime profile (PDF text) is detected as "plain"

# A handful of each document's own headings, as they must come out.
EXPECTED_HEADINGS = {
    UK: [
        "Terrorism",
        "Protests and politics",
        "Crime",
        "Laws and local customs",
        "Road travel",
        "Closed areas",
        "Earthquakes",
        "Terrorist threat in Kazakhstan",
        "Carrying your ID",
        "Illegal drugs",
        "Using drones",
        "Trekking and mountaineering",
        "Taxis",
        "Road conditions",
        "Border crossings",
        "Wildfires",
        "Flooding and mudslides",
    ],
    OSAC: [
        "Overall Crime and Safety Situation",
        "Crime Threats",
        "Road Safety and Road Conditions",
        "Public Transportation Conditions",
        "Civil Unrest",
        "Environmental Hazards",
        "Police Response",
        "Medical Emergencies",
        "Consulate Contact Numbers",
    ],
    CT_LAW: [
        "The Definition of Terrorism in Domestic Law",
        "Adherence to Global and Regional Terrorism Treaties",
        "Laws and Penalties for Terrorist Offences",
        "Counterterrorism Capacities and Policies at Domestic Level",
    ],
    ENTRY: [
        "Registration of foreign visitors",
        "Does a stay of five days or less need registration?",
        "Which foreigners are exempt from registration?",
        "Does a foreigner who moves need to register again?",
        "Transit through the territory of Kazakhstan",
    ],
    CRIME_INDEX: [
        "PEOPLE",
        "TRADE",
        "DRUGS",
        "CRIMINAL ACTORS",
        "LEADERSHIP AND GOVERNANCE",
        "ECONOMIC AND FINANCIAL ENVIRONMENT",
        "CIVIL SOCIETY AND SOCIAL PROTECTION",
    ],
}

# Page chrome, navigation, credits and footers in the documents, none of which is content.
CHROME = [
    "Skip to main content",
    "View a printable version",
    "/foreign-travel-advice/kazakhstan/print",
    "Entry requirements](",
    "Report DETAILS",
    "South Central Asia >",
    "Last updated",
    "Visitors info",
    "Other tourist memos",
    "Prepared by the Visitors",
    "Additional information:",
    "This profile was funded",
    "CRIME PROFILE",
    "**",
    "\u00a0",
]
# The one paragraph that starts in lower case on purpose: a definition quoted after a colon.
QUOTED_DEFINITION = "causing an explosion"


def document(name: str) -> bytes:
    return (DOCUMENTS / name).read_bytes()


def parse(name: str, fmt: str = "auto", **kwargs: object) -> ParsedDocument:
    return parse_document(document(name), fmt=fmt, **kwargs)  # type: ignore[arg-type]


def section(doc: ParsedDocument, heading: str) -> str:
    matches = [s for s in doc.sections if s.heading == heading]
    assert len(matches) == 1, f"{heading!r} in {[s.heading for s in doc.sections]}"
    return matches[0].body


def topic(doc: ParsedDocument, heading: str) -> str:
    return next(s.topic for s in doc.sections if s.heading == heading)


def paragraphs(doc: ParsedDocument) -> list[str]:
    out = []
    for s in doc.sections:
        out.extend(p.strip() for p in s.body.split("\n\n") if p.strip())
    return out


@pytest.fixture(autouse=True)
def _portal_test_settings() -> None:
    """The parser needs no Django settings: override the project's autouse fixture."""


# --------------------------------------------------------------------------------------
# Every document, with auto and with its explicit format

ALL_DOCUMENTS = [UK, OSAC, CT_LAW, ENTRY, CRIME_INDEX]
DOCUMENT_AND_FORMAT = [
    (name, fmt) for name in ALL_DOCUMENTS for fmt in ("auto", EXPLICIT_FORMAT[name])
]


@pytest.mark.parametrize(("name", "fmt"), DOCUMENT_AND_FORMAT)
def test_each_document_splits_into_sections_headed_with_its_own_headings(
    name: str, fmt: str
) -> None:
    doc = parse(name, fmt)

    assert doc.format == AUTO_FORMAT[name]
    headings = [s.heading for s in doc.sections]
    for expected in EXPECTED_HEADINGS[name]:
        assert expected in headings
    assert all(s.topic in Topic.codes() for s in doc.sections)
    assert all(s.body.strip() for s in doc.sections)


@pytest.mark.parametrize(("name", "fmt"), DOCUMENT_AND_FORMAT)
def test_no_page_chrome_is_left_in_any_document(name: str, fmt: str) -> None:
    doc = parse(name, fmt)

    text = "\n".join(f"{s.heading}\n{s.body}" for s in doc.sections)
    for chrome in CHROME:
        assert chrome not in text
    lines = {line.strip().casefold() for line in text.splitlines()}
    assert not lines & {"previous", "next", "home", ":", "return to top", "share", "3", "4"}


@pytest.mark.parametrize(("name", "fmt"), DOCUMENT_AND_FORMAT)
def test_no_heading_or_paragraph_appears_twice(name: str, fmt: str) -> None:
    doc = parse(name, fmt)

    headings = Counter(s.heading for s in doc.sections)
    assert [h for h, n in headings.items() if n > 1] == []
    repeated = Counter(p for p in paragraphs(doc) if len(p) >= 40)
    assert [p for p, n in repeated.items() if n > 1] == []


@pytest.mark.parametrize("name", ALL_DOCUMENTS)
def test_no_paragraph_starts_in_lower_case_as_if_cut_from_the_previous_one(name: str) -> None:
    doc = parse(name)

    broken = [p for p in paragraphs(doc) if p[0].islower() and not p.startswith(QUOTED_DEFINITION)]
    assert broken == []


# --------------------------------------------------------------------------------------
# UK FCDO travel advice (Markdown)


def test_detect_format_picks_fcdo_for_the_uk_advice() -> None:
    assert detect_format(document(UK).decode()) == "fcdo"


def test_the_uk_advice_keeps_its_headings_and_merges_crime_under_its_heading() -> None:
    doc = parse(UK)

    headings = [s.heading for s in doc.sections]
    assert headings[:4] == [
        "Terrorism",
        "Terrorist threat in Kazakhstan",
        "Protests and politics",
        "Crime",
    ]
    crime = section(doc, "Crime")
    assert "### Street robbery" in crime
    assert "### Card fraud" in crime
    # "Transport risks" has no text of its own and mixes topics: its parts stand alone
    assert "Transport risks" not in headings
    assert {"Road travel", "Taxis", "Closed areas"} <= set(headings)
    # the document's title is its level-1 heading, not a section
    assert doc.title == "Staying safe"
    assert "Staying safe" not in headings


def test_a_lone_sub_heading_is_kept_as_its_own_section_under_its_parents_topic() -> None:
    doc = parse(UK)

    headings = [s.heading for s in doc.sections]
    # "Outdoor activities and adventure tourism" has no text and one sub-heading: the
    # sub-heading is the section (the trekking activity's advice), not merged away under it
    assert "Outdoor activities and adventure tourism" not in headings
    assert topic(doc, "Trekking and mountaineering") == "outdoor_activities"
    trekking = section(doc, "Trekking and mountaineering")
    assert trekking.startswith("Treks here often go deep into empty mountain country")
    assert "###" not in trekking


def test_a_lone_sub_heading_naming_no_topic_takes_the_topic_its_heading_names() -> None:
    doc = parse_document(
        "# Advice\n\n## Health\n\n### Before you go\n\nPack what you need for the trip.\n"
        "\n## Crime\n\n### Markets\n\nPickpockets work the stalls.\n\n### At night\n\n"
        "Thieves snatch bags.\n"
    )

    assert [(s.heading, s.topic) for s in doc.sections] == [
        ("Before you go", "health"),
        ("Crime", "crime"),
    ]


def test_the_uk_advice_gets_sensible_topics() -> None:
    doc = parse(UK)

    assert topic(doc, "Terrorism") == "terrorism"
    assert topic(doc, "Terrorist threat in Kazakhstan") == "terrorism"
    assert topic(doc, "Protests and politics") == "civil_unrest"
    assert topic(doc, "Crime") == "crime"
    assert topic(doc, "Laws and local customs") == "laws_customs"
    assert topic(doc, "Road travel") == "transport"
    assert topic(doc, "Closed areas") == "entry_registration"
    assert topic(doc, "Earthquakes") == "natural_hazards"


def test_the_uk_advice_keeps_its_links_as_markdown_links() -> None:
    doc = parse(UK)

    assert (
        "[advice on keeping safe when abroad](https://www.counterterrorism.police.uk/safetyadvice/)"
        in section(doc, "Terrorism")
    )
    assert (
        "[international driving permit]"
        "(https://www.gov.uk/driving-abroad/international-driving-permit)"
    ) in section(doc, "Road travel")
    assert "* the town of Baikonur" in section(doc, "Closed areas")


def test_the_uk_advice_drops_the_previous_next_and_printable_version_block() -> None:
    doc = parse(UK)

    earthquakes = section(doc, "Earthquakes")
    assert earthquakes.endswith(
        "[what to do before, during and after an earthquake](https://www.ready.gov/earthquakes)."
    )
    assert "Health](" not in earthquakes


def test_the_uk_advice_records_gov_uk_as_its_source() -> None:
    doc = parse(UK)

    assert "GOV.UK" in (doc.source["publisher"] or "")
    assert doc.source["url"] == "https://www.gov.uk/foreign-travel-advice/kazakhstan/staying-safe"
    assert doc.source["title"] == "Kazakhstan travel advice: Staying safe"
    assert doc.source["retrieved"] is None


def test_the_uk_advice_suggests_112_109_and_baikonur_when_given() -> None:
    doc = parse(UK, closed_areas=["Baikonur"], known_places=["Almaty", "Atyrau"])

    numbers = {s.value: s for s in doc.suggestions if s.kind == "emergency_contact"}
    assert {"112", "109"} <= set(numbers)
    assert numbers["112"].text == "Emergency"
    assert numbers["112"].section_heading == "Trekking and mountaineering"
    assert "18" not in numbers  # "18 mountain huts", not a phone number
    assert "16" not in numbers and "20" not in numbers  # ages beside "police"
    closed = [s for s in doc.suggestions if s.kind == "closed_area"]
    assert [(s.value, s.section_heading) for s in closed] == [("Baikonur", "Closed areas")]
    places = {(s.value, s.section_heading) for s in doc.suggestions if s.kind == "place"}
    assert ("Almaty", "Earthquakes") in places
    assert ("Atyrau", "Crime") in places


# --------------------------------------------------------------------------------------
# US OSAC report (bare-line headings, bullets, contact blocks)


def test_detect_format_picks_osac_for_the_osac_report() -> None:
    assert detect_format(document(OSAC).decode()) == "osac"


def test_the_osac_report_turns_bullets_into_markdown_bullets() -> None:
    doc = parse(OSAC)

    body = section(doc, "Local, Regional, and International Terrorism Threats/Concerns")
    assert "\n- Also in 2016, gunmen attacked shops and a military unit in Aktobe" in body
    assert all("•" not in s.body for s in doc.sections)


def test_the_osac_report_keeps_contact_blocks_line_by_line() -> None:
    doc = parse(OSAC)

    body = section(doc, "Consulate Contact Numbers")
    assert body.split("\\\n") == [
        "Regional Security Officer (Astana): 8-717-270-2150",
        "American Citizen Services (Astana): 8-717-270-2100",
        "After hours (Astana): 8-717-270-2200",
    ]


def test_the_osac_report_drops_a_heading_with_nothing_under_it_and_a_hanging_label() -> None:
    doc = parse(OSAC)

    headings = [s.heading for s in doc.sections]
    assert "Transportation-Safety Situation" not in headings
    assert "Nearby Posts" not in headings
    assert all("Consulate General Almaty:" not in s.body for s in doc.sections)


def test_the_osac_report_gets_its_title_publisher_and_topics() -> None:
    doc = parse(OSAC)

    assert doc.title == "Kazakhstan 2018 Crime & Safety Report: Astana"
    assert "OSAC" in (doc.source["publisher"] or "")
    assert doc.source["retrieved"] is None  # a 2018 report, but no retrieval date in it
    assert topic(doc, "Crime Threats") == "crime"
    assert topic(doc, "Road Safety and Road Conditions") == "transport"
    assert topic(doc, "Civil Unrest") == "civil_unrest"
    assert topic(doc, "Environmental Hazards") == "natural_hazards"
    assert topic(doc, "Medical Emergencies") == "health"


def test_the_osac_report_suggests_the_police_number_and_labelled_contact_numbers() -> None:
    doc = parse(OSAC)

    numbers = {s.value: s for s in doc.suggestions if s.kind == "emergency_contact"}
    assert numbers["102"].text == "Police"
    assert numbers["102"].section_heading == "Crime Victim Assistance"
    assert numbers["8-717-270-2200"].text == "After hours (Astana)"
    assert numbers["8-717-255-0303"].text == "Steppe Medical Centre"
    assert "20" not in numbers and "10" not in numbers


# --------------------------------------------------------------------------------------
# Counter-terrorism law summary (plain text with page chrome)


def test_the_counter_terrorism_summary_keeps_its_introduction_and_drops_hanging_labels() -> None:
    doc = parse(CT_LAW)

    assert doc.sections[0].heading == "Overview"
    assert doc.sections[0].body.startswith("Kazakh law treats terrorism in the Criminal Code")
    assert "Compliance with International Law:" not in doc.sections[0].body
    assert all(s.topic == "terrorism" for s in doc.sections)


def test_the_counter_terrorism_summary_keeps_the_flattened_treaty_table_line_by_line() -> None:
    doc = parse(CT_LAW)

    body = section(doc, "Adherence to Global and Regional Terrorism Treaties")
    assert "Instrument Status\\\n1979 Convention against the Taking of Hostages Party" in body


# --------------------------------------------------------------------------------------
# Entry rules FAQ (the page saved twice into one file)


def test_the_entry_rules_page_repeated_twice_comes_out_once() -> None:
    doc = parse(ENTRY)

    text = "\n".join(s.body for s in doc.sections)
    assert text.count("A foreign visitor enters and leaves Kazakhstan on a valid passport") == 1
    assert text.count("If a foreigner stays no longer than 5 days") == 1
    # the visa-free list is only in the second copy: kept, once, in its place
    visa_free = section(doc, "Visa-free entry for citizens of certain countries.")
    assert visa_free.count("- the United Kingdom of Great Britain and Northern Ireland,") == 1
    assert "- the United States of America," in visa_free
    assert "- -" not in text


def test_the_entry_rules_questions_are_headings_about_entry_and_registration() -> None:
    doc = parse(ENTRY)

    assert doc.title == "Entering and staying in Kazakhstan: rules for foreign visitors"
    for heading in EXPECTED_HEADINGS[ENTRY]:
        assert topic(doc, heading) == "entry_registration"
    assert "If a foreigner loses or damages the migration card." in [
        s.heading for s in doc.sections
    ]
    exempt = section(doc, "Which foreigners are exempt from registration?")
    assert "- holding a diplomatic or service passport;" in exempt


def test_the_entry_rules_credit_lines_become_the_source() -> None:
    doc = parse(ENTRY)

    assert doc.source["publisher"] == "Visitors\u2019 Legal Aid Office"
    assert doc.source["url"] == "https://visitors.example.org/memo?lang=en"


# --------------------------------------------------------------------------------------
# Organised crime profile (PDF converted to text)


def test_the_crime_index_is_detected_as_plain_text() -> None:
    assert detect_format(document(CRIME_INDEX).decode()) == "plain"


def test_the_crime_index_joins_a_sentence_broken_at_a_page_boundary() -> None:
    source = document(CRIME_INDEX).decode()
    # the page's number and running footer stand between the two halves
    assert re.search(r"particularly for\n\n+3\n\nCRIME PROFILE · KAZAKHSTAN\n\n+fuelwood", source)

    doc = parse(CRIME_INDEX)

    assert (
        "cutting without a permit, particularly for fuelwood, continues to damage both the land "
        "and the local economy." in section(doc, "ENVIRONMENT")
    )
    assert "where officials may act as protectors" in section(doc, "CRIMINAL ACTORS")


def test_the_crime_index_joins_a_paragraph_whose_end_was_printed_out_of_order() -> None:
    doc = parse(CRIME_INDEX)

    assert section(doc, "CIVIL SOCIETY AND SOCIAL PROTECTION").endswith(
        "the room for civic life keeps narrowing. Promises by the government to look into "
        "attacks on reporters have not stopped the climate for the press from getting worse."
    )


def test_the_crime_index_strips_bold_markers_and_takes_its_cover_as_title() -> None:
    doc = parse(CRIME_INDEX)

    assert doc.title == "KAZAKHSTAN"
    assert all("*" not in s.heading for s in doc.sections)
    assert "KAZAKHSTAN" not in [s.heading for s in doc.sections]
    assert topic(doc, "PEOPLE") == "crime"
    assert doc.source["title"] == "Global Organized Crime Index: Kazakhstan"


# --------------------------------------------------------------------------------------
# Topics


def test_the_keyword_table_covers_exactly_the_portals_topics() -> None:
    assert set(DEFAULT_TOPIC_KEYWORDS) == set(Topic.codes())
    assert sorted(_TIE_ORDER) == sorted(Topic.codes())


def test_a_heading_match_wins_over_the_body() -> None:
    assert guess_topic("Road travel", "terrorism terrorism terrorism") == "transport"


def test_the_body_decides_when_the_heading_names_no_topic() -> None:
    assert guess_topic("Good to know", "Pickpocketing and theft on buses.") == "crime"


def test_the_fallback_topic_is_security() -> None:
    assert guess_topic("Miscellaneous", "Nothing to see.") == "security"


def test_extra_keywords_are_consulted_before_the_defaults() -> None:
    extra = {"security": ["closed areas"], "no_such_topic": ["road"]}

    assert guess_topic("Closed areas", "", extra) == "security"
    assert guess_topic("Road travel", "", extra) == "transport"
    assert guess_topic("Marshrutka etiquette", "", {"transport": ["Marshrutka"]}) == "transport"


def test_extra_keywords_override_the_topics_of_a_parsed_document() -> None:
    doc = parse(UK, extra_keywords={"security": ["closed areas"]})

    assert topic(doc, "Closed areas") == "security"


def test_keywords_match_accents_and_plurals() -> None:
    assert guess_topic("Séismes et earthquakes") == "natural_hazards"
    assert guess_topic("Pickpockets") == "crime"


# --------------------------------------------------------------------------------------
# Suggestions on small documents


def test_places_match_case_and_accent_insensitively() -> None:
    doc = parse_document(
        "## Cities\n\nThe old town of TÜRKISTAN and almaty are busy.\n",
        known_places=["Turkistan", "Almaty", "Shymkent"],
        closed_areas=["Almaty"],
    )

    found = {(s.kind, s.value, s.text) for s in doc.suggestions}
    assert found == {("place", "Turkistan", "TÜRKISTAN"), ("closed_area", "Almaty", "almaty")}


def test_ages_amounts_and_years_are_not_taken_for_emergency_numbers() -> None:
    doc = parse_document(
        "## Police\n\nPolice fine drivers aged 18 or under. Call 103 for an ambulance. "
        "The police station has 20 officers, since 2020.\n"
    )

    numbers = [(s.value, s.text) for s in doc.suggestions if s.kind == "emergency_contact"]
    assert numbers == [("103", "Ambulance")]


# --------------------------------------------------------------------------------------
# Chrome and structure on small documents


def test_cookie_banners_share_links_and_return_to_top_are_dropped() -> None:
    text = (
        "Skip to main content\n\n"
        "We use some essential cookies to make this service work. Accept additional cookies\n\n"
        "Home > Travel > Kazakhstan\n\n"
        "Getting Around\n\n"
        "Buses are crowded.\n\n"
        "Return to top\n\n"
        "Share on Facebook\n\n"
        "3\n"
    )

    doc = parse_document(text, fmt="plain")

    assert [(s.heading, s.body) for s in doc.sections] == [("Getting Around", "Buses are crowded.")]


def test_a_page_repeated_three_times_comes_out_once() -> None:
    once = parse(UK)
    text = document(UK).decode()

    thrice = parse_document("\n\n".join([text, text, text]))

    assert [(s.heading, s.body) for s in thrice.sections] == [
        (s.heading, s.body) for s in once.sections
    ]


def test_a_page_number_between_the_halves_of_a_sentence_is_dropped_and_the_halves_joined() -> None:
    text = (
        "# **CRIME**\n\nThieves work the night markets, particularly\n\n\n\n12\n\n\n\n"
        "around the station. Take care.\n"
    )

    doc = parse_document(text)

    assert doc.format == "plain"
    assert [(s.heading, s.body) for s in doc.sections] == [
        ("CRIME", "Thieves work the night markets, particularly around the station. Take care.")
    ]


def test_a_heading_or_paragraph_printed_twice_in_a_row_comes_out_once() -> None:
    text = (
        "# Guide\n\n## **ROADS**\n\n## **ROADS**\n\n"
        "Roads are icy in winter and many are unlit.\n\n"
        "Roads are icy in winter and many are unlit.\n\n## **RAIL**\n\nTrains are slow.\n"
    )

    doc = parse_document(text)

    assert [(s.heading, s.body) for s in doc.sections] == [
        ("ROADS", "Roads are icy in winter and many are unlit."),
        ("RAIL", "Trains are slow."),
    ]


def test_an_all_caps_heading_with_a_navigation_word_is_kept() -> None:
    doc = parse_document("Report DETAILS\n\nSEARCH AND RESCUE\n\nTeams patrol the mountains.\n")

    assert [s.heading for s in doc.sections] == ["SEARCH AND RESCUE"]


def test_relative_gov_uk_links_are_made_absolute() -> None:
    text = (
        "# Health\n\n## Vaccines\n\n"
        "See [entry requirements](/foreign-travel-advice/kazakhstan/entry-requirements).\n"
    )

    doc = parse_document(text)

    assert doc.format == "fcdo"
    assert "](https://www.gov.uk/foreign-travel-advice/kazakhstan/entry-requirements)" in (
        doc.sections[0].body
    )


def test_a_retrieval_date_in_the_text_is_recorded() -> None:
    text = "Retrieved: 3 November 2026\n\nRoad Travel\n\nRoads are icy in winter.\n"

    doc = parse_document(text)

    assert doc.source["retrieved"] == "2026-11-03"
    assert [s.heading for s in doc.sections] == ["Road Travel"]


def test_text_without_headings_becomes_one_overview_section() -> None:
    doc = parse_document(b"Stay alert in crowded places.\n")

    assert [(s.heading, s.topic) for s in doc.sections] == [("Overview", "security")]


# --------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        ("", "file is empty"),
        (b"  \n\n\t \r\n", "file is empty (only whitespace)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "file is binary (NUL bytes)"),
        (b"Caf\xe9 culture\n", "file is not UTF-8 text (byte 0xe9 at offset 3)"),
        (b"Skip to main content\n\nPrevious\n\nNext\n", "no sections found"),
    ],
    ids=["empty", "empty-str", "whitespace", "binary", "latin-1", "only-chrome"],
)
def test_a_bad_file_raises_a_clear_document_error(data: bytes | str, message: str) -> None:
    with pytest.raises(DocumentError) as caught:
        parse_document(data)

    assert str(caught.value) == message


def test_an_unknown_format_raises_a_document_error_naming_the_choices() -> None:
    with pytest.raises(DocumentError) as caught:
        parse(UK, fmt="xyz")

    assert str(caught.value) == "unknown format 'xyz': choose fcdo, osac, plain or auto"


def test_a_document_error_is_a_value_error() -> None:
    assert issubclass(DocumentError, ValueError)
    assert FORMATS == ("fcdo", "osac", "plain", "auto")


# --------------------------------------------------------------------------------------
# The reference documents, when the checkout has them beside it (../shared/seeds)

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(
    not SEEDS.is_dir(),
    reason=f"the reference documents are not beside this checkout ({SEEDS} is absent)",
)
SEED_HEADINGS = {
    "000_03d531ee13b264f4.txt": ["Terrorism", "Crime", "Road travel", "Closed areas"],
    "001_1d0e7d477cdff5bf.txt": ["Crime Threats", "Civil Unrest", "Consulate Contact Numbers"],
    "002_e832f3c4aa438b1c.txt": ["The Definition of Terrorism in Domestic Law"],
    "003_df8d5c9fbba29a34.txt": ["What categories of foreigners are exempt from registration?"],
    "004_1ae23ba2a1fd8548.txt": ["PEOPLE", "CRIMINAL ACTORS", "LEADERSHIP AND GOVERNANCE"],
}


@needs_seeds
@pytest.mark.parametrize("name", sorted(SEED_HEADINGS))
def test_each_reference_document_splits_on_its_headings_without_chrome_or_repeats(
    name: str,
) -> None:
    doc = parse_document((SEEDS / name).read_bytes())

    headings = [s.heading for s in doc.sections]
    assert set(SEED_HEADINGS[name]) <= set(headings)
    assert [h for h, n in Counter(headings).items() if n > 1] == []
    text = "\n".join(f"{s.heading}\n{s.body}" for s in doc.sections)
    for chrome in ("Skip to main content", "View a printable version", "Report DETAILS", "**"):
        assert chrome not in text
    repeated = Counter(p for p in paragraphs(doc) if len(p) >= 40)
    assert [p for p, n in repeated.items() if n > 1] == []


@needs_seeds
def test_the_reference_uk_advice_keeps_trekking_as_its_own_outdoor_section() -> None:
    doc = parse_document((SEEDS / "000_03d531ee13b264f4.txt").read_bytes())

    headings = [s.heading for s in doc.sections]
    assert "Outdoor activities and adventure tourism" not in headings
    assert topic(doc, "Trekking and mountaineering") == "outdoor_activities"
    assert "### " not in section(doc, "Trekking and mountaineering")
