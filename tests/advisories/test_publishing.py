import pytest

from advisories.models import AdvisoryVersion, Country
from advisories.packs import pack_import
from advisories.selectors import advisory_snapshot, published_snapshots, snapshot_hash
from advisories.services import advisory_publish
from advisories.signals import content_changed
from portal.errors import DomainError
from portal.models import AuditEntry
from tests.factories import (
    AdvisoryFactory,
    PlaceAliasFactory,
    PlaceFactory,
    RuleFactory,
    SectionFactory,
    content_admin,
)


@pytest.fixture
def kazakhstan():
    advisory = AdvisoryFactory(level=2)
    SectionFactory(advisory=advisory, key="kz-crime")
    RuleFactory(key="kz-registration")
    return advisory.country


@pytest.fixture
def heard():
    calls = []

    def listener(sender, country_code, version, **kwargs):
        calls.append((sender, country_code, version.number))

    content_changed.connect(listener, dispatch_uid="test-listener")
    yield calls
    content_changed.disconnect(dispatch_uid="test-listener")


@pytest.mark.django_db
def test_publishing_creates_version_one_and_makes_it_the_published_one(kazakhstan):
    editor = content_admin()
    version = advisory_publish(
        country=kazakhstan, by=editor, change_note="First edition", material=True
    )
    kazakhstan.refresh_from_db()
    assert (version.number, version.level, version.published_by) == (1, 2, editor)
    assert kazakhstan.published == version
    assert version.content == advisory_snapshot(kazakhstan)
    assert version.content_hash == snapshot_hash(version.content)
    assert [s["key"] for s in version.content["advisory"]["sections"]] == ["kz-crime"]
    assert [r["key"] for r in version.content["rules"]] == ["kz-registration"]
    entry = AuditEntry.objects.get(action="advisory.published")
    assert entry.actor == editor
    assert entry.details["number"] == 1


@pytest.mark.django_db
def test_version_numbers_increase_with_each_change(kazakhstan):
    advisory_publish(country=kazakhstan, by=None, change_note="One", material=False)
    kazakhstan.advisory.level = 3
    kazakhstan.advisory.save()
    second = advisory_publish(country=kazakhstan, by=None, change_note="Two", material=True)
    assert second.number == 2
    assert list(
        AdvisoryVersion.objects.filter(country=kazakhstan).values_list("number", "level")
    ) == [(2, 3), (1, 2)]


@pytest.mark.django_db
def test_publishing_unchanged_content_is_refused_with_a_clear_error(kazakhstan):
    advisory_publish(country=kazakhstan, by=None, change_note="One", material=False)
    with pytest.raises(DomainError, match="Nothing changed in Kazakhstan since version 1"):
        advisory_publish(country=kazakhstan, by=None, change_note="Again", material=False)
    assert AdvisoryVersion.objects.count() == 1


@pytest.mark.django_db
def test_publishing_needs_a_change_note(kazakhstan):
    with pytest.raises(DomainError, match="change note is required"):
        advisory_publish(country=kazakhstan, by=None, change_note="  ", material=False)
    assert not AdvisoryVersion.objects.exists()


@pytest.mark.django_db
def test_a_country_without_an_advisory_cannot_be_published():
    with pytest.raises(DomainError, match="has no advisory"):
        advisory_publish(
            country=Country.objects.get(code="FR"), by=None, change_note="x", material=False
        )


@pytest.mark.django_db
def test_a_published_version_is_immutable(kazakhstan):
    version = advisory_publish(country=kazakhstan, by=None, change_note="One", material=False)
    version.change_note = "Rewritten history"
    with pytest.raises(PermissionError):
        version.save()


@pytest.mark.django_db
def test_editing_the_draft_does_not_change_what_was_published(kazakhstan):
    version = advisory_publish(country=kazakhstan, by=None, change_note="One", material=False)
    kazakhstan.advisory.sections.update(heading="Edited later")
    version.refresh_from_db()
    assert version.content["advisory"]["sections"][0]["heading"] != "Edited later"


@pytest.mark.django_db
def test_the_hook_fires_once_after_commit_for_a_material_version(
    kazakhstan, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        advisory_publish(country=kazakhstan, by=None, change_note="One", material=True)
    # Nothing is announced before the transaction commits.
    assert heard == []
    for callback in callbacks:
        callback()
    assert heard == [(AdvisoryVersion, "KZ", 1)]


@pytest.mark.django_db
def test_a_non_material_version_announces_nothing(
    kazakhstan, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        advisory_publish(country=kazakhstan, by=None, change_note="Typo", material=False)
    assert heard == []


@pytest.mark.django_db
def test_a_pack_import_announces_each_material_country_once(
    heard, django_capture_on_commit_callbacks
):
    from tests.factories import content_pack

    with django_capture_on_commit_callbacks(execute=True):
        pack_import(content_pack("MN"))
    with django_capture_on_commit_callbacks(execute=True):
        pack_import(content_pack("MN"))  # unchanged: no version, no announcement
    assert heard == [(AdvisoryVersion, "MN", 1)]


@pytest.mark.django_db
def test_published_snapshots_reads_only_current_versions_in_one_query(
    kazakhstan, django_assert_num_queries
):
    advisory_publish(country=kazakhstan, by=None, change_note="One", material=False)
    kazakhstan.advisory.level = 4
    kazakhstan.advisory.save()
    advisory_publish(country=kazakhstan, by=None, change_note="Two", material=False)
    with django_assert_num_queries(1):
        snapshots = published_snapshots(["kz", "FR", "MN"])
    assert list(snapshots) == ["KZ"]
    assert snapshots["KZ"].number == 2
    assert snapshots["KZ"].content["advisory"]["level"] == 4


@pytest.mark.django_db
def test_the_snapshot_names_places_canonically_with_their_aliases(kazakhstan):
    almaty = PlaceFactory(name="Almaty", country=kazakhstan)
    PlaceAliasFactory(place=almaty, name="Алматы")
    snapshot = advisory_snapshot(kazakhstan)
    assert snapshot["places"] == [
        {"name": "Almaty", "aliases": ["Алматы"], "kind": "city", "level": None}
    ]
