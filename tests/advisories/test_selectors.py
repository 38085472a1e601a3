import pytest

from advisories.selectors import (
    countries_with_risk,
    place_match,
    places_for,
    rule_in_words,
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
def test_place_matching_takes_one_query(almaty, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert place_match("kz", "ALMATY") == almaty


@pytest.mark.django_db
def test_a_place_of_another_country_or_unknown_text_does_not_match(almaty):
    assert place_match("UZ", "Almaty") is None
    assert place_match("KZ", "Almaty Oblast") is None
    assert place_match("KZ", "...") is None


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
