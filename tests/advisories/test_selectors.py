import pytest

from advisories.selectors import (
    countries_with_risk,
    place_match,
    places_for,
    rule_in_words,
    visa_free_others_in_words,
)
from tests.factories import PlaceAliasFactory, PlaceFactory, country


@pytest.fixture
def almaty():
    place = PlaceFactory(name="Almaty", country=country("KZ"))
    PlaceAliasFactory(place=place, name="Алматы")
    PlaceAliasFactory(place=place, name="Alma-Ata")
    return place


@pytest.mark.django_db
@pytest.mark.parametrize(
    "typed", ["Almaty", "ALMATY", "almaty.", "  Almaty ", "Алматы", "АЛМАТЫ", "alma ata", "Álmaty"]
)
def test_a_place_matches_by_name_or_alias_ignoring_case_accents_and_punctuation(almaty, typed):
    assert place_match("KZ", typed) == almaty


@pytest.mark.django_db
def test_place_matching_takes_two_queries(almaty, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert place_match("kz", "ALMATY") == almaty


@pytest.mark.django_db
def test_a_place_of_another_country_or_unknown_text_does_not_match(almaty):
    assert place_match("UZ", "Almaty") is None
    assert place_match("KZ", "Almatyskaya Oblast") is None
    assert place_match("KZ", "...") is None


@pytest.mark.django_db
def test_a_place_named_inside_longer_text_matches_and_the_longest_name_wins(almaty):
    region = PlaceFactory(name="Almaty Region", country=country("KZ"), kind="region")
    assert place_match("KZ", "Almaty Oblast") == almaty
    assert place_match("KZ", "Hotel Kazakhstan, Almaty") == almaty
    assert place_match("KZ", "almaty region (north shore)") == region


@pytest.mark.django_db
def test_places_for_lists_places_with_their_aliases_in_two_queries(
    almaty, django_assert_num_queries
):
    PlaceFactory(name="Samarkand", country=country("UZ"))
    with django_assert_num_queries(2):
        places = list(places_for(["kz", "UZ"]))
        aliases = {p.name: sorted(a.name for a in p.aliases.all()) for p in places}
    assert aliases == {"Almaty": ["Alma-Ata", "Алматы"], "Samarkand": []}


@pytest.mark.django_db
def test_countries_are_found_by_code_or_name_ignoring_case():
    assert [c.code for c in countries_with_risk("kz")] == ["KZ"]
    assert "KZ" in [c.code for c in countries_with_risk("kazak")]
    assert countries_with_risk("").count() > 240


def test_a_registration_rule_reads_in_plain_words():
    text = rule_in_words(
        {
            "kind": "registration",
            "threshold_days": 5,
            "deadline_days": 3,
            "deadline_unit": "working",
            "exemptions": {
                "passport_types": ["diplomatic", "service"],
                "visa_categories": [],
                "under_age": 16,
            },
            "valid_from": "2025-01-01",
        }
    )
    assert text == (
        "A stay of more than 5 days must be registered within 3 working days of arrival. "
        "Not required of diplomatic or service passport holders or travellers under 16. "
        "In force from 2025-01-01."
    )


def test_a_stay_limit_and_a_lead_time_read_in_plain_words():
    assert rule_in_words(
        {"kind": "stay_limit", "max_days": 90, "window_days": 180, "nationalities": ["US", "GB"]}
    ) == (
        "Days in the country add up across visits: no more than 90 days in any 180 days. "
        "Only for citizens of GB or US."
    )
    assert rule_in_words({"kind": "permit", "places": ["Baikonur"], "lead_days": 30}) == (
        "A permit is needed before visiting Baikonur. Needed before leaving home: allow 30 days."
    )


VISA_FREE_GB_US = {"kind": "visa_free", "nationalities": ["US", "GB"], "max_days": 30}
VISA_FREE_DE = {"kind": "visa_free", "nationalities": ["DE"], "max_days": 90}


def test_a_visa_free_rule_speaks_only_of_the_citizens_it_lists():
    assert rule_in_words(VISA_FREE_GB_US) == (
        "Citizens of GB and US may stay up to 30 days without a visa; longer stays need a visa."
    )
    assert rule_in_words(VISA_FREE_DE) == (
        "Citizens of DE may stay up to 90 days without a visa; longer stays need a visa."
    )


def test_a_visa_free_rules_exemptions_relieve_the_longer_stays():
    text = rule_in_words(
        {
            **VISA_FREE_DE,
            "exemptions": {
                "passport_types": ["diplomatic"],
                "visa_categories": [],
                "under_age": 16,
            },
            "valid_until": "2030-12-31",
        }
    )
    assert text == (
        "Citizens of DE may stay up to 90 days without a visa; longer stays need a visa, "
        "except for diplomatic passport holders and travellers under 16. "
        "In force until 2030-12-31."
    )


def test_the_citizens_no_visa_free_rule_lists_are_told_once_for_all_the_rules():
    registration = {"kind": "registration", "threshold_days": 5, "deadline_days": 3}
    assert visa_free_others_in_words([registration, VISA_FREE_GB_US, VISA_FREE_DE]) == (
        "Foreign citizens of countries not listed above need a visa."
    )


def test_a_country_with_no_visa_free_rule_makes_no_visa_claim():
    assert visa_free_others_in_words([]) == ""
    assert visa_free_others_in_words([{"kind": "registration", "threshold_days": 5}]) == ""


def test_the_others_sentence_names_only_the_exemptions_every_visa_free_rule_grants():
    def exempt(passports, under_age=None):
        return {"passport_types": passports, "visa_categories": [], "under_age": under_age}

    rules = [
        {**VISA_FREE_GB_US, "exemptions": exempt(["diplomatic", "service"], 16)},
        {**VISA_FREE_DE, "exemptions": exempt(["service", "diplomatic"], 12)},
    ]
    assert visa_free_others_in_words(rules) == (
        "Foreign citizens of countries not listed above need a visa, "
        "except for diplomatic or service passport holders and travellers under 12."
    )
    rules[1]["exemptions"] = exempt(["service"])
    assert visa_free_others_in_words(rules) == (
        "Foreign citizens of countries not listed above need a visa, "
        "except for service passport holders."
    )


def test_the_others_sentence_counts_only_the_rules_in_force():
    rules = [VISA_FREE_GB_US, {**VISA_FREE_DE, "valid_from": "2031-01-01"}]
    assert visa_free_others_in_words(rules) == (
        "Foreign citizens of countries not listed in a rule above that is in force on the "
        "day they arrive need a visa."
    )
