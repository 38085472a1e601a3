"""One read model for what an assessment stored: its requirements as typed rows (with their
stable ids and whether they are done) and its matched advisory sections grouped by country and
topic. The trip page, the dashboard, the briefing PDF, the calendar and the API all read
assessments through here, so a due date is parsed and a checklist sorted in one place. The
shape itself is written here too (assessment_values, requirement_json, incident_json): the
services store it and the preview shows it, both through these functions.

A requirement's id is stable across re-assessments while its kind, rule, country and place are
the same: a short hash of those four (the place compared as names are matched, ignoring case
and accents). A trip that meets the same requirement twice (two visits to the same place, each
with its own registration) numbers the repeats in the order the engine produced them, which is
the order of the stops: the first keeps the plain id, the second gets "#2" hashed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.safestring import SafeString

from advisories.models import REQUIREMENT_KIND_LABELS, AdvisoryVersion, Country, match_key
from core.lib.countries import country_name
from core.lib.dates import stored_date
from core.lib.markdown import render_markdown
from core.lib.topics import TopicGroup, group_by_topic
from core.lib.vocabulary import RequirementKind
from trips import engine
from trips.models import Assessment, RequirementTick, Trip

# A requirement due within this many days is "due soon" on the pages.
SOON_DAYS = 14


def requirement_id(requirement: Mapping[str, Any], occurrence: int = 1) -> str:
    """The stable id of a stored requirement (see the module's docstring)."""
    parts = [
        str(requirement.get("kind") or ""),
        str(requirement.get("rule") or ""),
        str(requirement.get("country") or ""),
        match_key(str(requirement.get("place") or "")),
    ]
    if occurrence > 1:
        parts.append(f"#{occurrence}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]


def with_ids(requirements: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The requirements as stored, each with its `id` (repeats numbered in order)."""
    seen: Counter[str] = Counter()
    stored = []
    for requirement in requirements:
        base = requirement_id(requirement)
        seen[base] += 1
        stored.append({**requirement, "id": requirement_id(requirement, seen[base])})
    return stored


@dataclass(frozen=True)
class RequirementRow:
    """One requirement of an assessment, as every page shows it."""

    id: str
    kind: str
    kind_label: str
    title: str
    detail: str
    due: dt.date | None
    country: str
    country_name: str
    place: str
    rule: str | None
    citation: str
    authority: str
    source: dict[str, Any] | None
    done_at: dt.datetime | None
    note: str
    today: dt.date
    # Whatever else the engine stored (lead time, stay counts...), for the API.
    stored: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @property
    def doable(self) -> bool:
        """A step to take and tick off, not a way to behave throughout the stay (vocabulary)."""
        return RequirementKind.is_doable(self.kind)

    @property
    def due_date(self) -> str | None:
        return self.due.isoformat() if self.due else None

    @property
    def overdue(self) -> bool:
        return self.doable and not self.done and self.due is not None and self.due < self.today

    @property
    def due_soon(self) -> bool:
        return (
            self.doable
            and not self.done
            and self.due is not None
            and self.due <= self.today + dt.timedelta(days=SOON_DAYS)
        )

    def as_json(self) -> dict[str, Any]:
        """The API's shape: what was stored, plus `id` and `done_at` (contracts.md)."""
        return {
            **self.stored,
            "id": self.id,
            "due_date": self.due_date,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "note": self.note,
            # Whether it can be ticked off (POST .../requirements/{id}/ refuses the others).
            "doable": self.doable,
        }


def _sort_key(row: RequirementRow) -> tuple:
    return (row.due is None, row.due or dt.date.max, row.title)


def requirement_rows(
    *,
    requirements: Iterable[Mapping[str, Any]],
    ticks: Iterable[RequirementTick] = (),
    today: dt.date | None = None,
    country_names: Mapping[str, str] | None = None,
) -> list[RequirementRow]:
    """Stored requirements as rows, soonest due first (undated last), each with its tick."""
    today = today or timezone.localdate()
    by_id = {tick.requirement_id: tick for tick in ticks}
    stored_list = list(requirements)
    names = country_names if country_names is not None else _country_names(stored_list)
    rows = []
    ids = [r.get("id") for r in stored_list]
    if not all(ids):
        # Assessments stored before ids existed: the same ids, computed now.
        ids = [r["id"] for r in with_ids(stored_list)]
    for stored, rid in zip(stored_list, ids, strict=True):
        tick = by_id.get(str(rid))
        kind = str(stored.get("kind") or "")
        country = str(stored.get("country") or "")
        rows.append(
            RequirementRow(
                id=str(rid),
                kind=kind,
                kind_label=str(REQUIREMENT_KIND_LABELS.get(kind, kind)),
                title=str(stored.get("title") or ""),
                detail=str(stored.get("detail") or ""),
                due=stored_date(stored.get("due_date")),
                country=country,
                country_name=names.get(country, country),
                place=str(stored.get("place") or ""),
                rule=stored.get("rule"),
                citation=str(stored.get("citation") or ""),
                authority=str(stored.get("authority") or ""),
                source=stored.get("source"),
                done_at=tick.done_at if tick is not None else None,
                note=tick.note if tick is not None else "",
                today=today,
                stored=dict(stored),
            )
        )
    rows.sort(key=_sort_key)
    return rows


# How an incident touches the trip, as the pages say it (the impacted list's matches).
INCIDENT_MATCH_LABELS = {
    "place": "in a place it names",
    "nearby": "within its radius",
    "country": "in its country",
    "possibly": "possibly: we could not tell whether the place is in its area",
}


@dataclass(frozen=True)
class IncidentRow:
    """One open incident of an assessment (or a preview), as the trip page, the preview and
    the API show it."""

    id: int
    title: str
    severity: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    match: str
    where: tuple[str, ...]

    @property
    def severity_label(self) -> str:
        return self.severity.capitalize()

    @property
    def critical(self) -> bool:
        return self.severity == "critical"

    @property
    def match_label(self) -> str:
        return INCIDENT_MATCH_LABELS.get(self.match, self.match)

    def as_json(self) -> dict[str, Any]:
        """contracts.md's shape ({"id","title","severity","starts_on","match"}), with its end
        and the places it touches."""
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity,
            "starts_on": self.starts_on.isoformat() if self.starts_on else None,
            "ends_on": self.ends_on.isoformat() if self.ends_on else None,
            "match": self.match,
            "where": list(self.where),
        }


def incident_rows(stored: Iterable[Mapping[str, Any]] | None) -> list[IncidentRow]:
    """Stored (or previewed) incidents as rows, in the engine's order (most severe first)."""
    return [
        IncidentRow(
            id=int(item.get("id") or 0),
            title=str(item.get("title") or ""),
            severity=str(item.get("severity") or ""),
            starts_on=stored_date(item.get("starts_on")),
            ends_on=stored_date(item.get("ends_on")),
            match=str(item.get("match") or ""),
            where=tuple(str(name) for name in item.get("where") or ()),
        )
        for item in stored or ()
    ]


def _country_names(requirements: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return {
        code: country_name(code)
        for code in {str(r.get("country") or "") for r in requirements}
        if code
    }


def assessment_requirements(
    *, assessment: Assessment | None, today: dt.date | None = None
) -> list[RequirementRow]:
    """The requirements of one stored assessment with the trip's ticks (one query)."""
    if assessment is None:
        return []
    ticks = RequirementTick.objects.filter(trip_id=assessment.trip_id)
    return requirement_rows(requirements=assessment.requirements or [], ticks=ticks, today=today)


def open_rows(rows: Iterable[RequirementRow]) -> list[RequirementRow]:
    """What is still to do: carrying a passport is never "done", so it is never counted open."""
    return [row for row in rows if row.doable and not row.done]


def next_open(rows: Iterable[RequirementRow]) -> RequirementRow | None:
    """The open requirement to do first: the soonest due (rows come sorted)."""
    return next(iter(open_rows(rows)), None)


# --- matched sections ------------------------------------------------------------------


@dataclass(frozen=True)
class SectionRow:
    key: str
    topic: str
    heading: str
    body_html: SafeString
    level: int | None
    places: tuple[str, ...]
    source_key: str | None


@dataclass(frozen=True)
class CountrySections:
    """One country's matched advisory sections, from the version the assessment used."""

    country: str
    country_name: str
    version: AdvisoryVersion | None
    topics: tuple[TopicGroup[SectionRow], ...]

    @property
    def number(self) -> int | None:
        return self.version.number if self.version is not None else None

    @property
    def section_keys(self) -> tuple[str, ...]:
        return tuple(section.key for topic in self.topics for section in topic.items)


def advisory_versions(content_versions: Mapping[str, int]) -> dict[str, AdvisoryVersion]:
    """The advisory versions an assessment used, in one query."""
    if not content_versions:
        return {}
    condition = Q()
    for code, number in content_versions.items():
        condition |= Q(country_id=code, number=number)
    return {
        version.country_id: version
        for version in AdvisoryVersion.objects.filter(condition).select_related("country")
    }


def matched_keys(sections: Iterable[Mapping[str, Any]]) -> OrderedDict[str, list[str]]:
    """The matched section keys per country, in the order the assessment stored them."""
    matched: OrderedDict[str, list[str]] = OrderedDict()
    for section in sections:
        keys = matched.setdefault(str(section["country"]), [])
        if section["key"] not in keys:
            keys.append(section["key"])
    return matched


def country_sections(
    *, code: str, name: str, version: AdvisoryVersion | None, keys: Iterable[str]
) -> CountrySections:
    """The sections of `version` named by `keys`, rendered and grouped by topic."""
    wanted = set(keys)
    advisory = (version.content.get("advisory") or {}) if version is not None else {}
    rows = [
        SectionRow(
            key=section["key"],
            topic=section.get("topic", ""),
            heading=section.get("heading", ""),
            body_html=render_markdown(section.get("body", "")),
            level=section.get("level"),
            places=tuple(section.get("places") or ()),
            source_key=section.get("source"),
        )
        for section in advisory.get("sections", [])
        if section.get("key") in wanted
    ]
    return CountrySections(
        country=code,
        country_name=name,
        version=version,
        topics=tuple(group_by_topic(rows, topic=lambda row: row.topic, anchor_prefix=code)),
    )


def assessment_sections(
    *,
    assessment: Assessment | None,
    content_versions: Mapping[str, int] | None = None,
    countries: Sequence[str] = (),
    published: bool = False,
) -> list[CountrySections]:
    """The matched sections of an assessment per country (in `countries`' order when given,
    else the assessment's), two queries. Their text comes from the advisory versions the
    assessment used (what a briefing prints), or with `published` from the versions published
    now (the trip page: a wording fix published since shows at once)."""
    if assessment is None:
        return []
    matched = matched_keys(assessment.sections or [])
    codes = list(OrderedDict.fromkeys([*countries, *matched])) if countries else list(matched)
    rows = Country.objects.filter(code__in=codes).select_related("published")
    if published:
        current = {country.code: country for country in rows}
        names = {code: country.name for code, country in current.items()}
        versions = {
            code: country.published
            for code, country in current.items()
            if country.published is not None
        }
    else:
        names = dict(rows.values_list("code", "name"))
        versions = advisory_versions(
            content_versions if content_versions is not None else assessment.content_versions or {}
        )
    return [
        country_sections(
            code=code,
            name=names.get(code, code),
            version=versions.get(code),
            keys=matched.get(code, []),
        )
        for code in codes
    ]


def overdue_requirements(*, trip: Trip, today: dt.date) -> list[RequirementRow]:
    """The trip's open requirements whose due date has passed (from its prefetched latest
    assessment and ticks, or two queries)."""
    assessment = trip.assessments.all()[:1]
    latest = assessment[0] if assessment else None
    if latest is None:
        return []
    rows = requirement_rows(
        requirements=latest.requirements or [], ticks=trip.requirement_ticks.all(), today=today
    )
    return [row for row in rows if row.overdue]


# --- the stored shape: what an Assessment row keeps of an engine result -----------------


def assessment_values(result: engine.Assessment) -> dict[str, Any]:
    """What an Assessment row stores of an engine result."""
    return {
        "risk_level": result.risk_level,
        "known_level": result.known_level,
        "requires_approval": result.requires_approval,
        "approvals_needed": result.approvals_needed,
        "approval_reasons": list(result.approval_reasons),
        "requirements": with_ids([requirement_json(r) for r in result.requirements]),
        "sections": [
            {
                "stop_index": s.stop_index,
                "country": s.country,
                "place": s.place,
                "key": s.key,
                "topic": s.topic,
                "heading": s.heading,
                "level": s.level,
            }
            for s in result.sections
        ],
        "explanation": list(result.explanation),
        "content_versions": dict(result.content_versions),
        "incidents": [incident_json(incident) for incident in result.incidents],
    }


def incident_json(incident: engine.MatchedIncident) -> dict[str, Any]:
    """An incident of an assessment as it is stored (and previewed)."""
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "starts_on": incident.starts_on.isoformat(),
        "ends_on": incident.ends_on.isoformat() if incident.ends_on else None,
        "match": incident.match,
        "stop_indexes": list(incident.stop_indexes),
        "where": list(incident.where),
    }


def requirement_json(requirement: engine.Requirement) -> dict[str, Any]:
    source = requirement.source
    return {
        "kind": requirement.kind,
        "title": requirement.title,
        "detail": requirement.detail,
        "due_date": requirement.due_date.isoformat() if requirement.due_date else None,
        "country": requirement.country,
        "place": requirement.place,
        "rule": requirement.rule,
        "citation": requirement.citation,
        "authority": requirement.authority,
        "source": None
        if source is None
        else {
            "key": source.key,
            "publisher": source.publisher,
            "title": source.title,
            "url": source.url,
            "retrieved": source.retrieved.isoformat() if source.retrieved else None,
        },
    }


def assessment_changes(previous: Assessment | None, current: Assessment | None) -> list[str]:
    """What changed for the traveller between two stored assessments, in plain words, for the
    "what changed" note of a new briefing (a re-brief after a content change or an amendment).
    """
    if previous is None or current is None:
        return []
    changes: list[str] = []
    if previous.risk_level != current.risk_level:
        changes.append(
            f"Risk level changed from {previous.risk_level or 'unknown'} "
            f"to {current.risk_level or 'unknown'}."
        )
    before = {(r["kind"], r["title"], r["due_date"]) for r in previous.requirements}
    after = {(r["kind"], r["title"], r["due_date"]) for r in current.requirements}
    for _kind, title, due in sorted(after - before, key=str):
        changes.append(f"New requirement: {title}" + (f" (due {due})." if due else "."))
    for _kind, title, _due in sorted(before - after, key=str):
        changes.append(f"No longer required: {title}.")
    had = {item.get("id"): item for item in previous.incidents or []}
    has = {item.get("id"): item for item in current.incidents or []}
    for key, item in has.items():
        if key not in had or had[key].get("severity") != item.get("severity"):
            changes.append(f"Incident where you are going: {item['title']} ({item['severity']}).")
    for key, item in had.items():
        if key not in has:
            changes.append(f"No longer an incident for this trip: {item['title']}.")
    return changes
