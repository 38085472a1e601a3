"""What the parser returns: a document's title, its source, sections and suggestions."""

from __future__ import annotations

from dataclasses import dataclass, field

FORMATS = ("fcdo", "osac", "plain", "auto")


class DocumentError(ValueError):
    """The document cannot be imported; the message says why, for the admin to read."""


@dataclass(frozen=True)
class CuratedSection:
    """A section the country's advisory already has, as the parser compares it."""

    key: str
    topic: str
    heading: str
    body: str


@dataclass(frozen=True)
class Merge:
    """A curated section a parsed one repeats, to be merged into rather than added beside."""

    key: str
    heading: str
    reason: str  # "the same topic and heading", "82% of its words are in it"


@dataclass
class ParsedSection:
    heading: str
    topic: str
    body: str  # Markdown; links kept as [text](url)
    merge: Merge | None = None  # suggestions.merge_suggestions


@dataclass
class Suggestion:
    kind: str  # "emergency_contact" | "place" | "closed_area"
    text: str  # emergency_contact: a label ("Police"); place: the words as found in the text
    value: str  # emergency_contact: the number as written; place: the curated name given
    section_heading: str
    context: str = ""  # the sentence or line it was found in, for the reviewer


@dataclass
class ParsedDocument:
    format: str
    title: str
    # publisher (str, "" when unknown), title (str), url (str | None), retrieved
    # ("YYYY-MM-DD" | None)
    source: dict[str, str | None]
    sections: list[ParsedSection] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
