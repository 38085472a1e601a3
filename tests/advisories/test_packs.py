import copy
import json
from pathlib import Path

import pytest

from advisories.models import (
    Activity,
    Advisory,
    AdvisoryVersion,
    Country,
    EmergencyContact,
    Place,
    PlaceAlias,
    Rule,
    Section,
    Source,
)
from advisories.packs import PackError, pack_export, pack_import, pack_validate
from tests.advisories.helpers import content_of, every_kind_pack, mn
from tests.factories import content_pack

DEMO_PACK = Path(__file__).resolve().parents[2] / "advisories" / "content" / "demo-pack.json"


def errors_of(pack) -> list[str]:
    return pack_validate(pack)


# --- the validator, field by field -----------------------------------------------------


@pytest.mark.django_db
def test_the_every_kind_pack_is_valid():
    assert errors_of(every_kind_pack()) == []


@pytest.mark.django_db
def test_the_shipped_demo_pack_is_valid():
    pack = json.loads(DEMO_PACK.read_text(encoding="utf-8"))
    assert pack_validate(pack) == []
    report = pack_import(pack)
    assert [code for code, _ in report.published] == ["KZ"]
    assert Country.objects.get(code="KZ").published.number == 1


def with_change(change) -> list[str]:
    pack = every_kind_pack()
    change(pack)
    return errors_of(pack)


def rule(pack, index) -> dict:
    return mn(pack)["rules"][index]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda p: rule(p, 2).update(kind="visa_free_x"),
            'countries[0].rules[2].kind: unknown kind "visa_free_x"',
        ),
        (
            lambda p: rule(p, 0).pop("threshold_days"),
            "countries[0].rules[0].threshold_days: is required for a registration rule",
        ),
        (
            lambda p: rule(p, 0).pop("deadline_days"),
            "countries[0].rules[0].deadline_days: is required for a registration rule",
        ),
        (
            lambda p: rule(p, 1).pop("deadline_days"),
            "countries[0].rules[1].deadline_days: is required for a re_registration rule",
        ),
        (
            lambda p: rule(p, 2).update(nationalities=[]),
            "countries[0].rules[2].nationalities: is required for a visa_free rule",
        ),
        (
            lambda p: rule(p, 2).update(nationalities=["US", "XX"]),
            "countries[0].rules[2].nationalities: unknown country code(s): XX",
        ),
        (
            lambda p: rule(p, 2).pop("max_days"),
            "countries[0].rules[2].max_days: is required for a visa_free rule",
        ),
        (
            lambda p: rule(p, 3).pop("max_days"),
            "countries[0].rules[3].max_days: is required for a transit rule",
        ),
        (
            lambda p: rule(p, 4).update(places=[]),
            "countries[0].rules[4].places: is required for a permit rule",
        ),
        (
            lambda p: rule(p, 4).update(places=["Atlantis"]),
            'countries[0].rules[4].places: unknown place "Atlantis"',
        ),
        (
            lambda p: rule(p, 6).update(activities=[]),
            "countries[0].rules[6].activities: is required for a activity rule",
        ),
        (
            lambda p: rule(p, 6).update(activities=["skydiving"]),
            'countries[0].rules[6].activities: unknown activity "skydiving"',
        ),
        (
            lambda p: rule(p, 0)["exemptions"].update(passport_types=["alien"]),
            'countries[0].rules[0].exemptions.passport_types: unknown passport type "alien"',
        ),
        (
            lambda p: rule(p, 0)["exemptions"].update(under_age="sixteen"),
            "countries[0].rules[0].exemptions.under_age: must be an age in years",
        ),
        (
            lambda p: rule(p, 0)["exemptions"].update(pets=True),
            "countries[0].rules[0].exemptions.pets: unknown field",
        ),
        (
            lambda p: rule(p, 0).update(valid_until="2023-12-31"),
            "countries[0].rules[0].valid_until: is before valid_from",
        ),
        (
            lambda p: rule(p, 0).update(valid_from="1st of May"),
            "countries[0].rules[0].valid_from: not a date (YYYY-MM-DD)",
        ),
        (
            lambda p: rule(p, 0).update(deadline_unit="fortnights"),
            "countries[0].rules[0].deadline_unit: must be calendar or working",
        ),
        (
            lambda p: rule(p, 0).update(threshold_days="five"),
            "countries[0].rules[0].threshold_days: must be a whole number of days",
        ),
        (
            lambda p: rule(p, 0).update(threshold_days=True),
            "countries[0].rules[0].threshold_days: must be a whole number of days",
        ),
        (
            lambda p: rule(p, 4).update(max_days=3),
            "countries[0].rules[4].max_days: is not used by a permit rule",
        ),
        (
            lambda p: rule(p, 0).update(source="nowhere"),
            'countries[0].rules[0].source: unknown source "nowhere"',
        ),
        (
            lambda p: rule(p, 0).update(colour="red"),
            "countries[0].rules[0].colour: unknown field",
        ),
        (
            lambda p: rule(p, 1).update(key="mn-registration"),
            'countries[0].rules[1].key: duplicate rule key "mn-registration"',
        ),
        (
            lambda p: rule(p, 1).update(key="not a slug"),
            "countries[0].rules[1].key: must be a slug",
        ),
        (
            lambda p: mn(p)["rules"].append("registration"),
            "countries[0].rules[8]: must be an object, not a string",
        ),
        (
            lambda p: mn(p).update(code="XX"),
            'countries[0].code: unknown country code "XX"',
        ),
        (
            lambda p: mn(p).update(code="mn"),
            "countries[0].code: must be an upper-case ISO 3166-1 code",
        ),
        (
            lambda p: p["countries"][1].update(code="MN"),
            'countries[1].code: duplicate country "MN"',
        ),
        (lambda p: mn(p).pop("advisory"), "countries[0].advisory: is required"),
        (
            lambda p: mn(p)["advisory"].update(level=6),
            "countries[0].advisory.level: must be a level from 1 to 5",
        ),
        (
            lambda p: mn(p)["advisory"].pop("summary"),
            "countries[0].advisory.summary: is required",
        ),
        (
            lambda p: mn(p)["advisory"].update(material="yes"),
            "countries[0].advisory.material: must be true or false",
        ),
        (
            lambda p: mn(p)["advisory"]["sections"][0].update(topic="gossip"),
            'countries[0].advisory.sections[0].topic: unknown topic "gossip"',
        ),
        (
            lambda p: mn(p)["advisory"]["sections"][0].update(months=[0, 13]),
            "countries[0].advisory.sections[0].months: must be a list of month numbers",
        ),
        (
            lambda p: mn(p)["advisory"]["sections"][0].update(places=["Gobi"]),
            'countries[0].advisory.sections[0].places: unknown place "Gobi"',
        ),
        (
            lambda p: mn(p)["advisory"]["sections"][0].update(activities=["surfing"]),
            'countries[0].advisory.sections[0].activities: unknown activity "surfing"',
        ),
        (
            lambda p: mn(p)["advisory"]["sections"][0].update(source="nope"),
            'countries[0].advisory.sections[0].source: unknown source "nope"',
        ),
        (
            lambda p: mn(p)["advisory"]["sections"][0].pop("heading"),
            "countries[0].advisory.sections[0].heading: is required",
        ),
        (
            lambda p: mn(p)["advisory"]["sections"][0].update(level=0),
            "countries[0].advisory.sections[0].level: must be a level from 1 to 5",
        ),
        (
            lambda p: p["countries"][1]["advisory"]["sections"][0].update(key="mn-crime"),
            'countries[1].advisory.sections[0].key: duplicate section key "mn-crime"',
        ),
        (
            lambda p: mn(p)["places"][1].update(kind="village"),
            'countries[0].places[1].kind: unknown place kind "village"',
        ),
        (
            lambda p: mn(p)["places"][1].update(aliases=["ULAANBAATAR"]),
            'countries[0].places[1].aliases[0]: "ULAANBAATAR" already names a place',
        ),
        (
            lambda p: mn(p)["places"][1].update(name=""),
            "countries[0].places[1].name: is required",
        ),
        (
            lambda p: mn(p)["emergency_contacts"][1].update(place="Atlantis"),
            'countries[0].emergency_contacts[1].place: unknown place "Atlantis"',
        ),
        (
            lambda p: mn(p)["emergency_contacts"][0].pop("number"),
            "countries[0].emergency_contacts[0].number: is required",
        ),
        (
            lambda p: p["sources"][1].update(key="mn-law"),
            'sources[1].key: duplicate source key "mn-law"',
        ),
        (
            lambda p: p["sources"][0].update(url="not a url"),
            "sources[0].url: not a valid URL",
        ),
        (
            lambda p: p["sources"][0].update(retrieved="2026-13-01"),
            "sources[0].retrieved: not a date (YYYY-MM-DD)",
        ),
        (lambda p: p["sources"][0].pop("publisher"), "sources[0].publisher: is required"),
        (
            lambda p: p["activities"].append({"code": "driving", "label": "Again"}),
            'activities[3].code: duplicate activity code "driving"',
        ),
        (lambda p: p["activities"][0].pop("label"), "activities[0].label: is required"),
        (lambda p: p.update(format="travel-risk-content/2"), "format: must be"),
        (lambda p: p.update(countries={}), "countries: must be a list"),
        (lambda p: p.update(extra=1), "(pack).extra: unknown field"),
        (
            lambda p: mn(p).update(non_working_days=["2027-02-30"]),
            'countries[0].non_working_days: not a date (YYYY-MM-DD): "2027-02-30"',
        ),
        (
            lambda p: mn(p).update(working_days="2027-07-17"),
            "countries[0].working_days: must be a list of dates (YYYY-MM-DD)",
        ),
        (
            lambda p: mn(p).update(working_days=["2027-07-17", "2027-07-17"]),
            "countries[0].working_days: lists a date twice",
        ),
        (
            lambda p: rule(p, 6).update(lead_days=-3),
            "countries[0].rules[6].lead_days: must be a whole number of days, not -3",
        ),
        (
            lambda p: rule(p, 7).pop("window_days"),
            "countries[0].rules[7].window_days: is required for a stay_limit rule",
        ),
        (
            lambda p: rule(p, 7).update(window_days=30),
            "countries[0].rules[7].window_days: must be at least max_days (90)",
        ),
        (
            lambda p: rule(p, 0).update(window_days=180),
            "countries[0].rules[0].window_days: is not used by a registration rule",
        ),
    ],
)
def test_the_validator_names_the_path_of_each_error(change, expected):
    errors = with_change(change)
    assert any(error.startswith(expected) for error in errors), errors


@pytest.mark.django_db
def test_the_validator_reports_every_error_not_just_the_first():
    pack = every_kind_pack()
    rule(pack, 0).pop("threshold_days")
    rule(pack, 4)["places"] = []
    pack["countries"][1]["code"] = "XX"
    assert len(pack_validate(pack)) == 3


@pytest.mark.django_db
def test_a_pack_may_cite_sources_and_activities_already_installed():
    Source.objects.create(key="installed-source", publisher="P", title="T")
    Activity.objects.create(code="sailing", label="Sailing")
    pack = every_kind_pack()
    rule(pack, 0)["source"] = "installed-source"
    rule(pack, 6)["activities"] = ["sailing"]
    assert pack_validate(pack) == []


@pytest.mark.django_db
def test_a_pack_that_is_not_an_object_is_refused():
    assert pack_validate([]) == ["(pack): must be an object, not a list"]


# --- import, export, round trip ---------------------------------------------------------


@pytest.mark.django_db
def test_an_unseen_pack_with_every_rule_kind_imports_exports_and_reimports_with_no_new_versions():
    pack = every_kind_pack()
    report = pack_import(pack)
    assert report.published == [("MN", 1), ("UZ", 1)]
    mongolia = Country.objects.get(code="MN")
    assert mongolia.published.number == 1
    assert Rule.objects.filter(country=mongolia).count() == 8
    assert Rule.objects.get(key="mn-drone").lead_days == 14
    assert Rule.objects.get(key="mn-stay-limit").window_days == 180
    assert (mongolia.advisory.non_working_days, mongolia.advisory.working_days) == (
        ["2027-07-09"],
        ["2027-07-17"],
    )
    permit = Rule.objects.get(key="mn-permit")
    assert sorted(p.name for p in permit.places.all()) == ["Khovd Steppe", "Test Range 7"]
    registration = Rule.objects.get(key="mn-registration")
    assert registration.exempt_passport_types == ["diplomatic"]
    assert registration.exempt_under_age == 16
    assert str(registration.valid_from) == "2024-01-01"
    assert PlaceAlias.objects.filter(place__name="Ulaanbaatar").count() == 2

    exported = pack_export()
    # What was published is what is exported, field for field.
    exported_mn = exported["countries"][0]
    assert exported_mn["code"] == "MN"
    assert exported_mn["advisory"]["change_note"] == "First edition"
    by_key = {r["key"]: r for r in exported_mn["rules"]}
    for original in pack["countries"][0]["rules"]:
        for name, value in original.items():
            if name == "places":
                # A pack may name a place by an alias; the snapshot names it canonically.
                assert by_key[original["key"]][name] == ["Khovd Steppe", "Test Range 7"]
            else:
                assert by_key[original["key"]][name] == value, (original["key"], name)
    assert exported_mn["advisory"]["sections"][0]["months"] == [1, 2, 12]
    assert exported_mn["non_working_days"] == ["2027-07-09"]
    assert exported_mn["working_days"] == ["2027-07-17"]
    assert "non_working_days" not in exported["countries"][1]  # none listed: none exported
    assert {s["key"] for s in exported["sources"]} == {"mn-law", "uz-law"}

    versions_before = AdvisoryVersion.objects.count()
    again = pack_import(copy.deepcopy(exported))
    assert again.published == []
    assert sorted(again.unchanged) == ["MN", "UZ"]
    assert AdvisoryVersion.objects.count() == versions_before
    assert content_of(pack_export()) == content_of(exported)


@pytest.mark.django_db
def test_reimporting_the_same_pack_changes_nothing():
    pack_import(every_kind_pack())
    report = pack_import(every_kind_pack())
    assert report.published == []
    assert not report.created and not report.updated and not report.deleted
    assert AdvisoryVersion.objects.count() == 2


@pytest.mark.django_db
def test_a_pack_with_an_error_anywhere_is_refused_whole_and_nothing_is_written():
    pack = every_kind_pack()
    pack["countries"][1]["rules"][0]["kind"] = "visa_free_x"
    with pytest.raises(PackError) as refused:
        pack_import(pack)
    assert refused.value.errors == [
        'countries[1].rules[0].kind: unknown kind "visa_free_x"; one of registration, '
        "re_registration, visa_free, transit, permit, document, activity, stay_limit"
    ]
    assert not Source.objects.filter(key__in=["mn-law", "uz-law"]).exists()
    assert not Advisory.objects.exists()
    assert not Place.objects.exists()
    assert not Rule.objects.exists()
    assert not AdvisoryVersion.objects.exists()


@pytest.mark.django_db
def test_a_draft_import_leaves_no_published_version():
    report = pack_import(every_kind_pack(), draft=True)
    assert report.published == []
    assert sorted(report.drafts) == ["MN", "UZ"]
    assert Advisory.objects.count() == 2
    assert not AdvisoryVersion.objects.exists()
    assert Country.objects.get(code="MN").published is None
    assert pack_export()["countries"] == []


@pytest.mark.django_db
def test_a_changed_country_gets_a_new_version_and_an_unchanged_one_does_not():
    pack_import(every_kind_pack())
    pack = every_kind_pack()
    mn(pack)["advisory"]["level"] = 4
    mn(pack)["advisory"]["change_note"] = "Raised after unrest"
    report = pack_import(pack)
    assert report.published == [("MN", 2)]
    assert report.unchanged == ["UZ"]
    latest = Country.objects.get(code="MN").published
    assert (latest.number, latest.level, latest.change_note) == (2, 4, "Raised after unrest")


@pytest.mark.django_db
def test_items_of_a_country_absent_from_the_pack_are_removed_from_the_draft():
    pack_import(every_kind_pack())
    pack = every_kind_pack()
    mn(pack)["rules"] = [r for r in mn(pack)["rules"] if r["key"] != "mn-transit"]
    mn(pack)["advisory"]["sections"] = mn(pack)["advisory"]["sections"][:1]
    mn(pack)["emergency_contacts"] = mn(pack)["emergency_contacts"][:1]
    mn(pack)["places"][0]["aliases"] = ["Ulan Bator"]
    report = pack_import(pack)
    assert not Rule.objects.filter(key="mn-transit").exists()
    assert not Section.objects.filter(key="mn-crime").exists()
    assert EmergencyContact.objects.filter(country_id="MN").count() == 1
    aliases = PlaceAlias.objects.filter(place__name="Ulaanbaatar")
    assert list(aliases.values_list("name", flat=True)) == ["Ulan Bator"]
    assert report.published == [("MN", 2)]
    # The first version still records what it published then.
    first = AdvisoryVersion.objects.get(country_id="MN", number=1)
    assert "mn-transit" in [r["key"] for r in first.content["rules"]]


@pytest.mark.django_db
def test_places_are_updated_by_name_ignoring_case_and_keep_their_identity():
    pack_import(every_kind_pack())
    place_id = Place.objects.get(name="Khovd Steppe").pk
    pack = every_kind_pack()
    mn(pack)["places"][1].update(name="KHOVD STEPPE", level=4)
    pack_import(pack)
    place = Place.objects.get(pk=place_id)
    assert (place.name, place.level) == ("KHOVD STEPPE", 4)


@pytest.mark.django_db
def test_the_snapshot_records_the_sources_it_cites():
    pack_import(every_kind_pack())
    content = Country.objects.get(code="UZ").published.content
    assert [s["key"] for s in content["sources"]] == ["uz-law"]
    assert content["sources"][0]["publisher"] == "Uzbek Interior Ministry"


@pytest.mark.django_db
def test_the_small_factory_pack_imports():
    report = pack_import(content_pack("MN"))
    assert report.published == [("MN", 1)]


@pytest.mark.django_db
def test_the_demo_pack_round_trips_without_new_versions():
    pack_import(json.loads(DEMO_PACK.read_text(encoding="utf-8")))
    exported = pack_export()
    report = pack_import(copy.deepcopy(exported))
    assert report.published == []
    assert AdvisoryVersion.objects.count() == 1
    assert content_of(pack_export()) == content_of(exported)
    # Importing the shipped file again changes nothing either.
    assert pack_import(json.loads(DEMO_PACK.read_text(encoding="utf-8"))).published == []
