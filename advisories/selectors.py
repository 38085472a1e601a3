"""Reads of curated content.

Two views of a country's content exist: the *draft* rows content admins edit, and the
*published* snapshot (``AdvisoryVersion.content``) everyone else reads. Snapshots have the shape
of a content pack's country entry plus the sources it cites, so the pack export, the read API,
the engine's loader (in trips) and the version diff all read one format.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from advisories.models import (
    Activity,
    Advisory,
    AdvisoryVersion,
    Country,
    EmergencyContact,
    Place,
    Rule,
    Section,
    Source,
    match_key,
)
from advisories.signals import content_reach
from advisories.validation import RULE_FIELDS
from core.lib.places import PlaceMatcher
from core.lib.vocabulary import RuleKind

KIND_ORDER = RuleKind.order()


def _codes(country_codes: Iterable[str]) -> list[str]:
    return sorted({code.upper() for code in country_codes})


# --- published content ------------------------------------------------------------------


def published_snapshots(country_codes: Iterable[str]) -> dict[str, AdvisoryVersion]:
    """The published version of each of these countries that has one, in one query."""
    versions = AdvisoryVersion.objects.filter(
        country_id__in=_codes(country_codes), country__published=F("pk")
    ).select_related("country", "published_by")
    return {version.country_id: version for version in versions}


def published_version(country_code: str) -> AdvisoryVersion | None:
    return published_snapshots([country_code]).get(country_code.upper())


def countries_with_risk(search: str | None = None) -> QuerySet[Country]:
    """Countries with their published level and version number (null when unpublished).

    Annotations instead of the whole snapshot: the list never loads version content.
    """
    countries = Country.objects.annotate(
        risk_level=F("published__level"), advisory_version=F("published__number")
    ).order_by("name")
    search = (search or "").strip()
    if search:
        countries = countries.filter(Q(code__iexact=search) | Q(name__icontains=search))
    return countries


def activities_list() -> QuerySet[Activity]:
    return Activity.objects.order_by("label", "code")


def activity_labels(codes: Iterable[str]) -> dict[str, str]:
    """The curated labels ("Driving a vehicle") of these activity codes, in one query (none
    for no codes); a code no longer curated is absent: callers show it as it is."""
    wanted = set(codes)
    if not wanted:
        return {}
    return dict(Activity.objects.filter(code__in=wanted).values_list("code", "label"))


def place_match(country_code: str, text: str) -> Place | None:
    """The curated place of this country that ``text`` names (core.lib.places: name or
    alias, ignoring case, accents and punctuation, as whole words, the longest winning), in two
    queries: "ALMATY", "Baikonur Cosmodrome", "Алматы" when listed as an alias."""
    if not match_key(text or ""):
        return None
    return place_matcher(places_for([country_code])).match(text)


def place_matcher(places: Iterable[Place]) -> PlaceMatcher[Place]:
    """A matcher over these places (with their aliases prefetched)."""
    return PlaceMatcher(
        (place, place.name, [alias.name for alias in place.aliases.all()]) for place in places
    )


def places_for(country_codes: Iterable[str]) -> QuerySet[Place]:
    """The curated places of these countries with their aliases (two queries)."""
    return (
        Place.objects.filter(country_id__in=_codes(country_codes))
        .prefetch_related("aliases")
        .order_by("country_id", "name")
    )


# --- draft snapshots --------------------------------------------------------------------


def source_entry(source: Source) -> dict[str, Any]:
    return {
        "key": source.key,
        "publisher": source.publisher,
        "title": source.title,
        "url": source.url,
        "retrieved": source.retrieved.isoformat() if source.retrieved else None,
        "licence": source.licence,
    }


def section_entry(section: Section) -> dict[str, Any]:
    return {
        "key": section.key,
        "topic": section.topic,
        "heading": section.heading,
        "body": section.body,
        "level": section.level,
        "places": sorted(place.name for place in section.places.all()),
        "activities": sorted(activity.code for activity in section.activities.all()),
        "months": sorted(section.months or []),
        "source": section.source.key if section.source else None,
    }


def place_entry(place: Place) -> dict[str, Any]:
    return {
        "name": place.name,
        "aliases": sorted((alias.name for alias in place.aliases.all()), key=str.casefold),
        "kind": place.kind,
        "level": place.level,
        # Only when set: snapshots published before places had coordinates stay identical.
        **(
            {"latitude": place.latitude, "longitude": place.longitude}
            if place.latitude is not None and place.longitude is not None
            else {}
        ),
    }


def contact_entry(contact: EmergencyContact) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "label": contact.label,
        "number": contact.number,
        "place": contact.place.name if contact.place else None,
    }
    # Only when set: snapshots published before contacts had nationalities stay identical.
    if contact.nationalities:
        entry["nationalities"] = list(contact.nationalities)
    return entry


def contacts_for_traveller(
    contacts: Iterable[dict[str, Any]], *, nationality: str
) -> list[dict[str, Any]]:
    """A snapshot's emergency contacts as one traveller should see them: an embassy (a contact
    with `nationalities`) only for its own nationals, and before the numbers for everyone."""
    mine = [
        contact
        for contact in contacts
        if not contact.get("nationalities") or nationality in contact["nationalities"]
    ]
    return sorted(mine, key=lambda contact: not contact.get("nationalities"))


def rule_entry(rule: Rule) -> dict[str, Any]:
    """A rule in pack form: the common fields and exactly the fields its kind uses."""
    entry: dict[str, Any] = {
        "key": rule.key,
        "kind": rule.kind,
        "title": rule.title,
        "detail": rule.detail,
        "exemptions": {
            "passport_types": list(rule.exempt_passport_types or []),
            "visa_categories": list(rule.exempt_visa_categories or []),
            "under_age": rule.exempt_under_age,
        },
        "valid_from": rule.valid_from.isoformat() if rule.valid_from else None,
        "valid_until": rule.valid_until.isoformat() if rule.valid_until else None,
        "authority": rule.authority,
        "citation": rule.citation,
        "source": rule.source.key if rule.source else None,
    }
    values = {
        "threshold_days": rule.threshold_days,
        "deadline_days": rule.deadline_days,
        "deadline_unit": rule.deadline_unit,
        "nationalities": list(rule.nationalities or []),
        "max_days": rule.max_days,
        "window_days": rule.window_days,
        "places": sorted(place.name for place in rule.places.all()),
        "activities": sorted(activity.code for activity in rule.activities.all()),
    }
    spec = RULE_FIELDS.get(rule.kind)
    for name in spec.fields if spec else ():
        entry[name] = values[name]
    # Optional, and left out when empty: snapshots published before it existed stay equal.
    if rule.lead_days is not None:
        entry["lead_days"] = rule.lead_days
    return entry


def draft_snapshots(country_codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The draft content of each country that has an advisory, as it would be published.

    A fixed number of queries whatever the number of countries, so the admin can tell which
    advisories have unpublished changes without a query storm.
    """
    codes = _codes(country_codes)
    advisories = Advisory.objects.filter(country_id__in=codes).prefetch_related(
        Prefetch(
            "sections",
            queryset=Section.objects.select_related("source")
            .prefetch_related("places", "activities")
            .order_by("order", "key"),
        )
    )
    places: dict[str, list[Place]] = defaultdict(list)
    for place in Place.objects.filter(country_id__in=codes).prefetch_related("aliases"):
        places[place.country_id].append(place)
    rules: dict[str, list[Rule]] = defaultdict(list)
    for rule in (
        Rule.objects.filter(country_id__in=codes)
        .select_related("source")
        .prefetch_related("places", "activities")
    ):
        rules[rule.country_id].append(rule)
    contacts: dict[str, list[EmergencyContact]] = defaultdict(list)
    # Contacts keep the order they were entered in (a pack import recreates them in order).
    for contact in (
        EmergencyContact.objects.filter(country_id__in=codes).select_related("place").order_by("pk")
    ):
        contacts[contact.country_id].append(contact)

    snapshots = {}
    for advisory in advisories:
        code = advisory.country_id
        country_rules = sorted(rules[code], key=lambda r: (KIND_ORDER.get(r.kind, 99), r.key))
        sections = list(advisory.sections.all())
        cited = {s.source.key: s.source for s in sections if s.source} | {
            r.source.key: r.source for r in country_rules if r.source
        }
        snapshots[code] = {
            "code": code,
            "advisory": {
                "level": advisory.level,
                "summary": advisory.summary,
                "sections": [section_entry(section) for section in sections],
            },
            "places": [
                place_entry(place)
                for place in sorted(places[code], key=lambda p: (p.name.casefold(), p.name))
            ],
            "emergency_contacts": [contact_entry(contact) for contact in contacts[code]],
            "rules": [rule_entry(rule) for rule in country_rules],
            "sources": [source_entry(cited[key]) for key in sorted(cited)],
        }
        # The calendar's corrections, only when there are any (older snapshots have none).
        for name in ("non_working_days", "working_days"):
            days = sorted(getattr(advisory, name) or [])
            if days:
                snapshots[code][name] = days
    return snapshots


def advisory_snapshot(country: Country | str) -> dict[str, Any] | None:
    """The draft content of one country as it would be published; None without an advisory."""
    code = country if isinstance(country, str) else country.code
    return draft_snapshots([code]).get(code.upper())


def snapshot_hash(snapshot: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a snapshot: equal content, equal hash."""
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def advisories_with_unpublished_changes() -> set[int]:
    """Ids of the advisories whose draft differs from their published version (or that were
    never published)."""
    rows = list(
        Advisory.objects.values_list("pk", "country_id", "country__published__content_hash")
    )
    snapshots = draft_snapshots(code for _, code, _ in rows)
    return {
        pk
        for pk, code, published_hash in rows
        if published_hash is None
        or code not in snapshots
        or snapshot_hash(snapshots[code]) != published_hash
    }


def material_changes(previous: dict[str, Any] | None, current: dict[str, Any]) -> list[str]:
    """What in ``current`` changes what travellers are told, compared with ``previous`` (two
    snapshots of one country), in words ("the level, 2 to 3", "rule kz-registration"); empty
    for an editorial change (wording, headings, summaries, sources, contacts).

    Materiality is derived, not trusted to a tick box (product.md): the country's level, a
    place's level or kind, any rule, a section's level or applicability. A first publication,
    a place added, removed or given other names (what stops match), and the calendar's
    non-working and working days (what deadlines fall on) are material too.
    """
    if previous is None:
        return ["the first publication"]
    found: list[str] = []
    before, after = previous["advisory"], current["advisory"]
    if before.get("level") != after.get("level"):
        found.append(f"the level, {before.get('level')} to {after.get('level')}")

    def places(snapshot: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {match_key(place["name"]): place for place in snapshot.get("places") or []}

    old_places, new_places = places(previous), places(current)
    for key in sorted(old_places.keys() | new_places.keys()):
        old, new = old_places.get(key), new_places.get(key)
        if old is None or new is None:
            name = (new or old or {}).get("name")
            found.append(f"place {name} {'added' if old is None else 'removed'}")
            continue
        changed = [
            what
            for what, field in (("level", "level"), ("kind", "kind"), ("other names", "aliases"))
            if (old.get(field) or None) != (new.get(field) or None)
        ]
        if changed:
            found.append(f"place {new['name']}: {_join(changed)}")

    def keyed(snapshot: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
        items = snapshot["advisory"].get(name) if name == "sections" else snapshot.get(name)
        return {item["key"]: item for item in items or []}

    old_rules, new_rules = keyed(previous, "rules"), keyed(current, "rules")
    for key in sorted(old_rules.keys() | new_rules.keys()):
        if old_rules.get(key) != new_rules.get(key):
            state = "added" if key not in old_rules else "removed" if key not in new_rules else ""
            found.append(f"rule {key}" + (f" {state}" if state else ""))

    applicability = ("level", "places", "activities", "months")
    old_sections, new_sections = keyed(previous, "sections"), keyed(current, "sections")
    for key in sorted(old_sections.keys() | new_sections.keys()):
        old, new = old_sections.get(key), new_sections.get(key)
        if old is None or new is None:
            # A section without a level only adds or drops advice: editorial.
            if (old or new or {}).get("level") is not None:
                found.append(f"section {key} {'added' if old is None else 'removed'}")
        elif any((old.get(name) or None) != (new.get(name) or None) for name in applicability):
            found.append(f"section {key}: level or where it applies")

    for name, words in (("non_working_days", "non-working days"), ("working_days", "working days")):
        if sorted(previous.get(name) or []) != sorted(current.get(name) or []):
            found.append(f"the calendar's {words}")
    return found


@dataclass(frozen=True)
class PublicationOutlook:
    """What publishing a country's draft would do, for the editor to read before publishing."""

    changed: bool  # the draft differs from the published version
    reasons: list[str]  # material_changes: non-empty means material whatever the tick
    trips: int  # upcoming trips a material publication re-assesses
    travellers: int

    @property
    def material(self) -> bool:
        return bool(self.reasons)

    def in_words(self) -> str:
        reach = (
            f"{self.trips} upcoming trip{'' if self.trips == 1 else 's'} "
            f"({self.travellers} traveller{'' if self.travellers == 1 else 's'})"
        )
        if not self.changed:
            return "nothing changed since the published version: there is nothing to publish"
        if self.reasons:
            return f"this changes {_join(self.reasons)}: publishing re-assesses {reach}"
        return (
            "an editorial change (no level, place, rule or section applicability): "
            f"tick Material change to re-assess {reach} anyway"
        )


def publication_outlook(country: Country) -> PublicationOutlook:
    snapshot = advisory_snapshot(country)
    version = country.published
    changed = snapshot is not None and (
        version is None or snapshot_hash(snapshot) != version.content_hash
    )
    reasons = (
        material_changes(version.content if version else None, snapshot)
        if changed and snapshot
        else []
    )
    reach = {"trips": 0, "travellers": 0}
    for _, answer in content_reach.send(sender=Country, country_code=country.code):
        if isinstance(answer, dict):
            reach = {name: reach[name] + int(answer.get(name, 0)) for name in reach}
    return PublicationOutlook(
        changed=changed, reasons=reasons, trips=reach["trips"], travellers=reach["travellers"]
    )


def country_versions(country_code: str) -> QuerySet[AdvisoryVersion]:
    return AdvisoryVersion.objects.filter(country_id=country_code.upper()).order_by("-number")


# --- rules in plain words ---------------------------------------------------------------


def _days(n: int | None, unit: str = "calendar") -> str:
    word = "working day" if unit == "working" else "day"
    return f"{n} {word}{'' if n == 1 else 's'}"


def _join(items: list[str], last: str = "and") -> str:
    items = [str(item) for item in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def rule_in_words(entry: dict[str, Any]) -> str:
    """One or two sentences saying what a rule (in pack form) asks of a traveller."""
    kind = entry.get("kind")
    unit = entry.get("deadline_unit") or "calendar"
    nationalities = entry.get("nationalities") or []
    activities = entry.get("activities") or []
    if kind == "registration":
        text = (
            f"A stay of more than {_days(entry.get('threshold_days'))} must be registered "
            f"within {_days(entry.get('deadline_days'), unit)} of arrival."
        )
    elif kind == "re_registration":
        text = (
            "When registration applies, each move to a different place must be registered "
            f"again within {_days(entry.get('deadline_days'), unit)} of arriving there."
        )
    elif kind == "visa_free":
        # Only what this list grants: a country may have several lists, so what the citizens
        # of no list need is said once for them all (visa_free_others_in_words).
        text = f"Citizens of {_join(sorted(nationalities))} may stay "
        if entry.get("max_days") is None:
            text += "without a visa."
        else:
            text += f"up to {_days(entry['max_days'])} without a visa; longer stays need a visa"
            exempt = _exempt(entry.get("exemptions") or {})
            text += f", except for {_join(exempt)}." if exempt else "."
    elif kind == "transit":
        text = (
            f"Passing through in no more than {_days(entry.get('max_days'))} on the way to "
            "another country needs no visa or registration, only the onward visa and ticket."
        )
    elif kind == "permit":
        text = f"A permit is needed before visiting {_join(entry.get('places') or [], 'or')}."
    elif kind == "document":
        text = "Applies to every visit"
        if activities:
            text += f" that includes {_join(activities, 'or')}"
        text += "."
    elif kind == "activity":
        text = f"Applies when a stop includes {_join(activities, 'or')}."
    elif kind == "stay_limit":
        text = (
            "Days in the country add up across visits: no more than "
            f"{_days(entry.get('max_days'))} in any {_days(entry.get('window_days'))}."
        )
    else:
        text = ""
    lead = entry.get("lead_days")
    if lead is not None:
        text += " Needed before leaving home" + (f": allow {_days(lead)}." if lead else ".")
    if nationalities and kind in ("document", "activity", "stay_limit"):
        text += f" Only for citizens of {_join(sorted(nationalities), 'or')}."
    exempt = _exempt(entry.get("exemptions") or {})
    if exempt and kind != "visa_free":
        text += f" Not required of {_join(exempt, 'or')}."
    if entry.get("valid_from") and entry.get("valid_until"):
        text += f" In force from {entry['valid_from']} until {entry['valid_until']}."
    elif entry.get("valid_from"):
        text += f" In force from {entry['valid_from']}."
    elif entry.get("valid_until"):
        text += f" In force until {entry['valid_until']}."
    return text.strip()


def visa_free_others_in_words(rules: Iterable[dict[str, Any]]) -> str:
    """What a country's visa-free rules (in pack form) mean, together, for the foreign
    citizens none of them lists: one sentence for after the last of them; "" for a country
    with no visa-free rule, which makes no visa claim either way (product.md).

    As the engine judges it: a nationality on no list of the rules in force on arrival needs
    a visa, unless every one of those rules exempts the traveller. Only the exemptions every
    visa-free rule grants are named, so the sentence holds whichever of them are in force.
    """
    visa_free = [rule for rule in rules if rule.get("kind") == "visa_free"]
    if not visa_free:
        return ""
    if any(rule.get("valid_from") or rule.get("valid_until") for rule in visa_free):
        who = "not listed in a rule above that is in force on the day they arrive"
    else:
        who = "not listed above"
    text = f"Foreign citizens of countries {who} need a visa"
    exempt = _exempt(_common_exemptions([rule.get("exemptions") or {} for rule in visa_free]))
    return text + (f", except for {_join(exempt)}." if exempt else ".")


def _exempt(exemptions: dict[str, Any]) -> list[str]:
    """The travellers an exemption relieves, in words: "diplomatic passport holders", ..."""
    exempt = []
    if exemptions.get("passport_types"):
        exempt.append(f"{_join(exemptions['passport_types'], 'or')} passport holders")
    if exemptions.get("visa_categories"):
        exempt.append(f"holders of {_join(exemptions['visa_categories'], 'or')} visas")
    if exemptions.get("under_age"):
        exempt.append(f"travellers under {exemptions['under_age']}")
    return exempt


def _common_exemptions(every: list[dict[str, Any]]) -> dict[str, Any]:
    """The exemptions all of these grant: shared passport types and visa categories, and
    the lowest age limit when each has one."""
    first, *others = every

    def shared(name: str) -> list[str]:
        return [
            item
            for item in first.get(name) or []
            if all(item in (other.get(name) or []) for other in others)
        ]

    ages: list[int] = [e["under_age"] for e in every if e.get("under_age")]
    return {
        "passport_types": shared("passport_types"),
        "visa_categories": shared("visa_categories"),
        "under_age": min(ages) if len(ages) == len(every) else None,
    }
