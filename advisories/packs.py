"""Content packs (``format: "travel-risk-content/1"``, see contracts.md): validate, import,
export.

A pack is validated whole before anything is written, and every error names its JSON path
(``countries[0].rules[2].kind: unknown kind "visa_free_x"``). An import is one transaction:
create-or-update by key, then a new version only for a country whose content really changed.
The export is built from the published snapshots, in the same format and a fixed order, so
export -> import -> export changes nothing and publishes nothing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F

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
from advisories.selectors import advisory_snapshot, snapshot_hash
from advisories.services import advisory_publish
from advisories.validation import (
    RULE_FIELDS,
    dates_errors,
    level_errors,
    months_errors,
    nationalities_errors,
    parse_date,
    quoted,
    rule_errors,
    topic_errors,
)
from portal.audit import audit_record
from portal.lib.countries import is_country_code
from portal.lib.vocabulary import PlaceKind

FORMAT = "travel-risk-content/1"
DEFAULT_CHANGE_NOTE = "Imported from a content pack"
SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
PLACE_KIND_CODES = PlaceKind.codes()


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
        return "\n".join(lines) or "Nothing to import."


_SINGULAR = {
    str(model._meta.verbose_name_plural): str(model._meta.verbose_name)
    for model in (Source, Activity, Advisory, Place, Section, Rule, EmergencyContact)
}


# --- validation -------------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def obj(self, value: Any, path: str, allowed: tuple[str, ...]) -> bool:
        if not isinstance(value, dict):
            self.error(path, f"must be an object, not {_json_type(value)}")
            return False
        for name in value:
            if name not in allowed:
                self.error(f"{path}.{name}", "unknown field")
        return True

    def items(self, parent: dict, name: str, path: str) -> list[tuple[int, Any]]:
        value = parent.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            self.error(f"{path}.{name}" if path else name, "must be a list")
            return []
        return list(enumerate(value))

    def text(
        self,
        parent: dict,
        name: str,
        path: str,
        *,
        required: bool = True,
        max_length: int | None = None,
    ) -> None:
        value = parent.get(name)
        where = f"{path}.{name}"
        blank = isinstance(value, str) and not value.strip()
        if value is None or value == "" or (required and blank):
            if required:
                self.error(where, "is required")
            return
        if not isinstance(value, str):
            self.error(where, f"must be a string, not {_json_type(value)}")
        elif max_length and len(value) > max_length:
            self.error(where, f"is longer than {max_length} characters")

    def key(self, parent: dict, name: str, path: str, seen: dict[str, str], what: str) -> bool:
        """Check a slug key unique within the pack; True when it is valid and new."""
        value = parent.get(name)
        where = f"{path}.{name}"
        if value is None or value == "":
            self.error(where, "is required")
        elif not isinstance(value, str) or not SLUG.match(value) or len(value) > 80:
            self.error(where, f"must be a slug (letters, digits, - and _), not {quoted(value)}")
        elif value in seen:
            self.error(where, f'duplicate {what} "{value}" (also at {seen[value]})')
        else:
            seen[value] = where
            return True
        return False

    def names(
        self, value: Any, where: str, known: set[str], what: str, *, by_key: bool = False
    ) -> None:
        if value is None:
            return
        if not isinstance(value, list) or any(not isinstance(item, str) for item in value):
            self.error(where, f"must be a list of {what} names")
            return
        for item in value:
            if (match_key(item) if by_key else item) not in known:
                self.error(where, f'unknown {what} "{item}"')


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def pack_validate(data: Any) -> list[str]:
    """Every error in the pack, each as "json.path: message"; an empty list means valid.

    Sources and activities a pack refers to may be in the pack or already installed.
    Places are the country's own: those listed in its entry (by name or alias). Section and
    rule keys are unique across all countries (as in the models): a pack may not use a key
    that belongs to a country it does not list, since importing it would move that country's
    section or rule.
    """
    check = _Checker()
    if not check.obj(data, "(pack)", ("format", "sources", "activities", "countries")):
        return check.errors
    if data.get("format") != FORMAT:
        check.error("format", f'must be "{FORMAT}", not {quoted(data.get("format"))}')

    source_keys: dict[str, str] = {}
    for i, source in check.items(data, "sources", ""):
        path = f"sources[{i}]"
        allowed = ("key", "publisher", "title", "url", "retrieved", "licence")
        if not check.obj(source, path, allowed):
            continue
        check.key(source, "key", path, source_keys, "source key")
        check.text(source, "publisher", path, max_length=200)
        check.text(source, "title", path, max_length=300)
        check.text(source, "url", path, required=False, max_length=500)
        if isinstance(source.get("url"), str) and source["url"]:
            try:
                URLValidator()(source["url"])
            except ValidationError:
                check.error(f"{path}.url", f"not a valid URL: {quoted(source['url'])}")
        check.text(source, "licence", path, required=False, max_length=300)
        try:
            parse_date(source.get("retrieved"))
        except ValueError as exc:
            check.error(f"{path}.retrieved", str(exc))

    activity_codes: dict[str, str] = {}
    for i, activity in check.items(data, "activities", ""):
        path = f"activities[{i}]"
        if not check.obj(activity, path, ("code", "label")):
            continue
        check.key(activity, "code", path, activity_codes, "activity code")
        if isinstance(activity.get("code"), str) and len(activity["code"]) > 40:
            check.error(f"{path}.code", "is longer than 40 characters")
        check.text(activity, "label", path, max_length=100)

    known_sources = set(source_keys) | set(Source.objects.values_list("key", flat=True))
    known_activities = set(activity_codes) | set(Activity.objects.values_list("code", flat=True))

    country_codes: dict[str, str] = {}
    section_keys: dict[str, str] = {}
    rule_keys: dict[str, str] = {}
    # key -> the code of the country entry that lists it
    section_countries: dict[str, Any] = {}
    rule_countries: dict[str, Any] = {}
    for i, entry in check.items(data, "countries", ""):
        path = f"countries[{i}]"
        allowed = (
            "code",
            "advisory",
            "places",
            "emergency_contacts",
            "rules",
            "non_working_days",
            "working_days",
        )
        if not check.obj(entry, path, allowed):
            continue
        for name in ("non_working_days", "working_days"):
            for message in dates_errors(entry.get(name)):
                check.error(f"{path}.{name}", message)
        code = entry.get("code")
        if not isinstance(code, str) or len(code) != 2 or not code.isupper():
            check.error(
                f"{path}.code", f"must be an upper-case ISO 3166-1 code, not {quoted(code)}"
            )
        elif not is_country_code(code):
            check.error(f"{path}.code", f'unknown country code "{code}"')
        elif code in country_codes:
            check.error(
                f"{path}.code", f'duplicate country "{code}" (also at {country_codes[code]})'
            )
        else:
            country_codes[code] = f"{path}.code"

        # The country's places first: sections, rules and contacts refer to them.
        place_keys: dict[str, str] = {}
        for j, place in check.items(entry, "places", path):
            place_path = f"{path}.places[{j}]"
            if not check.obj(place, place_path, ("name", "aliases", "kind", "level")):
                continue
            check.text(place, "name", place_path, max_length=120)
            names = [(f"{place_path}.name", place.get("name"))]
            aliases = place.get("aliases")
            if aliases is not None and (
                not isinstance(aliases, list) or any(not isinstance(a, str) for a in aliases)
            ):
                check.error(f"{place_path}.aliases", "must be a list of strings")
            elif aliases:
                names += [(f"{place_path}.aliases[{k}]", a) for k, a in enumerate(aliases)]
            for where, name in names:
                is_alias = where.endswith("]")
                if not isinstance(name, str) or (not is_alias and not name.strip()):
                    continue  # the name's own type and presence are reported above
                key = match_key(name)
                if not key:
                    # Matched by its letters and digits only, this would match nothing.
                    check.error(where, f"must be a name with letters or digits, not {quoted(name)}")
                    continue
                if (is_alias and len(name) > 120) or len(key) > 120:
                    check.error(where, "is longer than 120 characters")
                if key in place_keys:
                    check.error(
                        where, f'"{name}" already names a place of this country ({place_keys[key]})'
                    )
                else:
                    place_keys[key] = where
            kind = place.get("kind")
            if kind is not None and kind not in PLACE_KIND_CODES:
                check.error(
                    f"{place_path}.kind",
                    f"unknown place kind {quoted(kind)}; one of {', '.join(PLACE_KIND_CODES)}",
                )
            for message in level_errors(place.get("level"), required=False):
                check.error(f"{place_path}.level", message)
        known_places = set(place_keys)

        advisory = entry.get("advisory")
        advisory_path = f"{path}.advisory"
        if advisory is None:
            check.error(advisory_path, "is required")
        elif check.obj(
            advisory, advisory_path, ("level", "summary", "material", "change_note", "sections")
        ):
            for message in level_errors(advisory.get("level"), required=True):
                check.error(f"{advisory_path}.level", message)
            check.text(advisory, "summary", advisory_path)
            change_note = advisory.get("change_note")
            if isinstance(change_note, str) and not change_note.strip():
                # Publishing refuses a blank note; leaving it out means the default note.
                check.error(
                    f"{advisory_path}.change_note",
                    "is blank; write a change note or leave the field out",
                )
            else:
                check.text(advisory, "change_note", advisory_path, required=False)
            if "material" in advisory and not isinstance(advisory["material"], bool):
                check.error(f"{advisory_path}.material", "must be true or false")
            for j, section in check.items(advisory, "sections", advisory_path):
                section_path = f"{advisory_path}.sections[{j}]"
                allowed = (
                    "key",
                    "topic",
                    "heading",
                    "body",
                    "level",
                    "places",
                    "activities",
                    "months",
                    "source",
                )
                if not check.obj(section, section_path, allowed):
                    continue
                if check.key(section, "key", section_path, section_keys, "section key"):
                    section_countries[section["key"]] = code
                for message in topic_errors(section.get("topic")):
                    check.error(f"{section_path}.topic", message)
                check.text(section, "heading", section_path, max_length=200)
                if not isinstance(section.get("body"), str):
                    check.error(f"{section_path}.body", "is required (Markdown text)")
                for message in level_errors(section.get("level"), required=False):
                    check.error(f"{section_path}.level", message)
                check.names(
                    section.get("places"),
                    f"{section_path}.places",
                    known_places,
                    "place",
                    by_key=True,
                )
                check.names(
                    section.get("activities"),
                    f"{section_path}.activities",
                    known_activities,
                    "activity",
                )
                for message in months_errors(section.get("months")):
                    check.error(f"{section_path}.months", message)
                _check_source(check, section, section_path, known_sources)

        for j, contact in check.items(entry, "emergency_contacts", path):
            contact_path = f"{path}.emergency_contacts[{j}]"
            if not check.obj(contact, contact_path, ("label", "number", "place", "nationalities")):
                continue
            check.text(contact, "label", contact_path, max_length=120)
            check.text(contact, "number", contact_path, max_length=60)
            for message in nationalities_errors(contact.get("nationalities")):
                check.error(f"{contact_path}.nationalities", message)
            place = contact.get("place")
            if place is not None:
                check.names([place], f"{contact_path}.place", known_places, "place", by_key=True)

        for j, rule in check.items(entry, "rules", path):
            rule_path = f"{path}.rules[{j}]"
            if not isinstance(rule, dict):
                check.error(rule_path, f"must be an object, not {_json_type(rule)}")
                continue
            if check.key(rule, "key", rule_path, rule_keys, "rule key"):
                rule_countries[rule["key"]] = code
            for name, messages in rule_errors(rule).items():
                if name == "key":
                    continue
                for message in messages:
                    check.error(f"{rule_path}.{name}", message)
            for name, max_length in (
                ("title", 200),
                ("authority", 200),
                ("citation", 300),
            ):
                value = rule.get(name)
                if isinstance(value, str) and len(value) > max_length:
                    check.error(f"{rule_path}.{name}", f"is longer than {max_length} characters")
            if isinstance(rule.get("places"), list):
                check.names(
                    rule["places"], f"{rule_path}.places", known_places, "place", by_key=True
                )
            if isinstance(rule.get("activities"), list):
                check.names(
                    rule["activities"], f"{rule_path}.activities", known_activities, "activity"
                )
            _check_source(check, rule, rule_path, known_sources)

    listed = set(country_codes)
    section_owners = Section.objects.filter(key__in=list(section_countries)).values_list(
        "key", "advisory__country_id"
    )
    _check_key_owners(check, section_owners, section_countries, section_keys, listed)
    rule_owners = Rule.objects.filter(key__in=list(rule_countries)).values_list("key", "country_id")
    _check_key_owners(check, rule_owners, rule_countries, rule_keys, listed)
    _check_nul_characters(check, data)
    return check.errors


def _check_key_owners(
    check: _Checker,
    owners: Any,
    claimed_by: dict[str, Any],
    paths: dict[str, str],
    listed: set[str],
) -> None:
    """Refuse a key already installed for another country, unless the pack lists that country
    too: a pack is the whole content of each country it lists, so that country gives it up."""
    for key, owner in owners:
        if owner != claimed_by[key] and owner not in listed:
            check.error(paths[key], f'key "{key}" already belongs to country {owner}')


def _check_nul_characters(check: _Checker, data: Any) -> None:
    # PostgreSQL cannot store NUL in text; refuse it here rather than fail mid-import.
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                check.error(path or "(pack)", "contains a NUL character")
        elif isinstance(value, list):
            stack.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, dict):
            stack.extend(
                (f"{path}.{name}" if path else str(name), item)
                for name, item in reversed(list(value.items()))
            )


def _check_source(check: _Checker, item: dict, path: str, known: set[str]) -> None:
    source = item.get("source")
    if source is None:
        return
    if not isinstance(source, str):
        check.error(f"{path}.source", "must be a source key")
    elif source not in known:
        check.error(f"{path}.source", f'unknown source "{source}"')


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
        self, model: type, lookup: dict[str, Any], values: dict[str, Any]
    ) -> tuple[Any, str]:
        """The row with ``lookup``, created or updated to ``values``, and what was done to it:
        "created", "updated" or "" (nothing)."""
        label = model._meta.verbose_name_plural
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model.objects.create(**lookup, **values)
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
        "source": sources.get(data.get("source")),
    }


def pack_import(data: Any, *, draft: bool = False, by: Any = None) -> ImportReport:
    """Validate the whole pack, then write it in one transaction and publish a new version of
    every country whose content changed (unless ``draft``). Raises PackError, writing nothing,
    when the pack has any error."""
    errors = pack_validate(data)
    if errors:
        raise PackError(errors)
    report = ImportReport()
    importer = _Importer(report)
    with transaction.atomic():
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

        for entry in data.get("countries") or []:
            country = importer.country(entry, activities)
            snapshot = advisory_snapshot(country)
            published_hash = (
                AdvisoryVersion.objects.filter(pk=country.published_id)
                .values_list("content_hash", flat=True)
                .first()
            )
            if snapshot is not None and snapshot_hash(snapshot) == published_hash:
                report.unchanged.append(country.code)
            elif draft:
                report.drafts.append(country.code)
            else:
                advisory = entry["advisory"]
                version = advisory_publish(
                    country=country,
                    by=by,
                    change_note=advisory.get("change_note") or DEFAULT_CHANGE_NOTE,
                    material=advisory.get("material", True),
                )
                report.published.append((country.code, version.number))
                if version.material:
                    report.material.append(country.code)
        audit_record(
            actor=by,
            action="content_pack.imported",
            details={
                "draft": draft,
                "countries": [entry["code"] for entry in data.get("countries") or []],
                "published": [f"{code} v{number}" for code, number in report.published],
            },
        )
    return report


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
        "sources": [sources[key][1] for key in sorted(sources)],
        "activities": [
            {"code": activity.code, "label": activity.label}
            for activity in Activity.objects.order_by("code")
        ],
        "countries": countries,
    }
