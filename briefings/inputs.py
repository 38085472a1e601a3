"""What a trip's briefing is built from, and what changed in it between two versions.

A briefing says the trip's risk level and why, its requirements, and, for the countries of
its stops, the advisory level and summary, the sections matched to its stops, the curated
places it goes to, the emergency contacts shown to this traveller and the sources cited.
``briefing_inputs`` reduces those to labelled hashes, stored with each briefing
(``Briefing.inputs`` and its ``inputs_digest``). A content change re-briefs a trip only
when the digest of what its briefing would say now differs from its current briefing's
(product.md, "Rule semantics": a trip to Astana is not re-briefed because Baikonur's section
changed), and ``inputs_changes`` names, for the traveller, what changed for that trip.

Version numbers are not inputs: a new version that says the same to this trip is the same
briefing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from advisories.models import AdvisoryVersion, match_key
from advisories.selectors import contacts_for_traveller
from core.templatetags.days import day
from trips.models import Assessment, Stop, Trip
from trips.requirements import advisory_versions

Inputs = dict[str, Any]

# The parts a briefing is built from, in the order their changes are told.
PARTS = ("countries", "sections", "places", "requirements", "contacts", "sources")
# What each section printed is made of (its applicability by activity or month only decides
# whether it is matched, which the matched keys say).
SECTION_PRINTED = ("topic", "heading", "body", "level", "places", "source")


def _hash(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def inputs_digest(inputs: Inputs) -> str:
    """SHA-256 of the inputs: equal digests, the same briefing."""
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def trip_nationality(trip: Trip) -> str:
    """The passport the briefing's contacts are chosen for: the trip's, else the profile's."""
    return trip.passport_nationality or trip.traveller.profile.nationality or ""


def trip_briefing_inputs(*, trip: Trip, assessment: Assessment | None) -> Inputs:
    """What `trip`'s briefing on `assessment` is built from (three queries: its stops, the
    traveller's profile, the advisory versions the assessment used)."""
    stops = list(trip.stops.select_related("place").order_by("position"))
    versions = advisory_versions(assessment.content_versions if assessment else {})
    return briefing_inputs(
        assessment=assessment,
        stops=stops,
        nationality=trip_nationality(trip),
        versions=versions,
    )


def briefing_inputs(
    *,
    assessment: Assessment | None,
    stops: Sequence[Stop],
    nationality: str,
    versions: Mapping[str, AdvisoryVersion],
) -> Inputs:
    """The labelled hashes of what a briefing says (see the module's docstring); no query."""
    if assessment is None:
        return {}
    visited = _visited(stops)
    matched = _matched(assessment.sections or [])
    inputs: Inputs = {
        "level": assessment.risk_level,
        # The explanation (each contribution to the level) and the reasons for a decision are
        # printed as they are; they are short.
        "explanation": list(assessment.explanation or []),
        "approval_reasons": list(assessment.approval_reasons or []),
        "countries": {},
        "sections": {},
        "places": {},
        "requirements": {},
        "contacts": {},
        "sources": {},
    }
    cited: dict[str, dict[str, Any]] = {}
    for code in dict.fromkeys(stop.country_id for stop in stops):
        _add_country(
            inputs,
            cited,
            code=code,
            version=versions.get(code),
            matched=matched.get(code, []),
            visited=visited.get(code, set()),
            nationality=nationality,
        )
    for requirement in assessment.requirements or []:
        source = requirement.get("source") or None
        if source and source.get("key"):
            cited[source["key"]] = source
        key = str(requirement.get("id") or _hash(requirement))
        inputs["requirements"][key] = {
            "label": requirement.get("title", ""),
            "due": requirement.get("due_date"),
            "hash": _hash({k: v for k, v in requirement.items() if k != "id"}),
        }
    # Open incidents the assessment lists (when it stores them beside the explanation): a
    # briefing prints them, so one declared, changed or closed changes the briefing.
    for incident in getattr(assessment, "incidents", None) or []:
        label = incident.get("title", "") if isinstance(incident, dict) else str(incident)
        inputs.setdefault("incidents", {})[_hash(incident)] = {"label": label}
    for key, source in cited.items():
        label = ", ".join(part for part in (source.get("publisher"), source.get("title")) if part)
        inputs["sources"][key] = {"label": label or key, "hash": _hash(source)}
    return inputs


def _add_country(
    inputs: Inputs,
    cited: dict[str, dict[str, Any]],
    *,
    code: str,
    version: AdvisoryVersion | None,
    matched: Sequence[str],
    visited: set[str],
    nationality: str,
) -> None:
    """One country's part of the inputs: its advisory, the sections the assessment matched
    (their sources noted in `cited`), the places visited and the contacts printed."""
    snapshot = version.content if version is not None else {}
    advisory = snapshot.get("advisory") or {}
    name = version.country.name if version is not None else code
    inputs["countries"][code] = {
        "label": name,
        "level": advisory.get("level") if version is not None else None,
        "summary": _hash(advisory.get("summary", "")),
    }
    sections = {section.get("key"): section for section in advisory.get("sections", [])}
    sources = {source["key"]: source for source in snapshot.get("sources", [])}
    for key in matched:
        section = sections.get(key)
        if section is None:
            continue
        inputs["sections"][f"{code}/{key}"] = {
            "label": section.get("heading") or key,
            "level": section.get("level"),
            "hash": _hash({name: _printed(section, name) for name in SECTION_PRINTED}),
        }
        if section.get("source") in sources:
            cited[section["source"]] = sources[section["source"]]
    for place in snapshot.get("places", []):
        names = {match_key(place["name"]), *(match_key(a) for a in place.get("aliases", []))}
        if names & visited:
            inputs["places"][f"{code}/{place['name']}"] = {
                "label": place["name"],
                "level": place.get("level"),
                "hash": _hash([place["name"], place.get("kind"), place.get("level")]),
            }
    for contact in contacts_for_traveller(
        snapshot.get("emergency_contacts", []), nationality=nationality
    ):
        where = contact.get("place")
        if where and match_key(where) not in visited:
            continue
        printed = [contact.get("label"), contact.get("number"), where]
        inputs["contacts"][f"{code}/{_hash(printed)}"] = {
            "label": f"{contact.get('label')}, {contact.get('number')}"
        }


def _printed(section: Mapping[str, Any], name: str) -> Any:
    # A body saved from a browser's textarea has CRLF line ends where a pack has LF: it reads
    # the same, so it hashes the same.
    value = section.get(name)
    if name == "body":
        return "\n".join((value or "").splitlines()).strip()
    return value


def _visited(stops: Iterable[Stop]) -> dict[str, set[str]]:
    """The places a trip goes to, per country, as matching keys (its curated place's name and
    what the traveller typed)."""
    visited: dict[str, set[str]] = {}
    for stop in stops:
        names = {stop.place.name if stop.place else "", stop.place_text}
        visited.setdefault(stop.country_id, set()).update(match_key(n) for n in names if n)
    return visited


def _matched(sections: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    matched: dict[str, list[str]] = {}
    for section in sections:
        keys = matched.setdefault(str(section["country"]), [])
        if section["key"] not in keys:
            keys.append(section["key"])
    return matched


# --- what changed, in words -----------------------------------------------------------------


def _level_words(before: int | None, after: int | None) -> str:
    if after is None:
        return f"is now unknown (it was {before})"
    if before is None:
        return f"is now {after} (it was unknown)"
    return f"{'rose' if after > before else 'fell'} from {before} to {after}"


def inputs_changes(before: Inputs, after: Inputs) -> list[str]:
    """What changed for this trip between two briefings' inputs, in plain words: "Section
    'Closed areas' changed.", "Your risk level rose from 2 to 3." Empty when the same."""
    if not before or not after or inputs_digest(before) == inputs_digest(after):
        return []
    changes: list[str] = []
    if before.get("level") != after.get("level"):
        changes.append(f"Your risk level {_level_words(before.get('level'), after.get('level'))}.")
    old, new = before.get("countries", {}), after.get("countries", {})
    for code in new.keys() & old.keys():
        name = new[code]["label"]
        if old[code].get("level") != new[code].get("level"):
            words = _level_words(old[code].get("level"), new[code].get("level"))
            changes.append(f"{name}'s advisory level {words}.")
        if old[code].get("summary") != new[code].get("summary"):
            changes.append(f"{name}'s summary changed.")
    changes += _keyed_changes(before, after, "sections", _section_words)
    changes += _keyed_changes(before, after, "places", _place_words)
    changes += _keyed_changes(before, after, "requirements", _requirement_words)
    changes += _keyed_changes(before, after, "contacts", _contact_words)
    changes += _keyed_changes(before, after, "sources", _source_words)
    changes += _keyed_changes(before, after, "incidents", _incident_words)
    if not changes:
        added = [
            line
            for part in ("explanation", "approval_reasons")
            for line in after.get(part, [])
            if line not in before.get(part, [])
        ]
        changes.append(
            "Why your trip has its risk level changed"
            + (": " + "; ".join(line.rstrip(".") for line in added) + "." if added else ".")
        )
    return changes


def _keyed_changes(before: Inputs, after: Inputs, part: str, words: Any) -> list[str]:
    old, new = before.get(part, {}), after.get(part, {})
    found = []
    for key in sorted(new.keys() - old.keys(), key=lambda k: new[k]["label"]):
        found.append(words("added", None, new[key]))
    for key in sorted(new.keys() & old.keys(), key=lambda k: new[k]["label"]):
        if old[key] != new[key]:
            found.append(words("changed", old[key], new[key]))
    for key in sorted(old.keys() - new.keys(), key=lambda k: old[k]["label"]):
        found.append(words("removed", old[key], None))
    return found


def _section_words(what: str, old: dict | None, new: dict | None) -> str:
    entry = new or old or {}
    label = entry.get("label", "")
    if what == "added":
        return f"New section for your trip: '{label}'."
    if what == "removed":
        return f"Section '{label}' no longer applies to your trip."
    assert old is not None and new is not None
    if old.get("level") != new.get("level"):
        return f"Section '{label}' changed; its level {_level_words(old['level'], new['level'])}."
    return f"Section '{label}' changed."


def _place_words(what: str, old: dict | None, new: dict | None) -> str:
    entry = new or old or {}
    label = entry.get("label", "")
    if what == "added":
        return f"Your briefing now covers {label}."
    if what == "removed":
        return f"Your briefing no longer covers {label}."
    assert old is not None and new is not None
    if old.get("level") != new.get("level"):
        return f"{label}'s level {_level_words(old['level'], new['level'])}."
    return f"What we say of {label} changed."


def _requirement_words(what: str, old: dict | None, new: dict | None) -> str:
    entry = new or old or {}
    label = entry.get("label", "")
    due = f" (due {day(entry['due'])})" if entry.get("due") else ""
    if what == "added":
        return f"New requirement: {label}{due}."
    if what == "removed":
        return f"No longer required: {label}."
    assert old is not None and new is not None
    if old.get("due") != new.get("due"):
        when = f"due {day(new['due'])}" if new.get("due") else "no longer has a deadline"
        return f"Requirement '{label}' is now {when}."
    return f"Requirement '{label}' changed."


def _contact_words(what: str, old: dict | None, new: dict | None) -> str:
    entry = new or old or {}
    if what == "removed":
        return f"Emergency contact no longer listed: {entry.get('label', '')}."
    return f"New emergency contact: {entry.get('label', '')}."


def _source_words(what: str, old: dict | None, new: dict | None) -> str:
    entry = new or old or {}
    label = entry.get("label", "")
    if what == "added":
        return f"New source cited: {label}."
    if what == "removed":
        return f"Source no longer cited: {label}."
    return f"Source '{label}' changed."


def _incident_words(what: str, old: dict | None, new: dict | None) -> str:
    entry = new or old or {}
    if what == "removed":
        return f"No longer touching your trip: {entry.get('label', '')}."
    return f"Touching your trip: {entry.get('label', '')}."
