"""Content pack validation: every error of a pack, each naming its JSON path
(``countries[0].rules[2].kind: unknown kind "visa_free_x"``), found before anything is written.

One function per entity of the pack (sources, activities, and per country its places,
advisory and sections, emergency contacts and rules); ``pack_validate`` runs them in the order
the entities refer to one another.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone

from advisories.models import Activity, Rule, Section, Source, match_key
from advisories.validation import (
    dates_errors,
    level_errors,
    months_errors,
    nationalities_errors,
    parse_date,
    quoted,
    rule_errors,
    topic_errors,
)
from core.lib.countries import is_country_code
from core.lib.phones import dialable_problem
from core.lib.vocabulary import PlaceKind

FORMAT = "travel-risk-content/1"
SLUG = re.compile(r"^[-a-zA-Z0-9_]+\Z")
# Two installations' clocks may differ a little; a pack "exported" further ahead than this
# would make every later publication look older than it, and so unprotected.
EXPORTED_AT_SKEW = dt.timedelta(minutes=10)
PLACE_KIND_CODES = PlaceKind.codes()


class Checker:
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


@dataclass
class PackKeys:
    """What the entities of one pack refer to, gathered as the validation goes."""

    sources: set[str] = field(default_factory=set)
    activities: set[str] = field(default_factory=set)
    countries: dict[str, str] = field(default_factory=dict)  # code -> JSON path
    sections: dict[str, str] = field(default_factory=dict)  # key -> JSON path
    rules: dict[str, str] = field(default_factory=dict)
    # key -> the code of the country entry that lists it
    section_countries: dict[str, Any] = field(default_factory=dict)
    rule_countries: dict[str, Any] = field(default_factory=dict)


def pack_validate(data: Any) -> list[str]:
    """Every error in the pack, each as "json.path: message"; an empty list means valid.

    Sources and activities a pack refers to may be in the pack or already installed.
    Places are the country's own: those listed in its entry (by name or alias). Section and
    rule keys are unique across all countries (as in the models): a pack may not use a key
    that belongs to a country it does not list, since importing it would move that country's
    section or rule.
    """
    check = Checker()
    top = ("format", "exported_at", "sources", "activities", "countries")
    if not check.obj(data, "(pack)", top):
        return check.errors
    if data.get("format") != FORMAT:
        check.error("format", f'must be "{FORMAT}", not {quoted(data.get("format"))}')
    try:
        parse_exported_at(data.get("exported_at"))
    except ValueError as exc:
        check.error("exported_at", str(exc))
    keys = PackKeys()
    keys.sources = check_sources(check, data) | set(Source.objects.values_list("key", flat=True))
    keys.activities = check_activities(check, data) | set(
        Activity.objects.values_list("code", flat=True)
    )
    for i, entry in check.items(data, "countries", ""):
        check_country(check, entry, f"countries[{i}]", keys)
    check_key_owners(check, keys)
    _check_nul_characters(check, data)
    return check.errors


def parse_exported_at(value: Any) -> dt.datetime | None:
    """When the pack was exported (``export_content`` writes it; a hand-written pack has
    none): an ISO 8601 time with its offset, not in the future. ValueError otherwise."""
    if value is None:
        return None
    example = "2026-11-20T09:30:00+00:00"
    if not isinstance(value, str):
        raise ValueError(f"must be an ISO 8601 time with offset ({example}), not {quoted(value)}")
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time ({example}): {quoted(value)}") from None
    if moment.tzinfo is None:
        raise ValueError(f"needs its offset from UTC ({example}): {quoted(value)}")
    if moment > timezone.now() + EXPORTED_AT_SKEW:
        raise ValueError(f"is in the future: {quoted(value)}")
    return moment


def check_sources(check: Checker, data: dict) -> set[str]:
    """The pack's sources; returns their keys."""
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
    return set(source_keys)


def check_activities(check: Checker, data: dict) -> set[str]:
    """The pack's activities; returns their codes."""
    activity_codes: dict[str, str] = {}
    for i, activity in check.items(data, "activities", ""):
        path = f"activities[{i}]"
        if not check.obj(activity, path, ("code", "label")):
            continue
        check.key(activity, "code", path, activity_codes, "activity code")
        if isinstance(activity.get("code"), str) and len(activity["code"]) > 40:
            check.error(f"{path}.code", "is longer than 40 characters")
        check.text(activity, "label", path, max_length=100)
    return set(activity_codes)


def check_country(check: Checker, entry: Any, path: str, keys: PackKeys) -> None:
    """One country entry: its code, calendar, places, advisory, contacts and rules."""
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
        return
    for name in ("non_working_days", "working_days"):
        for message in dates_errors(entry.get(name)):
            check.error(f"{path}.{name}", message)
    code = entry.get("code")
    if not isinstance(code, str) or len(code) != 2 or not code.isupper():
        check.error(f"{path}.code", f"must be an upper-case ISO 3166-1 code, not {quoted(code)}")
    elif not is_country_code(code):
        check.error(f"{path}.code", f'unknown country code "{code}"')
    elif code in keys.countries:
        check.error(f"{path}.code", f'duplicate country "{code}" (also at {keys.countries[code]})')
    else:
        keys.countries[code] = f"{path}.code"
    # The country's places first: sections, rules and contacts refer to them.
    places = check_places(check, entry, path)
    check_advisory(check, entry, path, code, places, keys)
    check_contacts(check, entry, path, places)
    check_rules(check, entry, path, code, places, keys)


def check_places(check: Checker, entry: dict, path: str) -> set[str]:
    """The country's places; returns the match keys of their names and aliases."""
    place_keys: dict[str, str] = {}
    for j, place in check.items(entry, "places", path):
        place_path = f"{path}.places[{j}]"
        if not check.obj(
            place, place_path, ("name", "aliases", "kind", "level", "latitude", "longitude")
        ):
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
        check_coordinates(check, place, place_path)
    return set(place_keys)


def check_coordinates(check: Checker, place: dict, path: str) -> None:
    """A place's ``latitude`` and ``longitude``: numbers in degrees, both or neither."""
    given = {}
    for name, limit, where in (("latitude", 90, "-90 to 90"), ("longitude", 180, "-180 to 180")):
        value = place.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            check.error(f"{path}.{name}", f"must be a number of degrees, not {_json_type(value)}")
        elif not (math.isfinite(value) and -limit <= value <= limit):
            check.error(f"{path}.{name}", f"must be from {where} degrees, not {value}")
        given[name] = value
    for name in ("latitude", "longitude"):
        other = "longitude" if name == "latitude" else "latitude"
        if other in given and place.get(name) is None:
            check.error(f"{path}.{name}", f"is required with the {other}")


def check_advisory(
    check: Checker, entry: dict, path: str, code: Any, known_places: set[str], keys: PackKeys
) -> None:
    """The country's advisory and its sections."""
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
            if check.key(section, "key", section_path, keys.sections, "section key"):
                keys.section_countries[section["key"]] = code
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
                keys.activities,
                "activity",
            )
            for message in months_errors(section.get("months")):
                check.error(f"{section_path}.months", message)
            _check_source(check, section, section_path, keys.sources)


def check_contacts(check: Checker, entry: dict, path: str, known_places: set[str]) -> None:
    """The country's emergency contacts."""
    for j, contact in check.items(entry, "emergency_contacts", path):
        contact_path = f"{path}.emergency_contacts[{j}]"
        if not check.obj(contact, contact_path, ("label", "number", "place", "nationalities")):
            continue
        check.text(contact, "label", contact_path, max_length=120)
        check.text(contact, "number", contact_path, max_length=60)
        number = contact.get("number")
        region = entry.get("code") if isinstance(entry.get("code"), str) else None
        problem = dialable_problem(number, region=region) if isinstance(number, str) else None
        if problem and number.strip():
            check.error(f"{contact_path}.number", problem)
        for message in nationalities_errors(contact.get("nationalities")):
            check.error(f"{contact_path}.nationalities", message)
        place = contact.get("place")
        if place is not None:
            check.names([place], f"{contact_path}.place", known_places, "place", by_key=True)


def check_rules(
    check: Checker, entry: dict, path: str, code: Any, known_places: set[str], keys: PackKeys
) -> None:
    """The country's rules: each kind's fields (advisories.validation), their lengths, and
    the places, activities and sources they name."""
    for j, rule in check.items(entry, "rules", path):
        rule_path = f"{path}.rules[{j}]"
        if not isinstance(rule, dict):
            check.error(rule_path, f"must be an object, not {_json_type(rule)}")
            continue
        if check.key(rule, "key", rule_path, keys.rules, "rule key"):
            keys.rule_countries[rule["key"]] = code
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
            check.names(rule["places"], f"{rule_path}.places", known_places, "place", by_key=True)
        if isinstance(rule.get("activities"), list):
            check.names(rule["activities"], f"{rule_path}.activities", keys.activities, "activity")
        _check_source(check, rule, rule_path, keys.sources)


def check_key_owners(check: Checker, keys: PackKeys) -> None:
    """Section and rule keys the pack uses that are installed for another country."""
    listed = set(keys.countries)
    section_owners = Section.objects.filter(key__in=list(keys.section_countries)).values_list(
        "key", "advisory__country_id"
    )
    _check_key_owners(check, section_owners, keys.section_countries, keys.sections, listed)
    rule_owners = Rule.objects.filter(key__in=list(keys.rule_countries)).values_list(
        "key", "country_id"
    )
    _check_key_owners(check, rule_owners, keys.rule_countries, keys.rules, listed)


def _check_key_owners(
    check: Checker,
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


def _check_nul_characters(check: Checker, data: Any) -> None:
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


def _check_source(check: Checker, item: dict, path: str, known: set[str]) -> None:
    source = item.get("source")
    if source is None:
        return
    if not isinstance(source, str):
        check.error(f"{path}.source", "must be a source key")
    elif source not in known:
        check.error(f"{path}.source", f'unknown source "{source}"')
