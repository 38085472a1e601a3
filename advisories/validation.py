"""Which fields each rule kind uses, and the one validator of a rule's fields.

The same function judges a rule typed in the admin (``Rule.clean`` and the admin form, through
``rule_data_from_model``) and a rule read from a content pack (``advisories.packs``), so the two
can never disagree about what a valid rule is. It works on the pack form of a rule: a dict with
the product names (``threshold_days``, ``exemptions.under_age``, ...) whose values may still be
raw JSON, hence the type checks.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.lib.countries import is_country_code
from core.lib.vocabulary import DeadlineUnit, PassportType, RuleKind, Topic

KINDS = RuleKind.codes()
TOPIC_CODES = Topic.codes()
DEADLINE_UNIT_CODES = DeadlineUnit.codes()
# The codes of core.models.PASSPORT_TYPES (the choices): pack rules and trips check these.
PASSPORT_TYPE_CODES = PassportType.codes()


@dataclass(frozen=True)
class KindFields:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    help: str

    @property
    def fields(self) -> tuple[str, ...]:
        return self.required + self.optional


# Fields every rule may carry whatever its kind.
COMMON_FIELDS = (
    "key",
    "kind",
    "title",
    "detail",
    "exemptions",
    "valid_from",
    "valid_until",
    "lead_days",
    "authority",
    "citation",
    "source",
)
EXEMPTION_FIELDS = ("passport_types", "visa_categories", "under_age")

# The contract of product.md's rule semantics table, as data.
RULE_FIELDS: dict[str, KindFields] = {
    "registration": KindFields(
        required=("threshold_days", "deadline_days"),
        optional=("deadline_unit",),
        help="A stay longer than threshold_days must be registered within deadline_days "
        "(calendar or working days) of the first arrival.",
    ),
    "re_registration": KindFields(
        required=("deadline_days",),
        optional=("deadline_unit",),
        help="When registration applies, every move to a different place must be registered "
        "again within deadline_days of arriving there.",
    ),
    "visa_free": KindFields(
        required=("nationalities", "max_days"),
        optional=(),
        help="The listed nationalities may stay up to max_days without a visa; any other "
        "foreign nationality needs a visa.",
    ),
    "transit": KindFields(
        required=("max_days",),
        optional=(),
        help="A visit made only of transit stops, no longer than max_days and followed by "
        "another country, needs no visa or registration, only onward documents.",
    ),
    "permit": KindFields(
        required=("places",),
        optional=(),
        help="A stop in one of the places needs a permit before arrival; the trip needs approval.",
    ),
    "document": KindFields(
        required=(),
        optional=("nationalities", "activities"),
        help="A document to carry on every visit (optionally only for some nationalities or "
        "activities).",
    ),
    "activity": KindFields(
        required=("activities",),
        optional=("nationalities",),
        help="A visit in which a stop lists one of the activities needs this (a driving "
        "permit, a drone licence).",
    ),
    "stay_limit": KindFields(
        required=("max_days", "window_days"),
        optional=("nationalities",),
        help="The traveller's days in the country across all their trips may not exceed "
        "max_days in any window_days-day period (90 in any 180); optionally only for some "
        "nationalities.",
    ),
}

KIND_FIELDS = tuple(sorted({name for spec in RULE_FIELDS.values() for name in spec.fields}))
ALL_RULE_FIELDS = COMMON_FIELDS + KIND_FIELDS

INT_FIELDS = ("threshold_days", "deadline_days", "max_days", "window_days", "lead_days")
# A century: far beyond any real rule, and far within what a database integer and date
# arithmetic (arrival + deadline) can hold.
MAX_DAYS = 36_500
LIST_FIELDS = ("nationalities", "places", "activities")


def quoted(value: Any) -> str:
    """A value as the pack spells it ("visa_free_x", 12, null): errors quote the JSON."""
    if isinstance(value, dt.date):
        value = value.isoformat()
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def is_int(value: Any) -> bool:
    # JSON true/false are ints to Python; a rule never means a day count of True.
    return isinstance(value, int) and not isinstance(value, bool)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def parse_date(value: Any) -> dt.date | None:
    """A date from a date or a YYYY-MM-DD string; ValueError for anything else."""
    if value is None or isinstance(value, dt.date):
        return value
    # The length check refuses the compact forms (20260101) fromisoformat would accept.
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"not a date (YYYY-MM-DD): {quoted(value)}")


def _string_list_errors(value: Any) -> list[str]:
    if not isinstance(value, list) or any(not isinstance(item, str) for item in value):
        return ["must be a list of strings"]
    return []


def level_errors(value: Any, *, required: bool) -> list[str]:
    if value is None:
        return ["is required"] if required else []
    if not is_int(value) or not 1 <= value <= 5:
        return [f"must be a level from 1 to 5, not {quoted(value)}"]
    return []


def months_errors(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or any(not is_int(m) or not 1 <= m <= 12 for m in value):
        return ["must be a list of month numbers from 1 to 12"]
    if len(set(value)) != len(value):
        return ["lists a month twice"]
    return []


def dates_errors(value: Any) -> list[str]:
    """A calendar's list of dates (``non_working_days``, ``working_days``): YYYY-MM-DD, once."""
    if value is None:
        return []
    if not isinstance(value, list):
        return ["must be a list of dates (YYYY-MM-DD)"]
    errors = []
    for item in value:
        try:
            parse_date(item)
        except ValueError as exc:
            errors.append(str(exc))
    if not errors and len(set(value)) != len(value):
        errors.append("lists a date twice")
    return errors


def nationalities_errors(value: Any) -> list[str]:
    """A list of passport nationalities (a rule's, an embassy contact's): ISO codes, once."""
    if value is None:
        return []
    if _string_list_errors(value):
        return ["must be a list of ISO country codes"]
    unknown = [code for code in value if not is_country_code(code)]
    if unknown:
        return [f"unknown country code(s): {', '.join(unknown)}"]
    if len({code.upper() for code in value}) != len(value):
        return ["lists a country twice"]
    return []


def topic_errors(value: Any) -> list[str]:
    if value not in TOPIC_CODES:
        return [f"unknown topic {quoted(value)}; one of {', '.join(TOPIC_CODES)}"]
    return []


def rule_errors(rule: Mapping[str, Any], *, check_relations: bool = True) -> dict[str, list[str]]:
    """Every problem with one rule, by field name (``exemptions.under_age`` for exemptions).

    ``check_relations=False`` skips ``places`` and ``activities``: a model's many-to-many
    fields cannot be read in ``clean()``, so the admin form checks them itself. Whether a
    place or an activity *exists* is the caller's business (the pack knows its own places).
    """
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    for name in rule:
        if name not in ALL_RULE_FIELDS:
            add(name, "unknown field")

    kind = rule.get("kind")
    if kind not in RULE_FIELDS:
        add("kind", f"unknown kind {quoted(kind)}; one of {', '.join(KINDS)}")
        spec = None
    else:
        spec = RULE_FIELDS[kind]

    for name in ("title", "detail", "authority", "citation"):
        if rule.get(name) is not None and not isinstance(rule.get(name), str):
            add(name, "must be a string")

    if spec is not None:
        for name in spec.required:
            if name in LIST_FIELDS and not check_relations and name != "nationalities":
                continue
            if is_empty(rule.get(name)):
                add(name, f"is required for a {kind} rule")
        for name in KIND_FIELDS:
            if name not in spec.fields and not is_empty(rule.get(name)):
                add(name, f"is not used by a {kind} rule; leave it empty")

    for name in INT_FIELDS:
        value = rule.get(name)
        if value is None:
            continue
        if not is_int(value) or value < 0:
            add(name, f"must be a whole number of days, not {quoted(value)}")
        elif value > MAX_DAYS:
            add(name, f"must be at most {MAX_DAYS} days, not {value}")
    if is_int(rule.get("max_days")) and rule["max_days"] == 0:
        add("max_days", "must be at least 1")
    if is_int(rule.get("deadline_days")) and rule["deadline_days"] == 0:
        add("deadline_days", "must be at least 1")
    if is_int(rule.get("window_days")) and rule["window_days"] == 0:
        add("window_days", "must be at least 1")
    elif (
        kind == "stay_limit"
        and is_int(rule.get("window_days"))
        and is_int(rule.get("max_days"))
        and rule["window_days"] < rule["max_days"]
    ):
        add("window_days", f"must be at least max_days ({rule['max_days']}): no stay exceeds it")

    unit = rule.get("deadline_unit")
    if unit is not None and unit not in DEADLINE_UNIT_CODES:
        add("deadline_unit", f"must be calendar or working, not {quoted(unit)}")

    for message in nationalities_errors(rule.get("nationalities")):
        add("nationalities", message)

    if check_relations:
        for name in ("places", "activities"):
            value = rule.get(name)
            if value is not None:
                for message in _string_list_errors(value):
                    add(name, message)

    exemptions = rule.get("exemptions")
    if exemptions is not None:
        if not isinstance(exemptions, Mapping):
            add(
                "exemptions", 'must be an object {"passport_types", "visa_categories", "under_age"}'
            )
        else:
            for name in exemptions:
                if name not in EXEMPTION_FIELDS:
                    add(f"exemptions.{name}", "unknown field")
            passports = exemptions.get("passport_types")
            if passports is not None:
                if _string_list_errors(passports):
                    add("exemptions.passport_types", "must be a list of passport types")
                else:
                    for passport in passports:
                        if passport not in PASSPORT_TYPE_CODES:
                            add(
                                "exemptions.passport_types",
                                f"unknown passport type {quoted(passport)}; "
                                f"one of {', '.join(PASSPORT_TYPE_CODES)}",
                            )
            # Visa categories are each country's own words, so any text is allowed.
            categories = exemptions.get("visa_categories")
            if categories is not None:
                for message in _string_list_errors(categories):
                    add("exemptions.visa_categories", message)
            under_age = exemptions.get("under_age")
            if under_age is not None and (not is_int(under_age) or not 0 < under_age < 130):
                add("exemptions.under_age", f"must be an age in years, not {quoted(under_age)}")

    dates: dict[str, dt.date | None] = {}
    for name in ("valid_from", "valid_until"):
        try:
            dates[name] = parse_date(rule.get(name))
        except ValueError as exc:
            add(name, str(exc))
    valid_from, valid_until = dates.get("valid_from"), dates.get("valid_until")
    if valid_from and valid_until and valid_until < valid_from:
        add("valid_until", "is before valid_from")

    return errors


# Pack field name -> Rule model field name, for turning errors into admin field errors.
MODEL_FIELD_FOR = {
    "exemptions.passport_types": "exempt_passport_types",
    "exemptions.visa_categories": "exempt_visa_categories",
    "exemptions.under_age": "exempt_under_age",
    "exemptions": "exempt_passport_types",
}


def rule_data_from_model(rule) -> dict[str, Any]:
    """The pack form of an unsaved or saved Rule's own columns (not its many-to-many fields).

    ``deadline_unit`` always has a value in the model (it has a default), so it only counts
    for the kinds that use it.
    """
    spec = RULE_FIELDS.get(rule.kind)
    data: dict[str, Any] = {
        "key": rule.key,
        "kind": rule.kind,
        "threshold_days": rule.threshold_days,
        "deadline_days": rule.deadline_days,
        "nationalities": rule.nationalities if rule.nationalities != [] else None,
        "max_days": rule.max_days,
        "window_days": rule.window_days,
        "lead_days": rule.lead_days,
        "exemptions": {
            "passport_types": rule.exempt_passport_types or [],
            "visa_categories": rule.exempt_visa_categories or [],
            "under_age": rule.exempt_under_age,
        },
        "valid_from": rule.valid_from,
        "valid_until": rule.valid_until,
    }
    if spec is not None and "deadline_unit" in spec.fields:
        data["deadline_unit"] = rule.deadline_unit
    return data


def model_rule_errors(rule) -> dict[str, list[str]]:
    """rule_errors for a Rule model instance, keyed by model field name."""
    errors = rule_errors(rule_data_from_model(rule), check_relations=False)
    by_field: dict[str, list[str]] = {}
    for name, messages in errors.items():
        field = MODEL_FIELD_FOR.get(name, name)
        by_field.setdefault(field, []).extend(_sentence(m) for m in messages)
    return by_field


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def kind_help_rows() -> list[tuple[str, str, str, str]]:
    """(kind, required fields, optional fields, meaning) for the admin's help block."""
    return [
        (
            kind,
            ", ".join(spec.required) or "none",
            ", ".join(spec.optional) or "none",
            spec.help,
        )
        for kind, spec in RULE_FIELDS.items()
    ]
