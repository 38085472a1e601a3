"""The version comparison: each changed section, rule and level on its own, word by word, old
words struck out on the left and new ones marked on the right; and the document import page
reachable from the admin's advisory list and country page."""

import copy

import pytest

from advisories.diffs import DELETED, EQUAL, INSERTED, version_diff
from tests.factories import AdvisoryFactory, content_admin, content_pack, logged_in, manager


def snapshot() -> dict:
    entry = content_pack("MN")["countries"][0]
    return {
        "code": "MN",
        "advisory": {k: entry["advisory"][k] for k in ("level", "summary", "sections")},
        "places": entry["places"],
        "emergency_contacts": entry["emergency_contacts"],
        "rules": entry["rules"],
        "sources": [],
    }


def by_key(diffs):
    return {diff.key: diff for diff in diffs}


def test_identical_versions_have_nothing_to_show():
    assert version_diff(snapshot(), snapshot()) == []


def test_a_changed_word_is_marked_on_both_sides_and_the_rest_reads_as_before():
    old, new = snapshot(), snapshot()
    new["advisory"]["sections"][0]["body"] = "Watch your **phones** in markets."
    diffs = by_key(version_diff(old, new))
    assert list(diffs) == ["section:mn-crime"]
    section = diffs["section:mn-crime"]
    assert section.status == "changed" and section.title == "Section: Petty crime"
    changed = [row for row in section.rows if not row.folded and row.old != row.new]
    assert len(changed) == 1
    assert changed[0].old == (
        (EQUAL, "Watch your "),
        (DELETED, "**bags**"),
        (EQUAL, " in markets."),
    )
    assert changed[0].new == (
        (EQUAL, "Watch your "),
        (INSERTED, "**phones**"),
        (EQUAL, " in markets."),
    )


def test_levels_rules_and_lists_are_compared_each_on_its_own():
    old, new = snapshot(), snapshot()
    new["advisory"]["level"] = 3
    new["rules"][0]["deadline_days"] = 5
    new["emergency_contacts"].append({"label": "Ambulance", "number": "103", "place": None})
    diffs = by_key(version_diff(old, new))
    assert set(diffs) == {"advisory", "rule:mn-registration", "contacts"}
    level = diffs["advisory"].rows[0]
    assert (DELETED, "2") in level.old and (INSERTED, "3") in level.new
    rule_rows = [row for row in diffs["rule:mn-registration"].rows if not row.folded]
    assert any((INSERTED, "5") in (row.new or ()) for row in rule_rows)
    added = [row for row in diffs["contacts"].rows if row.old is None]
    assert added[0].new == ((INSERTED, "Ambulance: 103"),)


def test_an_added_and_a_removed_section_stand_alone():
    old, new = snapshot(), copy.deepcopy(snapshot())
    extra = {**new["advisory"]["sections"][0], "key": "mn-health", "heading": "Health"}
    new["advisory"]["sections"] = [extra]
    diffs = by_key(version_diff(old, new))
    assert diffs["section:mn-health"].status == "added"
    assert diffs["section:mn-crime"].status == "removed"
    assert all(row.new is None for row in diffs["section:mn-crime"].rows)


def test_long_unchanged_bodies_fold_away_around_a_change():
    old, new = snapshot(), snapshot()
    paragraphs = [f"Paragraph {n} stays as it is." for n in range(10)]
    old["advisory"]["sections"][0]["body"] = "\n".join(paragraphs)
    new["advisory"]["sections"][0]["body"] = "\n".join([*paragraphs[:9], "Paragraph 9 changed."])
    rows = by_key(version_diff(old, new))["section:mn-crime"].rows
    assert rows[0].folded == 15  # seven field lines and eight paragraphs
    assert len(rows) == 3


@pytest.mark.django_db
def test_the_document_import_is_linked_from_the_advisory_list_and_the_country_page():
    editor = logged_in(content_admin(is_staff=True))
    advisories = editor.get("/admin/advisories/advisory/").content.decode()
    assert 'href="/admin/advisories/import-document/"' in advisories
    country = editor.get("/admin/advisories/country/KZ/change/").content.decode()
    assert 'href="/admin/advisories/import-document/?country=KZ"' in country
    advisory = AdvisoryFactory()
    page = editor.get(f"/admin/advisories/advisory/{advisory.pk}/change/").content.decode()
    assert f'href="/admin/advisories/import-document/?country={advisory.country_id}"' in page
    # Followed, the link has the country chosen already.
    form = editor.get("/admin/advisories/import-document/?country=kz").context["form"]
    assert form.initial["country"].code == "KZ"


@pytest.mark.django_db
def test_a_manager_in_the_admin_is_not_offered_the_document_import():
    boss = logged_in(manager(is_staff=True))
    page = boss.get("/admin/advisories/country/KZ/change/")
    assert "import-document" not in page.content.decode()
