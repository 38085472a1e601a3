"""Content packs (``format: "travel-risk-content/1"``, see contracts.md): validate, import,
export.

A pack is validated whole before anything is written, and every error names its JSON path
(``countries[0].rules[2].kind: unknown kind "visa_free_x"``). An import is one transaction:
create-or-update by key, then a new version only for a country whose content really changed.
The export is built from the published snapshots, in the same format and a fixed order, so
export -> import -> export changes nothing and publishes nothing (but for its
``exported_at``, the time it was written).

An import never loses work silently (pack_safety): one that would discard unpublished drafts,
or overwrite a version published after the pack's ``exported_at``, is refused (PackRefused)
unless forced, and a forced one records what it lost in the audit trail. ``pack_preview``
works out what an import would do by writing it and rolling back, for the admin to show
before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone

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
    match_key,
)
from advisories.pack_safety import (
    PackLoss,
    PublishedVersion,
    discarded_draft_items,
    drafts_loss,
    newer_version_loss,
)
from advisories.pack_validation import FORMAT, pack_validate, parse_exported_at
from advisories.selectors import (
    draft_snapshots,
    material_changes,
    published_snapshots,
    snapshot_hash,
)
from advisories.services import advisory_publish
from advisories.signals import content_reach
from advisories.validation import (
    RULE_FIELDS,
    parse_date,
)
from core.audit import audit_record

DEFAULT_CHANGE_NOTE = "Imported from a content pack"


class PackError(Exception):
    """The pack is invalid; ``errors`` lists every problem with its JSON path."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


@dataclass
class ImportReport:
    """What an import did. Counters are keyed by a model's plural name ("places", "rules")."""

    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)
    published: list[tuple[str, int]] = field(default_factory=list)
    material: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # what a forced import lost

    def summary(self) -> str:
        """A few lines for a person: what was published, what changed, what did not.

        "Published: KZ v3 (material)" / "Created: 4 places, 6 rules" / "Updated: 1 rule" ...
        """

        def counts(counter: Counter) -> str:
            return ", ".join(
                f"{n} {what if n != 1 else _SINGULAR.get(what, what)}"
                for what, n in sorted(counter.items())
                if n
            )

        versions = ", ".join(
            f"{code} v{number}" + (" (material)" if code in self.material else "")
            for code, number in self.published
        )
        lines = [
            f"{heading}: {text}"
            for heading, text in (
                ("Published", versions),
                ("Changed drafts, not published", ", ".join(self.drafts)),
                ("Unchanged", ", ".join(self.unchanged)),
                ("Created", counts(self.created)),
                ("Updated", counts(self.updated)),
                ("Removed", counts(self.deleted)),
            )
            if text
        ]
        if self.lost:
            lines.append("Forced, and so lost:")
            lines += [f"  {message}" for message in self.lost]
        return "\n".join(lines) or "Nothing to import."


_SINGULAR = {
    str(model._meta.verbose_name_plural): str(model._meta.verbose_name)
    for model in (Source, Activity, Advisory, Place, Section, Rule, EmergencyContact)
}


# --- import -----------------------------------------------------------------------------


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes that differ; True when any did."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _set_related(manager: Any, wanted: list[Any]) -> bool:
    current = {obj.pk for obj in manager.all()}
    if current == {obj.pk for obj in wanted}:
        return False
    manager.set(wanted)
    return True


class _Importer:
    def __init__(self, report: ImportReport) -> None:
        self.report = report

    def upsert(
        self, model: type[Model], lookup: dict[str, Any], values: dict[str, Any]
    ) -> tuple[Any, str]:
        """The row with ``lookup``, created or updated to ``values``, and what was done to it:
        "created", "updated" or "" (nothing)."""
        label = model._meta.verbose_name_plural
        # The default manager is `objects` on every model a pack writes.
        obj = model._default_manager.filter(**lookup).first()
        if obj is None:
            obj = model._default_manager.create(**lookup, **values)
            self.report.created[label] += 1
            return obj, "created"
        if _assign(obj, values):
            obj.save()
            self.report.updated[label] += 1
            return obj, "updated"
        return obj, ""

    def delete(self, queryset: Any) -> None:
        """Delete what the pack no longer lists, counting only the rows of that model (not
        what cascades with them)."""
        _, per_model = queryset.delete()
        removed = per_model.get(queryset.model._meta.label, 0)
        if removed:
            self.report.deleted[queryset.model._meta.verbose_name_plural] += removed

    def country(self, entry: dict[str, Any], activities: dict[str, Activity]) -> Country:
        country = Country.objects.get(code=entry["code"])
        advisory_data = entry["advisory"]
        advisory, _ = self.upsert(
            Advisory,
            {"country": country},
            {
                "level": advisory_data["level"],
                "summary": advisory_data["summary"],
                "non_working_days": sorted(entry.get("non_working_days") or []),
                "working_days": sorted(entry.get("working_days") or []),
            },
        )
        places = self.places(country, entry.get("places") or [])

        def resolve(names: list[str] | None) -> list[Place]:
            return [places[match_key(name)] for name in names or []]

        sources = {source.key: source for source in Source.objects.all()}
        sections = advisory_data.get("sections") or []
        self.delete(
            Section.objects.filter(advisory=advisory).exclude(key__in=[s["key"] for s in sections])
        )
        for order, data in enumerate(sections):
            # By key: validation made sure the key is not another country's (pack_validate).
            section, done = self.upsert(
                Section,
                {"key": data["key"]},
                {
                    "advisory": advisory,
                    "topic": data["topic"],
                    "heading": data["heading"],
                    "body": data["body"],
                    "level": data.get("level"),
                    "months": sorted(data.get("months") or []),
                    "source": sources.get(data.get("source")),
                    "order": order,
                },
            )
            changed = _set_related(section.places, resolve(data.get("places")))
            changed |= _set_related(
                section.activities, [activities[code] for code in data.get("activities") or []]
            )
            if changed and not done:
                self.report.updated["sections"] += 1

        rules = entry.get("rules") or []
        self.delete(Rule.objects.filter(country=country).exclude(key__in=[r["key"] for r in rules]))
        for data in rules:
            rule, done = self.upsert(
                Rule, {"key": data["key"]}, _rule_values(country, data, sources)
            )
            changed = _set_related(rule.places, resolve(data.get("places")))
            changed |= _set_related(
                rule.activities, [activities[code] for code in data.get("activities") or []]
            )
            if changed and not done:
                self.report.updated["rules"] += 1

        self.contacts(country, entry.get("emergency_contacts") or [], places)
        return country

    def places(self, country: Country, entries: list[dict[str, Any]]) -> dict[str, Place]:
        """Create or update the country's places; returns every name and alias key.

        An existing place keeps its row (and so the trip stops, sections, rules and contacts
        that refer to it) whenever the pack still lists it, under its name or one of its
        aliases: a place renamed with its old name kept as an alias is the same place. Only
        the places the pack no longer lists are deleted, as a pack is the whole content of
        each country it lists.
        """
        existing = list(
            Place.objects.filter(country=country).prefetch_related("aliases").order_by("pk")
        )
        matches = _match_places(existing, entries)
        kept = [place.pk for place in matches if place is not None]
        # A rename never collides with another kept place's name (unique per country): an
        # existing place named like an entry is always that entry's match.
        self.delete(Place.objects.filter(country=country).exclude(pk__in=kept))
        by_key: dict[str, Place] = {}
        for entry, match in zip(entries, matches, strict=True):
            values = {
                "name": entry["name"],
                "kind": entry.get("kind") or "city",
                "level": entry.get("level"),
                "latitude": entry.get("latitude"),
                "longitude": entry.get("longitude"),
            }
            if match is None:
                place = Place.objects.create(country=country, **values)
                self.report.created["places"] += 1
                current: dict[str, PlaceAlias] = {}
                changed = False
            else:
                place = match
                current = {alias.name: alias for alias in place.aliases.all()}
                changed = _assign(place, values)
                if changed:
                    place.save()
            aliases = entry.get("aliases") or []
            stale = [alias.pk for name, alias in current.items() if name not in aliases]
            # Stale aliases go first: a respelt alias ("Ulan bator") has the same key.
            if stale:
                PlaceAlias.objects.filter(pk__in=stale).delete()
            added = [name for name in aliases if name not in current]
            for name in added:
                PlaceAlias.objects.create(place=place, name=name)
            if match is not None and (changed or stale or added):
                self.report.updated["places"] += 1
            by_key[match_key(entry["name"])] = place
            for alias in aliases:
                by_key[match_key(alias)] = place
        return by_key

    def contacts(
        self, country: Country, entries: list[dict[str, Any]], places: dict[str, Place]
    ) -> None:
        existing = [
            (contact.label, contact.number, contact.place_id, tuple(contact.nationalities or ()))
            for contact in EmergencyContact.objects.filter(country=country).order_by("pk")
        ]
        wanted = [
            (
                entry["label"],
                entry["number"],
                places[match_key(entry["place"])] if entry.get("place") else None,
                tuple(code.upper() for code in entry.get("nationalities") or ()),
            )
            for entry in entries
        ]
        wanted_rows = [
            (label, number, p.pk if p else None, nationalities)
            for label, number, p, nationalities in wanted
        ]
        if existing == wanted_rows:
            return
        # Contacts have no key, so they are replaced as a list (keeping the pack's order);
        # the report counts what really differs.
        EmergencyContact.objects.filter(country=country).delete()
        for label, number, place, nationalities in wanted:
            EmergencyContact.objects.create(
                country=country,
                label=label,
                number=number,
                place=place,
                nationalities=list(nationalities),
            )
        contacts = EmergencyContact._meta.verbose_name_plural
        added = sum((Counter(wanted_rows) - Counter(existing)).values())
        removed = sum((Counter(existing) - Counter(wanted_rows)).values())
        self.report.created[contacts] += added
        self.report.deleted[contacts] += removed
        if not added and not removed:  # the same contacts in a new order
            self.report.updated[contacts] += len(wanted_rows)


def _match_places(existing: list[Place], entries: list[dict[str, Any]]) -> list[Place | None]:
    """The existing place each pack entry updates (None: a new place), each used once.

    Tried in this order over all entries, so an exact match is never taken by a looser one:
    the entry's name is the place's name; one of the entry's aliases is the place's name (a
    place renamed, keeping its old name as an alias); the entry's name is one of the place's
    aliases; an alias is shared. Keys are match keys, so case and accents do not matter.
    """
    by_name = {place.key: place for place in existing}
    by_alias: dict[str, list[Place]] = {}
    for place in existing:
        for alias in place.aliases.all():
            by_alias.setdefault(alias.key, []).append(place)
    name_keys = [match_key(entry["name"]) for entry in entries]
    alias_keys = [[match_key(alias) for alias in entry.get("aliases") or []] for entry in entries]
    passes = (
        lambda i: [by_name.get(name_keys[i])],
        lambda i: [by_name.get(key) for key in alias_keys[i]],
        lambda i: by_alias.get(name_keys[i], []),
        lambda i: [place for key in alias_keys[i] for place in by_alias.get(key, [])],
    )
    matches: list[Place | None] = [None] * len(entries)
    taken: set[int] = set()
    for candidates in passes:
        for i in range(len(entries)):
            if matches[i] is not None:
                continue
            for candidate in candidates(i):
                if candidate is not None and candidate.pk not in taken:
                    matches[i] = candidate
                    taken.add(candidate.pk)
                    break
    return matches


def _rule_values(country: Country, data: dict[str, Any], sources: dict[str, Source]) -> dict:
    exemptions = data.get("exemptions") or {}
    uses = RULE_FIELDS[data["kind"]].fields
    return {
        "country": country,
        "kind": data["kind"],
        "title": data.get("title") or "",
        "detail": data.get("detail") or "",
        "threshold_days": data.get("threshold_days"),
        "deadline_days": data.get("deadline_days"),
        "deadline_unit": (data.get("deadline_unit") if "deadline_unit" in uses else None)
        or "calendar",
        "nationalities": [code.upper() for code in data.get("nationalities") or []],
        "max_days": data.get("max_days"),
        "window_days": data.get("window_days"),
        "lead_days": data.get("lead_days"),
        "exempt_passport_types": list(exemptions.get("passport_types") or []),
        "exempt_visa_categories": list(exemptions.get("visa_categories") or []),
        "exempt_under_age": exemptions.get("under_age"),
        "valid_from": parse_date(data.get("valid_from")),
        "valid_until": parse_date(data.get("valid_until")),
        "authority": data.get("authority") or "",
        "citation": data.get("citation") or "",
        "source": sources.get(data["source"]) if data.get("source") is not None else None,
    }


@dataclass
class CountryPlan:
    """One country of a pack: its published version and draft before the import, and its
    draft as the pack leaves it (all three as snapshots, advisories.selectors' format)."""

    code: str
    name: str
    published: PublishedVersion | None
    draft: dict[str, Any] | None
    after: dict[str, Any]
    material: bool  # the pack's tick; materiality is derived anyway (material_changes)
    change_note: str
    reach: dict[str, Any] = field(default_factory=dict)  # set by pack_preview

    @property
    def after_hash(self) -> str:
        return snapshot_hash(self.after)

    @property
    def changes_published(self) -> bool:
        """Publishing the pack's content would make a new version."""
        return self.published is None or self.after_hash != self.published.content_hash

    @property
    def changes_draft(self) -> bool:
        return self.draft is None or self.after_hash != snapshot_hash(self.draft)

    @property
    def material_reasons(self) -> list[str]:
        """What in the pack changes what travellers are told (empty: editorial, or none)."""
        if not self.changes_published:
            return []
        return material_changes(self.published.content if self.published else None, self.after)


@dataclass
class PackPlan:
    """What importing a pack would do, worked out by writing it and rolling back."""

    draft: bool
    exported_at: dt.datetime | None
    countries: list[CountryPlan]
    report: ImportReport
    losses: list[PackLoss]
    state: str  # fingerprint of the content the plan was made against (see _state)


class PackRefused(PackError):
    """The pack would lose work (``losses``); nothing was written. ``force`` goes ahead."""

    def __init__(self, losses: list[PackLoss]):
        self.losses = losses
        super().__init__([loss.message for loss in losses])


class PackStale(PackError):
    """The content changed since the import was previewed; nothing was written."""

    def __init__(self) -> None:
        super().__init__(
            [
                "The content of these countries changed since the pack was previewed; "
                "nothing was written. Review the new preview before importing."
            ]
        )


def _published_versions(codes: list[str]) -> dict[str, PublishedVersion]:
    return {
        code: PublishedVersion(
            number=version.number,
            published_at=version.published_at,
            published_by=version.published_by.get_username() if version.published_by else "",
            content=version.content,
            content_hash=version.content_hash,
        )
        for code, version in published_snapshots(codes).items()
    }


def _state(
    codes: list[str],
    published: dict[str, PublishedVersion],
    drafts: dict[str, dict[str, Any]],
) -> str:
    """A fingerprint of these countries' published versions and drafts: equal fingerprints,
    equal content, so a confirmation imports against exactly what was previewed."""
    state = [
        [
            code,
            published[code].content_hash if code in published else None,
            snapshot_hash(drafts[code]) if code in drafts else None,
        ]
        for code in codes
    ]
    return hashlib.sha256(json.dumps(state).encode()).hexdigest()


def _write(
    data: dict[str, Any], *, expected_state: str | None = None
) -> tuple[ImportReport, list[CountryPlan], str]:
    """Write a valid pack into the drafts (inside the caller's transaction; nothing is
    published) and return what it did, each country's plan, and the state it was written
    over. Raises PackStale when that state is not ``expected_state``."""
    entries = data.get("countries") or []
    codes = [entry["code"] for entry in entries]
    # Locked as publishing locks them: nobody publishes these countries between the check
    # and the import.
    list(Country.objects.select_for_update().filter(code__in=codes).order_by("code"))
    published = _published_versions(codes)
    drafts = draft_snapshots(codes)
    state = _state(codes, published, drafts)
    if expected_state is not None and state != expected_state:
        raise PackStale()

    report = ImportReport()
    importer = _Importer(report)
    for source in data.get("sources") or []:
        importer.upsert(
            Source,
            {"key": source["key"]},
            {
                "publisher": source["publisher"],
                "title": source["title"],
                "url": source.get("url") or "",
                "retrieved": parse_date(source.get("retrieved")),
                "licence": source.get("licence") or "",
            },
        )
    for activity in data.get("activities") or []:
        importer.upsert(Activity, {"code": activity["code"]}, {"label": activity["label"]})
    activities = {activity.code: activity for activity in Activity.objects.all()}
    names: dict[str, str] = {}
    for entry in entries:
        names[entry["code"]] = importer.country(entry, activities).name
    after = draft_snapshots(codes)
    plans = [
        CountryPlan(
            code=entry["code"],
            name=names[entry["code"]],
            published=published.get(entry["code"]),
            draft=drafts.get(entry["code"]),
            after=after[entry["code"]],
            material=entry["advisory"].get("material", True),
            change_note=entry["advisory"].get("change_note") or DEFAULT_CHANGE_NOTE,
        )
        for entry in entries
    ]
    return report, plans, state


def _losses(plans: list[CountryPlan], exported_at: dt.datetime | None) -> list[PackLoss]:
    losses = []
    for plan in plans:
        newer = newer_version_loss(
            plan.code,
            published=plan.published,
            exported_at=exported_at,
            after_hash=plan.after_hash,
        )
        drafts = drafts_loss(
            plan.code,
            discarded_draft_items(
                published=plan.published.content if plan.published else None,
                draft=plan.draft,
                after=plan.after,
            ),
        )
        losses += [loss for loss in (newer, drafts) if loss is not None]
    return losses


class _Rehearsed(Exception):
    """Raised out of a preview's transaction to roll back what it wrote."""


def pack_preview(data: Any, *, draft: bool = False) -> PackPlan:
    """What importing the pack would do, writing nothing: each country's content before and
    after, what it would lose (see pack_safety), and for each country it would publish with
    a material change, the upcoming trips that re-assesses (``content_reach``). Raises
    PackError when the pack has any error."""
    errors = pack_validate(data)
    if errors:
        raise PackError(errors)
    result: tuple[ImportReport, list[CountryPlan], str] | None = None
    try:
        with transaction.atomic():
            result = _write(data)
            raise _Rehearsed
    except _Rehearsed:
        pass
    assert result is not None
    report, plans, state = result
    exported_at = parse_exported_at(data.get("exported_at"))
    if not draft:
        for plan in plans:
            if plan.changes_published and (plan.material or plan.material_reasons):
                plan.reach = content_reach_of(plan.code)
    return PackPlan(
        draft=draft,
        exported_at=exported_at,
        countries=plans,
        report=report,
        losses=_losses(plans, exported_at),
        state=state,
    )


def pack_import(
    data: Any,
    *,
    draft: bool = False,
    force: bool = False,
    by: Any = None,
    ip: str | None = None,
    expected_state: str | None = None,
) -> ImportReport:
    """Validate the whole pack, then write it in one transaction and publish a new version of
    every country whose content changed (unless ``draft``).

    Raises PackError, writing nothing, when the pack has any error; PackRefused, writing
    nothing, when it would discard unpublished drafts or overwrite a version published after
    the pack was exported (pack_safety), unless ``force``, in which case the audit trail
    records what was lost; PackStale when ``expected_state`` (a preview's ``state``) is given
    and the content changed since.
    """
    errors = pack_validate(data)
    if errors:
        raise PackError(errors)
    exported_at = parse_exported_at(data.get("exported_at"))
    with transaction.atomic():
        report, plans, _ = _write(data, expected_state=expected_state)
        losses = _losses(plans, exported_at)
        if losses and not force:
            raise PackRefused(losses)
        report.lost = [loss.message for loss in losses]
        for plan in plans:
            if plan.published is not None and not plan.changes_published:
                report.unchanged.append(plan.code)
            elif draft:
                report.drafts.append(plan.code)
            else:
                version = advisory_publish(
                    country=Country.objects.get(code=plan.code),
                    by=by,
                    change_note=plan.change_note,
                    material=plan.material,
                    ip=ip,
                )
                report.published.append((plan.code, version.number))
                if version.material:
                    report.material.append(plan.code)
        audit_record(
            actor=by,
            action="content_pack.imported",
            ip=ip,
            details={
                "draft": draft,
                "countries": [plan.code for plan in plans],
                "published": [f"{code} v{number}" for code, number in report.published],
                "exported_at": data.get("exported_at"),
                "forced": bool(force and losses),
                "lost": [loss.as_record() for loss in losses],
            },
        )
    return report


def content_reach_of(country_code: str) -> dict[str, Any]:
    """The upcoming trips a material change of the country re-assesses, as the trips app
    answers ``content_reach``: ``{"trips", "travellers", "upcoming": [...]}``."""
    reach: dict[str, Any] = {"trips": 0, "travellers": 0, "upcoming": []}
    for _, answer in content_reach.send(sender=Country, country_code=country_code):
        if isinstance(answer, dict):
            reach["trips"] += int(answer.get("trips", 0))
            reach["travellers"] += int(answer.get("travellers", 0))
            reach["upcoming"] += list(answer.get("upcoming") or [])
    return reach


# --- export -----------------------------------------------------------------------------


def pack_export() -> dict[str, Any]:
    """The published content of every country as a pack, in a fixed order.

    Countries, sections, places, rules and contacts come from the current published
    snapshots (never drafts); a source cited by several countries is taken from the most
    recent of their snapshots. Activities are a shared vocabulary and are exported whole.
    """
    versions = (
        AdvisoryVersion.objects.filter(country__published=F("pk"))
        .select_related("country")
        .order_by("country_id")
    )
    sources: dict[str, tuple[Any, dict[str, Any]]] = {}
    countries = []
    for version in versions:
        content = dict(version.content)
        for source in content.pop("sources", []):
            stamp = (version.published_at, version.pk)
            if source["key"] not in sources or sources[source["key"]][0] < stamp:
                sources[source["key"]] = (stamp, source)
        advisory = dict(content["advisory"])
        advisory["material"] = version.material
        advisory["change_note"] = version.change_note
        content["advisory"] = advisory
        countries.append(content)
    return {
        "format": FORMAT,
        # An import compares it with when each country was last published: a version
        # published after it would be overwritten by older content (pack_safety).
        "exported_at": timezone.localtime().isoformat(),
        "sources": [sources[key][1] for key in sorted(sources)],
        "activities": [
            {"code": activity.code, "label": activity.label}
            for activity in Activity.objects.order_by("code")
        ],
        "countries": countries,
    }
