"""What an import would lose, judged from three snapshots of a country (advisories.pack_safety)."""

import copy
import datetime as dt

from advisories.pack_safety import (
    PublishedVersion,
    discarded_draft_items,
    drafts_loss,
    newer_version_loss,
)

PUBLISHED = {
    "code": "KZ",
    "advisory": {
        "level": 2,
        "summary": "Normal precautions.",
        "sections": [
            {"key": "kz-crime", "heading": "Crime", "topic": "crime", "body": "Pickpockets."},
            {"key": "kz-quakes", "heading": "Earthquakes", "topic": "natural_hazards", "body": "."},
        ],
    },
    "places": [{"name": "Almaty", "aliases": [], "kind": "city", "level": None}],
    "rules": [{"key": "kz-registration", "kind": "registration", "title": "Register"}],
    "emergency_contacts": [],
}


def edited(**changes) -> dict:
    snapshot = copy.deepcopy(PUBLISHED)
    for change in changes.values():
        change(snapshot)
    return snapshot


def test_an_import_that_keeps_the_published_content_loses_the_drafts_changes_named_by_kind():
    def level(s):
        s["advisory"]["level"] = 3

    def crime(s):
        s["advisory"]["sections"][0]["heading"] = "Crime in Almaty"

    def new_section(s):
        s["advisory"]["sections"].append({"key": "kz-nightlife", "heading": "Nightlife"})

    def rule(s):
        s["rules"][0]["title"] = "Register within five days"

    draft = edited(level=level, crime=crime, new_section=new_section, rule=rule)
    lost = discarded_draft_items(published=PUBLISHED, draft=draft, after=PUBLISHED)
    assert drafts_loss("KZ", lost).message == (
        "KZ: unpublished draft changes to the level, 2 sections ('Crime in Almaty', "
        "'Nightlife') and 1 rule ('Register within five days') would be discarded"
    )


def test_a_section_deleted_in_the_draft_and_restored_by_the_pack_is_a_loss_too():
    def drop_quakes(s):
        s["advisory"]["sections"].pop()

    lost = discarded_draft_items(
        published=PUBLISHED, draft=edited(drop=drop_quakes), after=PUBLISHED
    )
    assert lost == [("section", "Earthquakes")]


def test_a_draft_change_the_pack_carries_as_well_is_no_loss():
    def level(s):
        s["advisory"]["level"] = 4

    draft = edited(level=level)
    assert discarded_draft_items(published=PUBLISHED, draft=draft, after=draft) == []
    assert drafts_loss("KZ", []) is None


def test_a_country_never_published_is_all_draft():
    after = edited(summary=lambda s: s["advisory"].update(summary="Other words."))
    lost = discarded_draft_items(published=None, draft=PUBLISHED, after=after)
    assert lost == [("summary", "the summary")]


def published(at: dt.datetime) -> PublishedVersion:
    return PublishedVersion(
        number=4,
        published_at=at,
        published_by="editor",
        content=PUBLISHED,
        content_hash="published-hash",
    )


def test_a_version_published_after_the_export_is_named_with_its_number_date_and_editor():
    exported = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    later = published(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))
    loss = newer_version_loss("KZ", published=later, exported_at=exported, after_hash="other")
    assert loss.message == (
        "KZ: version 4 published 2026-12-01 by editor after this pack was exported "
        "(2026-11-20): it would be overwritten"
    )


def test_no_newer_version_without_exported_at_or_when_the_pack_has_the_same_content():
    later = published(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    exported = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    assert newer_version_loss("KZ", published=later, exported_at=None, after_hash="x") is None
    assert (
        newer_version_loss("KZ", published=later, exported_at=exported, after_hash="published-hash")
        is None
    )
    earlier = published(dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert newer_version_loss("KZ", published=earlier, exported_at=exported, after_hash="x") is None
