"""Content packs keep the identity of what they update (places, sections, rules), refuse what
would take over another country's rows, and refuse before writing anything."""

import copy
import re

import pytest

from advisories.models import (
    Advisory,
    AdvisoryVersion,
    Country,
    EmergencyContact,
    Place,
    PlaceAlias,
    Rule,
    Section,
)
from advisories.packs import PackError, pack_export, pack_import, pack_validate
from tests.advisories.helpers import content_of, every_kind_pack, mn
from tests.factories import StopFactory, content_pack


def place_of(pack, name) -> dict:
    return next(place for place in mn(pack)["places"] if place["name"] == name)


def database_state() -> dict:
    """Everything a pack import may write, to compare before and after a refused import."""
    return {
        "export": content_of(pack_export()),
        "advisories": list(Advisory.objects.values("pk", "country_id", "level", "summary")),
        "places": list(Place.objects.values("pk", "country_id", "name", "kind", "level")),
        "aliases": sorted(PlaceAlias.objects.values_list("place_id", "name")),
        "sections": list(Section.objects.values("pk", "key", "advisory_id", "heading")),
        "rules": list(Rule.objects.values("pk", "key", "country_id", "title")),
        "contacts": list(EmergencyContact.objects.values("pk", "country_id", "place_id")),
        "versions": AdvisoryVersion.objects.count(),
    }


# --- places keep their rows across imports ----------------------------------------------


@pytest.mark.django_db
def test_an_unchanged_reimport_keeps_every_place_row_and_publishes_nothing():
    pack_import(every_kind_pack())
    before = dict(Place.objects.values_list("name", "pk"))
    alias_ids = sorted(PlaceAlias.objects.values_list("pk", flat=True))

    report = pack_import(every_kind_pack())

    assert dict(Place.objects.values_list("name", "pk")) == before
    assert sorted(PlaceAlias.objects.values_list("pk", flat=True)) == alias_ids
    assert report.published == []
    assert AdvisoryVersion.objects.count() == 2


@pytest.mark.django_db
def test_a_renamed_place_whose_old_name_is_now_an_alias_keeps_its_row():
    pack_import(every_kind_pack())
    steppe = Place.objects.get(country_id="MN", name="Khovd Steppe")
    contact_place_ids = list(EmergencyContact.objects.values_list("pk", "place_id"))
    pack = every_kind_pack()
    place_of(pack, "Khovd Steppe").update(name="Khovd Plateau", aliases=["Khovd Steppe"])

    report = pack_import(pack)

    renamed = Place.objects.get(pk=steppe.pk)
    assert renamed.name == "Khovd Plateau"
    assert list(renamed.aliases.values_list("name", flat=True)) == ["Khovd Steppe"]
    assert not Place.objects.filter(country_id="MN", name="Khovd Steppe").exists()
    # Sections and rules that named it by its old name now point at the same row.
    assert list(Section.objects.get(key="mn-steppe-winter").places.all()) == [renamed]
    assert renamed in Rule.objects.get(key="mn-permit").places.all()
    assert list(EmergencyContact.objects.values_list("pk", "place_id")) == contact_place_ids
    assert report.created["places"] == 0 and report.deleted["places"] == 0
    assert report.published == [("MN", 2)]


@pytest.mark.django_db
def test_a_trip_stop_keeps_its_place_when_the_place_is_renamed_by_a_pack():
    pack_import(every_kind_pack())
    capital = Place.objects.get(country_id="MN", name="Ulaanbaatar")
    stop = StopFactory(
        country=Country.objects.get(code="MN"), place=capital, place_text="Ulaanbaatar"
    )
    pack = every_kind_pack()
    place_of(pack, "Ulaanbaatar").update(
        name="Ulan Bator", aliases=["Ulaanbaatar", "Улаанбаатар"], level=3
    )

    pack_import(pack)
    pack_import(pack)  # and again, unchanged

    stop.refresh_from_db()
    assert stop.place_id == capital.pk
    assert (stop.place.name, stop.place.level) == ("Ulan Bator", 3)


@pytest.mark.django_db
def test_a_place_renamed_back_to_one_of_its_aliases_keeps_its_row():
    pack_import(every_kind_pack())
    capital_id = Place.objects.get(country_id="MN", name="Ulaanbaatar").pk
    pack = every_kind_pack()
    place_of(pack, "Ulaanbaatar").update(name="Ulan Bator", aliases=["Улаанбаатар"])

    pack_import(pack)

    place = Place.objects.get(pk=capital_id)
    assert place.name == "Ulan Bator"
    assert list(place.aliases.values_list("name", flat=True)) == ["Улаанбаатар"]


@pytest.mark.django_db
def test_a_respelt_alias_replaces_the_old_spelling_on_the_same_place():
    pack_import(every_kind_pack())
    capital_id = Place.objects.get(country_id="MN", name="Ulaanbaatar").pk
    pack = every_kind_pack()
    place_of(pack, "Ulaanbaatar")["aliases"] = ["ULAN-BATOR", "Улаанбаатар"]

    report = pack_import(pack)

    aliases = PlaceAlias.objects.filter(place_id=capital_id)
    assert sorted(aliases.values_list("name", flat=True)) == ["ULAN-BATOR", "Улаанбаатар"]
    assert report.updated["places"] == 1


@pytest.mark.django_db
def test_only_the_places_absent_from_the_pack_are_removed():
    pack_import(every_kind_pack())
    before = dict(Place.objects.values_list("name", "pk"))
    pack = every_kind_pack()
    mn(pack)["places"] = [p for p in mn(pack)["places"] if p["name"] != "Test Range 7"]
    mn(pack)["rules"][4]["places"] = ["Khovd Steppe"]

    report = pack_import(pack)

    after = dict(Place.objects.values_list("name", "pk"))
    assert "Test Range 7" not in after
    assert {name: pk for name, pk in before.items() if name != "Test Range 7"} == after
    assert report.deleted["places"] == 1


@pytest.mark.django_db
def test_a_rename_round_trips_through_export_without_a_new_version():
    pack = every_kind_pack()
    place_of(pack, "Khovd Steppe").update(name="Khovd Plateau", aliases=["Khovd Steppe"])
    pack_import(every_kind_pack())
    pack_import(pack)
    exported = pack_export()
    versions = AdvisoryVersion.objects.count()

    report = pack_import(copy.deepcopy(exported))

    assert report.published == []
    assert AdvisoryVersion.objects.count() == versions
    assert content_of(pack_export()) == content_of(exported)


# --- section and rule keys belong to one country ----------------------------------------


def uz_pack_reusing(*, section_key: str | None = None, rule_key: str | None = None) -> dict:
    pack = content_pack("UZ")
    entry = pack["countries"][0]
    if section_key:
        entry["advisory"]["sections"][0]["key"] = section_key
    if rule_key:
        entry["rules"][0]["key"] = rule_key
    return pack


@pytest.mark.django_db
def test_a_pack_cannot_take_over_a_section_key_of_another_country():
    pack_import(content_pack("MN"))
    before = database_state()

    with pytest.raises(PackError) as refused:
        pack_import(uz_pack_reusing(section_key="mn-crime"))

    assert refused.value.errors == [
        'countries[0].advisory.sections[0].key: key "mn-crime" already belongs to country MN'
    ]
    assert database_state() == before
    assert Section.objects.get(key="mn-crime").advisory.country_id == "MN"


@pytest.mark.django_db
def test_a_pack_cannot_take_over_a_rule_key_of_another_country():
    pack_import(content_pack("MN"))
    before = database_state()

    with pytest.raises(PackError) as refused:
        pack_import(uz_pack_reusing(rule_key="mn-registration"))

    assert refused.value.errors == [
        'countries[0].rules[0].key: key "mn-registration" already belongs to country MN'
    ]
    assert database_state() == before
    assert Rule.objects.get(key="mn-registration").country_id == "MN"


@pytest.mark.django_db
def test_a_pack_listing_both_countries_may_move_a_key_from_one_to_the_other():
    # The pack is the whole content of each country it lists, so MN's entry without the
    # section gives the key up and UZ's entry may take it.
    pack_import(content_pack("MN"))
    pack = content_pack("MN")
    uz = uz_pack_reusing(section_key="mn-crime")
    pack["countries"][0]["advisory"]["sections"] = []
    pack["countries"] += uz["countries"]
    pack["sources"] += uz["sources"]

    assert pack_validate(pack) == []
    pack_import(pack)

    assert Section.objects.get(key="mn-crime").advisory.country_id == "UZ"
    assert not Section.objects.filter(advisory__country_id="MN").exists()


@pytest.mark.django_db
def test_a_pack_repeating_a_rule_key_in_two_countries_is_refused():
    pack = content_pack("MN")
    uz = uz_pack_reusing(rule_key="mn-registration")
    pack["countries"] += uz["countries"]
    pack["sources"] += uz["sources"]
    pack["countries"][1]["advisory"]["sections"][0]["key"] = "uz-crime"

    with pytest.raises(PackError) as refused:
        pack_import(pack)

    assert refused.value.errors == [
        'countries[1].rules[0].key: duplicate rule key "mn-registration" '
        "(also at countries[0].rules[0].key)"
    ]
    assert not Rule.objects.exists()


# --- refused before anything is written -------------------------------------------------


def blank_change_note(pack):
    pack["countries"][0]["advisory"]["change_note"] = "   "


def empty_change_note(pack):
    pack["countries"][0]["advisory"]["change_note"] = ""


def punctuation_place_name(pack):
    pack["countries"][0]["places"][0]["name"] = "!!!"


def blank_place_name(pack):
    pack["countries"][0]["places"][0]["name"] = "  "


def punctuation_alias(pack):
    pack["countries"][0]["places"][0]["aliases"] = ["Old Capital", "!!!"]


def blank_alias(pack):
    pack["countries"][0]["places"][0]["aliases"] = ["  "]


def blank_summary(pack):
    pack["countries"][0]["advisory"]["summary"] = " \n "


def overflowing_days(pack):
    pack["countries"][0]["rules"][0]["threshold_days"] = 10**20


def nul_character(pack):
    pack["countries"][0]["advisory"]["sections"][0]["body"] = "Watch\x00out"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            blank_change_note,
            "countries[0].advisory.change_note: is blank; write a change note or leave the "
            "field out",
        ),
        (
            empty_change_note,
            "countries[0].advisory.change_note: is blank; write a change note or leave the "
            "field out",
        ),
        (punctuation_place_name, "countries[0].places[0].name: must be a name with letters"),
        (blank_place_name, "countries[0].places[0].name: is required"),
        (punctuation_alias, "countries[0].places[0].aliases[1]: must be a name with letters"),
        (blank_alias, "countries[0].places[0].aliases[0]: must be a name with letters"),
        (blank_summary, "countries[0].advisory.summary: is required"),
        (overflowing_days, "countries[0].rules[0].threshold_days: must be at most"),
        (
            nul_character,
            "countries[0].advisory.sections[0].body: contains a NUL character",
        ),
    ],
)
def test_an_invalid_change_is_refused_at_its_path_and_nothing_is_written(change, expected):
    pack_import(content_pack("MN"))
    before = database_state()
    pack = content_pack("MN", level=4)  # a real change, so a valid pack would publish v2
    pack["countries"][0]["advisory"]["summary"] = "Changed."
    change(pack)

    with pytest.raises(PackError) as refused:
        pack_import(pack)

    assert any(error.startswith(expected) for error in refused.value.errors), refused.value
    assert database_state() == before


@pytest.mark.django_db
def test_a_missing_change_note_still_publishes_with_the_default_note():
    pack = content_pack("MN")
    del pack["countries"][0]["advisory"]["change_note"]
    pack_import(pack)
    assert AdvisoryVersion.objects.get().change_note == "Imported from a content pack"


@pytest.mark.django_db
def test_every_error_of_a_broken_pack_names_a_json_path():
    pack = every_kind_pack()
    mn(pack)["advisory"]["change_note"] = " "
    mn(pack)["places"][0]["name"] = "?"
    mn(pack)["places"][1]["aliases"] = ["..."]
    mn(pack)["rules"][2]["max_days"] = 2**40
    mn(pack)["advisory"]["sections"][0]["heading"] = "\t"
    errors = pack_validate(pack)
    assert errors
    path = r"^(\(pack\)|[a-z_]+(\[\d+\])?)(\.[a-z_]+(\[\d+\])?)*: "
    for error in errors:
        assert re.match(path, error), error


# --- the report ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_report_summarises_an_import_in_a_few_words():
    first = pack_import(every_kind_pack())
    assert first.summary().splitlines() == [
        "Published: MN v1 (material), UZ v1 (material)",
        "Created: 3 activities, 2 advisories, 2 emergency contacts, 4 places, 9 rules, "
        "3 sections, 2 sources",
    ]

    pack = every_kind_pack()
    mn(pack)["advisory"]["material"] = False
    mn(pack)["rules"] = mn(pack)["rules"][:-1]
    mn(pack)["rules"][0]["title"] = "Register your stay"
    second = pack_import(pack)
    # Unticked, yet a rule changed: material all the same.
    assert second.summary().splitlines() == [
        "Published: MN v2 (material)",
        "Unchanged: UZ",
        "Updated: 1 rule",
        "Removed: 1 rule",
    ]

    assert pack_import(pack, draft=True).summary() == "Unchanged: MN, UZ"
