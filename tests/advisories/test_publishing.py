import datetime as dt

import pytest
from django.utils import timezone

from advisories.models import AdvisoryVersion, Country, Place, Rule, Section
from advisories.packs import pack_import
from advisories.selectors import advisory_snapshot, published_snapshots, snapshot_hash
from advisories.services import advisory_publish
from advisories.signals import content_changed
from core.errors import DomainError
from core.models import AuditEntry, OutboxMessage
from core.templatetags.days import day
from tests.briefings.helpers import CLOSED_AREAS, cleared_trip, demo_kazakhstan
from tests.factories import (
    AdvisoryFactory,
    PlaceAliasFactory,
    PlaceFactory,
    RuleFactory,
    SectionFactory,
    content_admin,
    employee,
    trip_with_stops,
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
def test_the_hook_fires_once_inside_the_publishing_transaction_for_a_material_version(
    kazakhstan, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        advisory_publish(country=kazakhstan, by=None, change_note="One", material=True)
    # Announced before the commit, so that listeners record their work (an outbox message)
    # in the same transaction; the re-assessment itself is sent after the commit.
    assert heard == [(AdvisoryVersion, "KZ", 1)]
    assert OutboxMessage.objects.get().key == "trips.reassess:KZ:1"
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_a_non_material_version_announces_nothing(
    kazakhstan, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        advisory_publish(country=kazakhstan, by=None, change_note="First", material=False)
    kazakhstan.advisory.sections.update(heading="Crime in the old town")
    with django_capture_on_commit_callbacks(execute=True):
        advisory_publish(country=kazakhstan, by=None, change_note="Typo", material=False)
    # The first publication is material by itself (trips there had no advisory at all).
    assert heard == [(AdvisoryVersion, "KZ", 1)]


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


# --- materiality is derived, not trusted to the tick box -------------------------------------


def _edit_level(country):
    country.advisory.level = 3
    country.advisory.save()


def _edit_place_level(country):
    Place.objects.filter(country=country, name="Baikonur").update(level=5)


def _edit_place_kind(country):
    Place.objects.filter(country=country, name="Almaty").update(kind="region")


def _add_place(country):
    PlaceFactory(country=country, name="Aktau")


def _add_alias(country):
    PlaceAliasFactory(place=Place.objects.get(country=country, name="Almaty"), name="Alma-Ata")


def _edit_rule(country):
    Rule.objects.filter(key="kz-registration").update(deadline_days=3)


def _add_rule(country):
    RuleFactory(key="kz-registration-2030", valid_from=dt.date(2030, 1, 1))


def _edit_section_level(country):
    Section.objects.filter(key="kz-crime").update(level=4)


def _edit_section_months(country):
    Section.objects.filter(key="kz-crime").update(months=[1, 2])


def _edit_section_places(country):
    Section.objects.get(key="kz-crime").places.add(Place.objects.get(name="Almaty"))


def _edit_calendar(country):
    country.advisory.non_working_days = ["2027-03-20"]
    country.advisory.save()


def _edit_heading(country):
    Section.objects.filter(key="kz-crime").update(heading="Crime in the old town", body="New.")


def _edit_summary(country):
    country.advisory.summary = "Reworded."
    country.advisory.save()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        pytest.param(_edit_level, "the level, 2 to 3", id="the country's level"),
        pytest.param(_edit_place_level, "place Baikonur: level", id="a place's level"),
        pytest.param(_edit_place_kind, "place Almaty: kind", id="a place's kind"),
        pytest.param(_add_place, "place Aktau added", id="a place added"),
        pytest.param(_add_alias, "place Almaty: other names", id="a place's aliases"),
        pytest.param(_edit_rule, "rule kz-registration", id="a rule changed"),
        pytest.param(_add_rule, "rule kz-registration-2030 added", id="a rule added"),
        pytest.param(_edit_section_level, "section kz-crime: level or where it applies", id="l"),
        pytest.param(
            _edit_section_months, "section kz-crime: level or where it applies", id="months"
        ),
        pytest.param(
            _edit_section_places, "section kz-crime: level or where it applies", id="places"
        ),
        pytest.param(_edit_calendar, "the calendar's non-working days", id="holidays"),
    ],
)
def test_a_change_travellers_must_hear_of_is_material_whatever_the_tick_box_says(
    kazakhstan, heard, django_capture_on_commit_callbacks, change, reason
):
    PlaceFactory(country=kazakhstan, name="Almaty")
    PlaceFactory(country=kazakhstan, name="Baikonur", kind="closed_area", level=4)
    with django_capture_on_commit_callbacks(execute=True):
        advisory_publish(country=kazakhstan, by=None, change_note="First", material=True)
    change(kazakhstan)
    with django_capture_on_commit_callbacks(execute=True):
        version = advisory_publish(
            country=kazakhstan, by=None, change_note="Unticked", material=False
        )
    assert version.material
    assert heard[-1] == (AdvisoryVersion, "KZ", 2)
    entry = AuditEntry.objects.filter(action="advisory.published").latest("pk")
    assert entry.details["material_changes"] == [reason]


@pytest.mark.django_db
@pytest.mark.parametrize("change", [_edit_heading, _edit_summary])
def test_an_editorial_change_is_material_only_when_ticked(kazakhstan, change):
    advisory_publish(country=kazakhstan, by=None, change_note="First", material=True)
    change(kazakhstan)
    version = advisory_publish(country=kazakhstan, by=None, change_note="Words", material=False)
    assert not version.material
    change_again = Section.objects.filter(key="kz-crime")
    change_again.update(heading="Crime, reworded")
    ticked = advisory_publish(country=kazakhstan, by=None, change_note="Words", material=True)
    assert ticked.material


@pytest.mark.django_db
def test_the_publish_step_says_a_level_change_is_material_and_how_many_trips_it_re_assesses(
    client, kazakhstan
):
    advisory_publish(country=kazakhstan, by=None, change_note="First", material=True)
    _edit_level(kazakhstan)
    today = timezone.localdate()
    soon = {"arrival": today + dt.timedelta(days=10), "departure": today + dt.timedelta(days=12)}
    traveller = employee()
    trip_with_stops(soon, traveller=traveller)
    trip_with_stops(
        {"arrival": today + dt.timedelta(days=20), "departure": today + dt.timedelta(days=22)},
        traveller=traveller,
        status="pending_approval",
    )
    trip_with_stops(soon, status="draft")  # a draft is not re-assessed
    trip_with_stops(soon, status="cancelled")
    client.force_login(content_admin())
    page = client.get(f"/admin/advisories/advisory/publish/?ids={kazakhstan.advisory.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert (
        "A material change: publishing it as version 2 re-assesses 2 upcoming trips "
        "(1 traveller)." in body
    )
    assert "Country level 2 -&gt; 3" in body


@pytest.mark.django_db
def test_the_publish_step_says_an_editorial_change_needs_the_tick_to_reach_travellers(
    client, kazakhstan
):
    advisory_publish(country=kazakhstan, by=None, change_note="First", material=True)
    _edit_heading(kazakhstan)
    client.force_login(content_admin())
    page = client.get(f"/admin/advisories/advisory/publish/?ids={kazakhstan.advisory.pk}")
    assert "an editorial change" in page.content.decode()
    assert "tick Material change to re-assess 0 upcoming trips (0 travellers) anyway" in (
        page.content.decode()
    )


# --- the publish step's preview: names, levels, the trips it re-briefs, the diff -------------


@pytest.fixture
def astana_and_baikonur(db, django_capture_on_commit_callbacks):
    country = demo_kazakhstan()
    astana = cleared_trip(django_capture_on_commit_callbacks, place="Astana", name="Aliya")
    baikonur = cleared_trip(django_capture_on_commit_callbacks, place="Baikonur", name="Boris")
    return country, astana, baikonur


def test_the_publish_step_names_a_baikonur_change_and_lists_only_the_baikonur_trip_to_rebrief(
    client, astana_and_baikonur
):
    country, astana, baikonur = astana_and_baikonur
    section = Section.objects.get(key="kz-security-closed-areas")
    section.level = 3
    section.body += "\n\nPermits now take six weeks."
    section.save()
    Place.objects.filter(country=country, name="Gvardeyskiy").update(level=5)  # nobody goes
    client.force_login(content_admin())

    page = client.get(f"/admin/advisories/advisory/publish/?ids={country.advisory.pk}")

    assert page.status_code == 200
    body = page.content.decode()
    html = page.context["previews"][0]
    assert html.changes.levels == [
        f"Section '{CLOSED_AREAS}' level 4 -> 3",
        "Gvardeyskiy level 4 -> 5",
    ]
    assert f"Section '{CLOSED_AREAS}' reworded" in html.changes.others
    assert "kz-security-closed-areas" not in body
    assert [row["trip"] for row in html.rebrief] == [baikonur.pk]
    assert [row["trip"] for row in html.checked] == [astana.pk]
    assert html.decision == []
    # Who, when and why, as people read them.
    assert "Boris Traveller" in body and "Aliya Traveller" in body
    assert day(baikonur.first_arrival) in body
    assert f"Section &#x27;{CLOSED_AREAS}&#x27; changed; its level fell from 4 to 3." in body
    assert "Its briefing says the same: it stands." in body
    # The draft's word diff against the published version, before publishing.
    assert "against version 1" in body
    assert "<ins>Permits now take six weeks.</ins>" in body or "<ins>Permits" in body
    # Nothing was written.
    assert AdvisoryVersion.objects.filter(country=country).count() == 1


def test_the_publish_step_sends_a_trip_that_would_need_a_decision_to_its_own_list(
    client, astana_and_baikonur
):
    country, astana, baikonur = astana_and_baikonur
    country.advisory.level = 3
    country.advisory.save()
    client.force_login(content_admin())
    preview = client.get(f"/admin/advisories/advisory/publish/?ids={country.advisory.pk}").context[
        "previews"
    ][0]
    assert preview.changes.levels == ["Country level 2 -> 3"]
    # Astana rises to level 3, the approval threshold; Baikonur was approved at level 4.
    assert [row["trip"] for row in preview.decision] == [astana.pk]
    assert [row["trip"] for row in preview.rebrief] == [baikonur.pk]
    assert "Kazakhstan's advisory level rose from 2 to 3." in preview.rebrief[0]["why"]
