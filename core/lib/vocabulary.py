"""The portal's words, defined once: risk levels, topics, place kinds, rule kinds, requirement
kinds, passport types and deadline units.

Framework-free on purpose: the pure engine, the models (as choices), the pack validation and the
document importer all import these, so they cannot drift apart. Each is a ``StrEnum``: members
compare equal to their code (``Topic.CRIME == "crime"``), so stored JSON and snapshots keep
plain strings, and mypy checks the names.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Labelled(StrEnum):
    """A code with a reader's label; the member order is the order readers see."""

    label: str

    def __new__(cls, code: str, label: str = "") -> Labelled:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label or code.replace("_", " ").capitalize()
        return member

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """For model and form fields: ``[(code, label), ...]``."""
        return [(member.value, member.label) for member in cls]

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {member.value: member.label for member in cls}

    @classmethod
    def order(cls) -> dict[str, int]:
        return {member.value: position for position, member in enumerate(cls)}


class RiskLevel(IntEnum):
    """An advisory's (and a trip's) risk level, 1 to 5, with the word readers see."""

    word: str

    def __new__(cls, level: int, word: str) -> RiskLevel:
        member = int.__new__(cls, level)
        member._value_ = level
        member.word = word
        return member

    LOW = 1, "Low"
    MODERATE = 2, "Moderate"
    ELEVATED = 3, "Elevated"
    HIGH = 4, "High"
    EXTREME = 5, "Extreme"

    @classmethod
    def choices(cls) -> list[tuple[int, str]]:
        """For model and form fields: ``[(1, "1 - Low"), ...]``."""
        return [(member.value, f"{member.value} - {member.word}") for member in cls]

    @classmethod
    def words(cls) -> dict[int, str]:
        """``{1: "Low", ...}``, for pages and briefings."""
        return {member.value: member.word for member in cls}


class Topic(Labelled):
    SECURITY = "security", "Security"
    TERRORISM = "terrorism", "Terrorism"
    CRIME = "crime", "Crime"
    CIVIL_UNREST = "civil_unrest", "Civil unrest"
    TRANSPORT = "transport", "Transport"
    NATURAL_HAZARDS = "natural_hazards", "Natural hazards"
    LAWS_CUSTOMS = "laws_customs", "Laws and customs"
    HEALTH = "health", "Health"
    ENTRY_REGISTRATION = "entry_registration", "Entry and registration"
    OUTDOOR_ACTIVITIES = "outdoor_activities", "Outdoor activities"
    EMERGENCY = "emergency", "Emergency"


class PlaceKind(Labelled):
    CITY = "city", "City"
    REGION = "region", "Region"
    CLOSED_AREA = "closed_area", "Closed area"


class RuleKind(Labelled):
    REGISTRATION = "registration", "Registration"
    RE_REGISTRATION = "re_registration", "Re-registration after a move"
    VISA_FREE = "visa_free", "Visa-free stay"
    TRANSIT = "transit", "Transit"
    PERMIT = "permit", "Permit for places"
    DOCUMENT = "document", "Document to carry"
    ACTIVITY = "activity", "Activity requirement"
    STAY_LIMIT = "stay_limit", "Limit on days in a period"


class RequirementKind(Labelled):
    """What a requirement asks; the order is the checklist's order within one day and stop.

    ``doable``: whether meeting it is a step the traveller takes once and can tick off (register,
    get the visa or permit, arrange what an activity needs), or a way to behave for the whole
    stay (carry a document, keep within a stay limit), which no tick can make done. The
    checklist offers "Mark done" only on the first, and the tick service refuses the second.
    """

    doable: bool

    def __new__(cls, code: str, label: str = "", doable: bool = True) -> RequirementKind:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label or code.replace("_", " ").capitalize()
        member.doable = doable
        return member

    REGISTRATION = "registration", "Registration", True
    RE_REGISTRATION = "re_registration", "Re-registration", True
    VISA = "visa", "Visa", True
    PERMIT = "permit", "Permit", True
    DOCUMENT = "document", "Document", False
    ACTIVITY = "activity", "Activity", True
    STAY_LIMIT = "stay_limit", "Stay limit", False

    @classmethod
    def is_doable(cls, code: str) -> bool:
        """Whether a requirement of kind ``code`` can be ticked off; a kind this vocabulary no
        longer knows (an old assessment's) stays tickable, as it was when it was made."""
        try:
            return cls(code).doable
        except ValueError:
            return True


class PassportType(Labelled):
    ORDINARY = "ordinary", "Ordinary"
    DIPLOMATIC = "diplomatic", "Diplomatic"
    SERVICE = "service", "Service"


class DeadlineUnit(Labelled):
    CALENDAR = "calendar", "calendar days"
    WORKING = "working", "working days"
