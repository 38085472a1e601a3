"""Turn an official travel-risk document into sections for a content admin to review.

Pure Python (stdlib and markdown-it-py), no Django: ``manage.py import_advisory`` and the
admin upload page call :func:`parse_document` and decide what to write.

Formats (``fmt``):

``fcdo``
    Markdown, as GOV.UK foreign travel advice is published: ``#``/``##``/``###`` headings
    (found with markdown-it, so ``#`` inside code is no heading), ``[text](url)`` links and
    ``*`` bullets kept as they are; links relative to the site are made absolute when the
    site is recognised.
``osac``
    Plain text as US OSAC reports are published: a heading is a bare title-case line of its
    own (blank lines around it, at most 12 words, no final punctuation) that is followed by
    more text; ``•`` bullets become Markdown ``- `` bullets; blocks of short lines (addresses,
    contact numbers) keep their line breaks as Markdown hard breaks.
``plain``
    Anything else. Headings are Markdown ``#`` lines (with or without ``**bold**`` markers),
    bold-only lines, bare title-case lines (as for ``osac``) and questions; in dense text
    (one paragraph per line, no blank lines, as in FAQ pages) also verbless phrases ("The
    registration of foreign citizens") and "If ..." fragments.  Text converted from PDF is
    handled here too: ``auto`` calls it ``plain`` (there is no separate format name), and the
    clean-up steps below repair it.
``auto``
    :func:`detect_format`: ``fcdo`` for Markdown with at least two headings and no PDF
    traces (no bold-wrapped heading, at most one run of three or more blank lines); ``osac``
    for text that names OSAC or a "Crime & Safety Report", or has ``•`` bullets and bare
    title-case headings; ``plain`` otherwise.

Clean-up, the same for every format, in this order: page chrome is dropped ("Skip to main
content", cookie banners, breadcrumbs, "Previous"/"Next"/"View a printable version" blocks,
"Return to top", share links, page numbers, lines repeated on every page, funding footers);
credit lines ("Prepared by ...", "Additional information: URL", "Last updated: ...") become
the source; a page repeated in one file is merged back into one copy (the two copies are
aligned, lines found in only one of them are kept in place); a line repeated right after
itself is dropped; a paragraph ending without final punctuation and followed, across blank
lines, by one starting in lower case is joined into one paragraph (a sentence broken at a
page boundary), and a paragraph left dangling at the end is joined with a lower-case orphan
found elsewhere (PDF reading order).

Sections follow the document's outline: every heading with text under it is a section.  A
heading with no text of its own is no section; when all its sub-sections share one topic
(and, if the heading names a topic, that one) and fit in one readable section, they are
merged under it with their headings kept as ``###`` sub-headings (the UK advice: "Crime"
holds "Robbery and violent crime", "Bank card fraud", ...); otherwise its sub-sections stand
on their own ("Transport risks" yields "Road travel", "Closed areas", ...).  Text before the
first heading is a section headed by the document's title, or "Overview".

Topics are guessed from the heading first, then from the body (:func:`guess_topic`).
Suggestions are never applied here: emergency numbers, curated places and closed areas found
in the text are returned for the admin to accept.
"""

from __future__ import annotations

import difflib
import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from markdown_it import MarkdownIt

FORMATS = ("fcdo", "osac", "plain", "auto")

TOPICS = (
    "security",
    "terrorism",
    "crime",
    "civil_unrest",
    "transport",
    "natural_hazards",
    "laws_customs",
    "health",
    "entry_registration",
    "outdoor_activities",
    "emergency",
)

# Keywords match whole words or phrases, case- and accent-insensitively, with an optional
# plural "s"/"es".  A phrase of n words weighs n, so "illegal drugs" (laws) beats "drugs"
# (crime).  Ties go to the more specific topic: the order of _TIE_ORDER.
DEFAULT_TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    "security": (
        "security",
        "safety",
        "personal security",
        "police response",
        "kidnap",
        "kidnapping",
        "hostage",
        "military",
        "armed conflict",
        "conflict",
        "landmine",
        "unexploded",
        "harassment",
        "espionage",
        "surveillance",
    ),
    "terrorism": (
        "terrorism",
        "terrorist",
        "terror",
        "counterterrorism",
        "counter-terrorism",
        "extremism",
        "extremist",
        "violent extremism",
        "radicalised",
        "radicalized",
        "bombing",
        "explosion",
    ),
    "crime": (
        "crime",
        "criminal",
        "violent crime",
        "organised crime",
        "organized crime",
        "robbery",
        "theft",
        "thieves",
        "pickpocket",
        "pickpocketing",
        "mugging",
        "burglary",
        "belongings",
        "fraud",
        "scam",
        "drink spiking",
        "spiking",
        "sexual assault",
        "assault",
        "trafficking",
        "drug trafficking",
        "human trafficking",
        "smuggling",
        "money laundering",
        "extortion",
        "corruption",
        "drug",
    ),
    "civil_unrest": (
        "civil unrest",
        "unrest",
        "political situation",
        "political",
        "protest",
        "demonstration",
        "riot",
        "strike",
        "ethnic",
        "clashes",
        "civil society",
    ),
    "transport": (
        "transport",
        "transportation",
        "public transport",
        "road",
        "road travel",
        "road safety",
        "road conditions",
        "driving",
        "driver",
        "drink-driving",
        "car",
        "taxi",
        "bus",
        "train",
        "rail",
        "railway",
        "air travel",
        "aviation",
        "airport",
        "airline",
        "ferry",
        "traffic",
        "border crossing",
    ),
    "natural_hazards": (
        "natural disaster",
        "natural hazard",
        "extreme weather",
        "weather",
        "earthquake",
        "seismic",
        "flood",
        "flooding",
        "mudslide",
        "landslide",
        "avalanche",
        "wildfire",
        "storm",
        "hurricane",
        "cyclone",
        "tsunami",
        "volcano",
        "heatwave",
        "environmental hazard",
    ),
    "laws_customs": (
        "law",
        "local laws",
        "legal",
        "illegal",
        "illegal drugs",
        "drug laws",
        "customs",
        "cultural",
        "culture",
        "religion",
        "religious",
        "ramadan",
        "alcohol",
        "smoking",
        "vaping",
        "e-cigarette",
        "photography",
        "photo",
        "drone",
        "social media",
        "lgbt",
        "dress code",
        "id",
        "personal id",
        "identification",
        "identity document",
        "money",
        "currency",
        "souvenir",
        "export",
        "detention",
        "arrest",
    ),
    "health": (
        "health",
        "medical",
        "medical care",
        "medical services",
        "medicine",
        "hospital",
        "clinic",
        "doctor",
        "pharmacy",
        "vaccination",
        "vaccine",
        "disease",
        "insurance",
        "travel insurance",
        "altitude sickness",
        "pandemic",
        "covid",
    ),
    "entry_registration": (
        "entry",
        "entry requirements",
        "visa",
        "visa-free",
        "registration",
        "register",
        "registered",
        "re-register",
        "re-registration",
        "migration",
        "migration card",
        "migration police",
        "immigration",
        "passport",
        "travel document",
        "residence",
        "residence permit",
        "permit",
        "permission",
        "period of stay",
        "length of stay",
        "term of stay",
        "order of stay",
        "overstay",
        "transit",
        "closed area",
        "exempt",
        "foreigners",
    ),
    "outdoor_activities": (
        "outdoor",
        "outdoor activities",
        "adventure",
        "adventure tourism",
        "trekking",
        "hiking",
        "mountaineering",
        "climbing",
        "skiing",
        "mountain",
        "diving",
        "swimming",
        "rafting",
        "camping",
    ),
    "emergency": (
        "emergency",
        "emergencies",
        "emergency services",
        "emergency numbers",
        "ambulance",
        "rescue",
        "embassy",
        "consulate",
        "consular",
        "contact information",
        "contact numbers",
        "hotline",
        "duty officer",
        "victim assistance",
    ),
}

_TIE_ORDER = (
    "terrorism",
    "crime",
    "civil_unrest",
    "transport",
    "natural_hazards",
    "entry_registration",
    "laws_customs",
    "health",
    "outdoor_activities",
    "emergency",
    "security",
)
FALLBACK_TOPIC = "security"

# A heading with no text of its own absorbs its sub-sections only up to this size.
MAX_MERGED_CHARS = 4000


class DocumentError(ValueError):
    """The document cannot be imported; the message says why, for the admin to read."""


@dataclass
class ParsedSection:
    heading: str
    topic: str
    body: str  # Markdown; links kept as [text](url)


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


# --------------------------------------------------------------------------------------
# Text helpers

_SPACE_MAP = {
    0x00A0: " ",  # no-break space
    0x2007: " ",
    0x2009: " ",
    0x202F: " ",  # narrow no-break space
    0x200B: "",  # zero-width space
    0xFEFF: "",
    0x00AD: "",  # soft hyphen
    0x2028: "\n",
    0x2029: "\n\n",
    0x0C: "\n\n\n",  # form feed: a page boundary in pdftotext output
    0x09: "    ",
}
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TERMINAL = ".!?:;…"
_CLOSERS = "\"'\u201d\u2019\u00bb)]"
_MD_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_BOLD_LINE_RE = re.compile(r"^(\*\*|__)(?P<text>[^*_].*?)\1$")
_BULLET_RE = re.compile(r"^\s*(?:[-\u2013—]\s+[-\u2013—]|[•·▪◦●‣∙*+\-\u2013—])\s+(?P<text>\S.*)$")
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)", re.DOTALL)
_URL_RE = re.compile(r"https?://[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"\u201d\u2019]")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[a-z0-9)\u201d\u2019\"][.!?])\s+(?=[\"\u201c(]?[A-Z0-9])|\n+")

_SMALL_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "nor",
        "but",
        "for",
        "of",
        "in",
        "on",
        "at",
        "to",
        "by",
        "with",
        "from",
        "into",
        "per",
        "via",
        "vs",
        "as",
        "up",
        "off",
        "out",
        "over",
        "under",
        "than",
    }
)
_STOP_ENDINGS = frozenset(
    {"a", "an", "the", "and", "or", "of", "to", "in", "for", "with", "by", "from", "at", "on", "as"}
)
_AUX_VERBS = frozenset(
    {
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "has",
        "have",
        "had",
        "can",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "should",
        "will",
        "would",
        "does",
        "do",
        "did",
        "need",
        "needs",
    }
)
_SUBORDINATORS = frozenset(
    {
        "if",
        "when",
        "whenever",
        "while",
        "although",
        "though",
        "because",
        "since",
        "unless",
        "once",
        "after",
        "before",
        "where",
    }
)


def _fold(text: str) -> str:
    """Lower case, accents stripped: 'Алматы' and 'Almaty' fold as themselves, 'Café' as 'cafe'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fold_with_map(text: str) -> tuple[str, list[int]]:
    """Fold ``text`` and map every folded character back to its index in ``text``."""
    out: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        decomposed = unicodedata.normalize("NFKD", char)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        out.append(folded)
        index.extend([i] * len(folded))
    return "".join(out), index


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _key(line: str) -> str:
    return _collapse(line).casefold()


def _strip_md_links(text: str) -> str:
    return _MD_LINK_RE.sub(lambda m: m.group(1), text)


def _strip_bold(text: str) -> str:
    text = text.strip()
    while True:
        match = _BOLD_LINE_RE.match(text)
        if not match:
            return text
        text = match.group("text").strip()


def _ends_terminal(line: str) -> bool:
    stripped = line.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _TERMINAL


def _is_bullet(line: str) -> bool:
    return bool(_BULLET_RE.match(line))


def _starts_lower(line: str) -> bool:
    stripped = line.lstrip(" \"'\u201c\u2018(")
    return bool(stripped) and stripped[0].islower()


def _words(line: str) -> list[str]:
    return re.findall(r"[^\W\d_][\w'\u2019&./-]*", line)


def _single_sentence(line: str) -> bool:
    return not re.search(r"[a-z]{2,}[.!?]\s+[\"\u201c(]?[A-Z]", line)


# --------------------------------------------------------------------------------------
# Decoding


def _decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        if not data:
            raise DocumentError("file is empty")
        if b"\x00" in data:
            raise DocumentError("file is binary (NUL bytes)")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DocumentError(
                f"file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
            ) from exc
    else:
        text = data.removeprefix("\ufeff")
        if not text:
            raise DocumentError("file is empty")
        if "\x00" in text:
            raise DocumentError("file is binary (NUL bytes)")
    controls = len(_CONTROL_RE.findall(text))
    if controls > max(3, len(text) // 100):
        raise DocumentError("file is binary (control characters)")
    if not text.strip():
        raise DocumentError("file is empty (only whitespace)")
    return _CONTROL_RE.sub("", text)


def _normalise(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_SPACE_MAP)
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        indent = len(line) - len(line.lstrip(" "))
        body = re.sub(r" {2,}", " ", line[indent:])
        lines.append(" " * indent + body if body else "")
    return lines


# --------------------------------------------------------------------------------------
# Format detection

_OSAC_RE = re.compile(r"\bOSAC\b|Crime\s*(?:&|and)\s*Safety\s+Report", re.IGNORECASE)


def _blank_runs(lines: Sequence[str], minimum: int = 3) -> int:
    runs = 0
    current = 0
    for line in lines:
        if line.strip():
            if current >= minimum:
                runs += 1
            current = 0
        else:
            current += 1
    return runs


def detect_format(text: str) -> str:
    """Guess the format of ``text``: "fcdo", "osac" or "plain" (never "auto")."""
    lines = _normalise(text)
    headings = [m for m in map(_MD_HEADING_RE.match, lines) if m]
    bold_headings = [m for m in headings if m.group(2).startswith(("**", "__"))]
    if len(headings) >= 2 and not bold_headings and _blank_runs(lines) < 2:
        return "fcdo"
    if _OSAC_RE.search(text):
        return "osac"
    bullets = sum(1 for line in lines if line.lstrip().startswith("•"))
    bare = sum(
        1
        for i, line in enumerate(lines)
        if _is_title_case_heading(line)
        and (i == 0 or not lines[i - 1].strip())
        and i + 1 < len(lines)
        and not lines[i + 1].strip()
    )
    if bullets >= 2 and bare >= 4:
        return "osac"
    return "plain"


# --------------------------------------------------------------------------------------
# Page chrome

_CHROME_LINES = frozenset(
    {
        "skip to main content",
        "skip to content",
        "skip to navigation",
        "skip navigation",
        "jump to content",
        "previous",
        "next",
        "previous page",
        "next page",
        "return to top",
        "back to top",
        "to top",
        "top of page",
        "print",
        "print this page",
        "print page",
        "share",
        "share this page",
        "share this",
        "email this page",
        "home",
        "menu",
        "search",
        "accept cookies",
        "accept all cookies",
        "reject cookies",
        "reject all cookies",
        "accept additional cookies",
        "reject additional cookies",
        "view cookies",
        "cookie settings",
        "hide this message",
        "is this page useful?",
        "report a problem with this page",
    }
)
_UI_WORDS = frozenset({"DETAILS", "MENU", "SHARE", "PRINT", "SEARCH", "DOWNLOAD", "LOGIN"})
_CHROME_RES = (
    re.compile(r"^(?:previous|next)(?:\s+page)?\s*(?::|$)", re.IGNORECASE),
    re.compile(r"^view (?:a )?printable version\b", re.IGNORECASE),
    re.compile(r"^(?:print|download) (?:this|the whole|the entire) (?:page|guide)\b", re.I),
    re.compile(
        r"^(?:share|tweet|post)(?: this)?(?: page)? (?:on|to|via) "
        r"(?:facebook|twitter|x|linkedin|whatsapp|e-?mail|telegram)\b",
        re.IGNORECASE,
    ),
    re.compile(r"^(?:return|back|go) to (?:the )?top\b", re.IGNORECASE),
    re.compile(
        r"^this (?:summary|report|publication|profile|document) (?:was|is|has been) "
        r"(?:funded|made possible|produced with)\b",
        re.IGNORECASE,
    ),
)
_PAGE_NUMBER_RE = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?$", re.IGNORECASE)
_COOKIE_RE = re.compile(
    r"\bcookies?\b.*\b(?:accept|we use|essential|settings|policy)\b|"
    r"\b(?:accept|we use|essential|settings)\b.*\bcookies?\b",
    re.IGNORECASE | re.DOTALL,
)
_BREADCRUMB_RE = re.compile(r"^[^>.!?]{1,60}(?:\s+[>\u203a\u00bb]\s+[^>!?]{1,60}){1,}$")
_NAV_MARKS_RE = re.compile(
    r"^[\s\u2039\u203a\u00ab\u00bb|·←→↑]+|[\s\u2039\u203a\u00ab\u00bb|·←→↑]+$"
)
_RELATED_RE = re.compile(r"^(?:other|related|more|see also|also see)\b", re.IGNORECASE)


def _is_chrome_text(text: str) -> bool:
    plain = _NAV_MARKS_RE.sub("", _collapse(_strip_md_links(text)))
    if not plain:
        return False
    folded = plain.casefold()
    if folded in _CHROME_LINES or re.sub(r"[\s:)]+$", "", folded) in _CHROME_LINES:
        return True
    if any(regex.search(plain) for regex in _CHROME_RES):
        return True
    if len(plain) < 600 and _COOKIE_RE.search(plain):
        return True
    words = plain.split()
    ui = [word for word in words if word in _UI_WORDS]
    if len(words) <= 3 and len(ui) == 1 and not all(w.isupper() for w in words if w not in ui):
        return True  # "Report DETAILS", not an all-caps heading such as "SEARCH AND RESCUE"
    return bool(_BREADCRUMB_RE.match(plain)) and not _ends_terminal(plain)


def _blocks(lines: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) line ranges of the runs of non-blank lines."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for i, line in enumerate(lines):
        if line.strip():
            if start is None:
                start = i
        elif start is not None:
            spans.append((start, i))
            start = None
    if start is not None:
        spans.append((start, len(lines)))
    return spans


def _drop_chrome(lines: list[str]) -> list[str]:
    lines = list(lines)
    in_fence = False
    fenced: set[int] = set()
    for i, line in enumerate(lines):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
            fenced.add(i)
        elif in_fence:
            fenced.add(i)
    # whole blocks: "[Previous\n:\nEntry requirements](/...)", cookie banners
    for start, end in _blocks(lines):
        if start in fenced:
            continue
        if _is_chrome_text("\n".join(lines[start:end])):
            for i in range(start, end):
                lines[i] = ""
    # a breadcrumb trail: "Home", "Visitors info" before the first real line
    spans = _blocks(lines)
    if spans:
        start, end = spans[0]
        if _key(lines[start]) in {"home", "start", "main page"}:
            i = start
            while i < end and len(lines[i].strip()) <= 40 and not _ends_terminal(lines[i]):
                lines[i] = ""
                i += 1
    # single lines, also inside blocks
    for i, line in enumerate(lines):
        if line.strip() and i not in fenced and _is_chrome_text(line):
            lines[i] = ""
    # "Other tourist memos" and the like, closing the page
    spans = _blocks(lines)
    if spans:
        last = spans[-1][1] - 1
        tail = lines[last].strip()
        if _RELATED_RE.match(tail) and len(tail.split()) <= 6 and not _ends_terminal(tail):
            lines[last] = ""
    # page numbers, and running headers/footers: the same short line (no sentence) standing
    # alone on three pages or more
    spans = _blocks(lines)
    alone = Counter(
        _key(lines[s])
        for s, e in spans
        if e - s == 1
        and len(lines[s]) <= 60
        and not _ends_terminal(lines[s])
        and not _MD_HEADING_RE.match(lines[s])
    )
    repeated = {k for k, n in alone.items() if n >= 3}
    for s, e in spans:
        if e - s == 1 and (_key(lines[s]) in repeated or _PAGE_NUMBER_RE.match(lines[s].strip())):
            lines[s] = ""
    # drop the rest of a funding footer block ("The opinions ... do not necessarily reflect")
    for i, line in enumerate(lines):
        if re.search(r"\bdo(?:es)? not necessarily (?:reflect|represent)\b", line, re.I) and (
            len(line) < 400
        ):
            lines[i] = ""
    return lines


# --------------------------------------------------------------------------------------
# Credit lines: the document's own statement of its source

_CREDIT_RE = re.compile(
    r"^(?:prepared|compiled|published|produced|issued|written) by\s+(?P<who>.{3,160}?)\.?$",
    re.IGNORECASE,
)
_URL_LINE_RE = re.compile(
    r"^(?:additional information|more information|source|url|available at|read more|"
    r"original|link)\s*:\s*<?(?P<url>https?://\S+?)>?$",
    re.IGNORECASE,
)
_DATE_LINE_RE = re.compile(
    r"^(?P<label>retrieved|accessed|downloaded|last updated|last modified|last reviewed|"
    r"updated|published|date)(?: on)?\s*:?\s*(?P<when>.{1,60})$",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}


def _parse_date(text: str) -> str | None:
    text = text.strip().rstrip(".").casefold()
    patterns: tuple[tuple[str, tuple[str, str, str]], ...] = (
        (r"(\d{4})-(\d{1,2})-(\d{1,2})", ("y", "m", "d")),
        (r"(\d{1,2})[./](\d{1,2})[./](\d{4})", ("d", "m", "y")),
        (r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})", ("d", "M", "y")),
        (r"([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})", ("M", "d", "y")),
    )
    for pattern, order in patterns:
        match = re.search(pattern, text)
        if not match:
            continue
        parts = dict(zip(order, match.groups(), strict=True))
        month = _MONTHS.get(parts["M"]) if "M" in parts else int(parts["m"])
        if month is None:
            continue
        try:
            return date(int(parts["y"]), month, int(parts["d"])).isoformat()
        except ValueError:
            continue
    return None


@dataclass
class _Credits:
    publisher: str = ""
    url: str | None = None
    retrieved: str | None = None
    updated: str | None = None


def _extract_credits(lines: list[str]) -> tuple[list[str], _Credits]:
    credits = _Credits()
    out: list[str] = []
    for line in lines:
        text = _collapse(line)
        credit = _CREDIT_RE.match(text)
        if credit and len(text) <= 200:
            who = re.sub(r"^the\s+", "", credit.group("who").strip(), flags=re.IGNORECASE)
            credits.publisher = credits.publisher or who[:1].upper() + who[1:]
            out.append("")
            continue
        url = _URL_LINE_RE.match(text)
        if url:
            credits.url = credits.url or url.group("url")
            out.append("")
            continue
        dated = _DATE_LINE_RE.match(text)
        if dated:
            when = dated.group("when")
            parsed = _parse_date(when)
            relative = re.search(r"\b(?:ago|today|yesterday)\b", when, re.IGNORECASE)
            if parsed or relative:
                label = dated.group("label").casefold()
                if parsed and label in {"retrieved", "accessed", "downloaded"}:
                    credits.retrieved = credits.retrieved or parsed
                elif parsed:
                    credits.updated = credits.updated or parsed
                out.append("")
                continue
        out.append(line)
    return out, credits


# --------------------------------------------------------------------------------------
# A page repeated in one file


def _repeat_start(keys: Sequence[str]) -> int | None:
    """Index in ``keys`` (non-blank lines) where a second copy of the page begins."""
    earlier: set[str] = set()
    for p, key in enumerate(keys):
        if len(key) >= 40 and key in earlier:
            following = [k for k in keys[p + 1 : p + 20] if len(k) >= 20][:5]
            hits = sum(1 for k in following if k in earlier)
            if following and hits >= min(3, len(following)):
                later = [k for k in keys[p:] if len(k) >= 40]
                if sum(1 for k in later if k in earlier) >= 0.6 * len(later):
                    return p
        earlier.add(key)
    return None


def _drop_repeated_pages(lines: list[str]) -> list[str]:
    for _ in range(3):
        positions = [i for i, line in enumerate(lines) if line.strip()]
        keys = [_key(lines[i]) for i in positions]
        start = _repeat_start(keys)
        if start is None:
            return lines
        split = positions[start]
        first, second = lines[:split], lines[split:]
        first_keys = [_key(line) for line in first]
        second_keys = [_key(line) for line in second]
        known = set(first_keys)
        matcher = difflib.SequenceMatcher(
            lambda k: k == "", first_keys, second_keys, autojunk=False
        )
        merged: list[str] = []
        for op, a1, a2, b1, b2 in matcher.get_opcodes():
            if op in {"equal", "delete"}:
                merged.extend(first[a1:a2])
            elif op == "insert":
                merged.extend(second[b1:b2])
            else:  # replace: keep the first copy and what only the second copy has
                merged.extend(first[a1:a2])
                merged.extend(line for line in second[b1:b2] if _key(line) not in known)
        lines = merged
    return lines


def _drop_consecutive_duplicates(lines: list[str]) -> list[str]:
    out: list[str] = []
    previous = ""
    for line in lines:
        key = _key(_strip_bold(line.lstrip("# ")))
        if line.strip() and len(key) >= 3 and key == previous and not _is_bullet(line):
            continue
        if line.strip():
            previous = key
        out.append(line)
    return out


# --------------------------------------------------------------------------------------
# Paragraphs broken at page boundaries


def _is_prose(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not (
        _MD_HEADING_RE.match(stripped)
        or _is_bullet(stripped)
        or stripped.startswith(("|", ">", "```", "~~~", "    "))
        or re.match(r"^\d+[.)]\s", stripped)
    )


def _join_page_breaks(lines: list[str]) -> list[str]:
    spans = _blocks(lines)
    blocks = [lines[s:e] for s, e in spans]

    def dangling(block: list[str]) -> bool:
        last = block[-1]
        return (
            _is_prose(last)
            and not _ends_terminal(last)
            and sum(len(x) for x in block) >= 40
            and not last.rstrip().endswith(("  ", "\\"))
        )

    def orphan(block: list[str]) -> bool:
        return _is_prose(block[0]) and _starts_lower(block[0])

    def join(head: list[str], tail: list[str]) -> list[str]:
        last = head[-1].rstrip()
        first = tail[0].strip()
        glue = "" if re.search(r"[^\W\d_]-$", last) else " "
        return [*head[:-1], last + glue + first, *tail[1:]]

    joined: list[list[str]] = []
    for block in blocks:
        if joined and dangling(joined[-1]) and orphan(block):
            joined[-1] = join(joined[-1], block)
        else:
            joined.append(block)
    # PDF reading order: a paragraph left dangling at the end of a page, its continuation
    # printed elsewhere (after a column or a footer).  Pair them when they match one to one.
    danglers = [
        i for i, b in enumerate(joined) if dangling(b) and len(b[-1]) >= 60 and _is_prose(b[0])
    ]
    orphans = [i for i, b in enumerate(joined) if orphan(b)]
    if danglers and len(danglers) == len(orphans):
        for d, o in zip(danglers, orphans, strict=True):
            joined[d] = join(joined[d], joined[o])
        joined = [b for i, b in enumerate(joined) if i not in set(orphans)]
    out: list[str] = []
    for block in joined:
        if out:
            out.append("")
        out.extend(block)
    return out


# --------------------------------------------------------------------------------------
# Headings in plain text


def _is_title_case_heading(line: str) -> bool:
    text = line.strip()
    if not text or len(text) > 80 or text[-1] in _TERMINAL + ",":
        return False
    if _is_bullet(text) or "http" in text or not (text[0].isupper() or text[0].isdigit()):
        return False
    words = _words(text)
    if not words or len(text.split()) > 12:
        return False
    significant = [w for w in words if w.casefold() not in _SMALL_WORDS]
    return bool(significant) and all(w[0].isupper() for w in significant)


def _is_question_heading(line: str) -> bool:
    text = line.strip()
    return (
        text.endswith("?")
        and len(text) <= 200
        and text[0].isupper()
        and _single_sentence(text)
        and not _is_bullet(text)
    )


def _is_fragment_heading(line: str) -> bool:
    """A verbless phrase or an "If ..." clause standing as a line of its own."""
    text = line.strip()
    if not text or len(text) > 160 or not text[0].isupper() or _is_bullet(text):
        return False
    if text[-1] in _TERMINAL.replace(".", "") + "," or text.endswith(".."):
        return False
    if not _single_sentence(text) or "http" in text:
        return False
    words = [w.casefold() for w in _words(text)]
    if not words or words[-1] in _STOP_ENDINGS:
        return False
    if words[0] in _SUBORDINATORS:
        return "," not in text
    return not any(w in _AUX_VERBS for w in words)


# --------------------------------------------------------------------------------------
# Outline: headings with their bodies


@dataclass
class _Node:
    level: int
    heading: str | None  # None: text before the first heading
    body: list[str] = field(default_factory=list)  # Markdown blocks


@dataclass
class _Item:
    kind: str  # "heading" | "para" | "list" | "lines"
    text: str = ""
    level: int = 0
    items: list[str] = field(default_factory=list)


def _escape_line(text: str) -> str:
    text = text.strip()
    text = re.sub(r"^(#{1,6}\s)", r"\\\1", text)
    text = re.sub(r"^(\d+)([.)]\s)", r"\1\\\2", text)
    text = re.sub(r"^([>+*-]\s)", r"\\\1", text)
    return _URL_RE.sub(lambda m: f"<{m.group(0)}>", text)


def _render(item: _Item) -> str:
    if item.kind == "list":
        return "\n".join(f"- {_escape_line(entry)}" for entry in item.items)
    if item.kind == "lines":
        return "\\\n".join(_escape_line(entry) for entry in item.items)
    return _escape_line(item.text)


def _text_items(block: list[str], *, dense: bool) -> list[_Item]:
    """Paragraphs, lists and line-broken blocks of one block of non-heading lines."""
    items: list[_Item] = []
    run: list[str] = []

    def flush_run() -> None:
        if not run:
            return
        if dense:
            items.extend(_Item("para", text=line) for line in run)
        elif all(
            not _ends_terminal(a) and (_starts_lower(b) or len(a) >= 60)
            for a, b in itertools.pairwise(run)
        ):
            items.append(_Item("para", text=" ".join(x.strip() for x in run)))
        else:
            items.append(_Item("lines", items=[x.strip() for x in run]))
        run.clear()

    for line in block:
        bullet = _BULLET_RE.match(line)
        if bullet:
            flush_run()
            entry = bullet.group("text").strip()
            if items and items[-1].kind == "list":
                items[-1].items.append(entry)
            else:
                items.append(_Item("list", items=[entry]))
        elif items and items[-1].kind == "list" and not run and _starts_lower(line):
            items[-1].items[-1] += " " + line.strip()
        else:
            run.append(line)
    flush_run()
    return items


def _is_dense(block: list[str]) -> bool:
    prose = [line for line in block if not _is_bullet(line)]
    sentences = [line for line in prose if len(line) >= 60 and _ends_terminal(line)]
    return len(prose) >= 2 and len(sentences) * 2 >= len(prose)


def _outline_text(lines: list[str], *, osac: bool) -> tuple[str, list[_Node]]:
    spans = _blocks(lines)
    blocks = [[line.strip() for line in lines[s:e]] for s, e in spans]
    has_md_headings = not osac and any(_MD_HEADING_RE.match(x) for b in blocks for x in b)
    bare_level = 7 if has_md_headings else 2

    # 1. candidates, per line
    flat: list[tuple[str, int, str]] = []  # (kind, level, text); kinds: md, bare, line, blank
    for block in blocks:
        if flat:
            flat.append(("blank", 0, ""))
        for line in block:
            md = None if osac else _MD_HEADING_RE.match(line)
            if md:
                flat.append(("md", len(md.group(1)), _strip_bold(md.group(2))))
            else:
                flat.append(("line", 0, line))

    # 2. classify the lines of each block
    items: list[_Item] = []
    title = ""
    chunks: list[list[tuple[str, int, str]]] = [[]]
    for entry in flat:
        if entry[0] == "blank":
            chunks.append([])
        else:
            chunks[-1].append(entry)
    chunks = [c for c in chunks if c]

    def next_is_content(ci: int, li: int) -> bool:
        if li + 1 < len(chunks[ci]):
            return True
        return ci + 1 < len(chunks)

    for ci, chunk in enumerate(chunks):
        texts = [t for _, _, t in chunk]
        dense = len(chunk) > 1 and _is_dense([t for k, _, t in chunk if k == "line"])
        pending: list[str] = []

        for li, (kind, level, text) in enumerate(chunk):
            if kind == "md":
                items.extend(_text_items(pending, dense=dense))
                pending = []
                items.append(_Item("heading", text=text, level=level))
                continue
            bold = None if osac else _BOLD_LINE_RE.match(text)
            single = len(chunk) == 1
            heading = False
            if next_is_content(ci, li) and not _is_bullet(text):
                if bold and single:
                    heading = True
                    text = _strip_bold(text)
                elif single:
                    heading = _is_title_case_heading(text) or (
                        not osac and _is_question_heading(text)
                    )
                elif dense and not osac:
                    heading = (
                        _is_title_case_heading(text)
                        or _is_question_heading(text)
                        or _is_fragment_heading(text)
                    ) and not (li + 1 < len(chunk) and _is_bullet(texts[li + 1]))
            if heading:
                items.extend(_text_items(pending, dense=dense))
                pending = []
                items.append(_Item("heading", text=text, level=bare_level))
            else:
                pending.append(text)
        items.extend(_text_items(pending, dense=dense))

    # 3. the title: a first line with no body of its own, followed by a heading
    if items and not any(i.kind == "heading" and i.level == 1 for i in items):
        first = items[0]
        candidate = first.text if first.kind in {"para", "heading"} else ""
        if (
            candidate
            and len(candidate) <= 200
            and not _ends_terminal(candidate)
            and len(items) > 1
            and items[1].kind == "heading"
            and candidate[0].isupper()
        ):
            title = candidate
            items = items[1:]

    # 4. a label left hanging ("Compliance with International Law:") before a heading
    kept: list[_Item] = []
    for i, item in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        if (
            item.kind == "para"
            and item.text.endswith(":")
            and len(item.text) <= 60
            and (nxt is None or nxt.kind == "heading")
        ):
            continue
        kept.append(item)

    nodes: list[_Node] = [_Node(0, None)]
    for item in kept:
        if item.kind == "heading":
            nodes.append(_Node(item.level, item.text))
        else:
            nodes[-1].body.append(_render(item))
    return title, nodes


def _inline_text(markdown: str) -> str:
    text = _strip_md_links(markdown)
    text = re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", text)
    return _collapse(text)


def _outline_markdown(lines: list[str]) -> tuple[str, list[_Node]]:
    tokens = MarkdownIt("commonmark").parse("\n".join(lines))
    headings: list[tuple[int, str, int, int]] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map and token.level == 0:
            text = _inline_text(_strip_bold(tokens[i + 1].content))
            headings.append((int(token.tag[1]), text, token.map[0], token.map[1]))

    def body(start: int, end: int) -> list[str]:
        chunk = "\n".join(lines[start:end]).strip("\n")
        chunk = re.sub(r"\n{3,}", "\n\n", chunk)
        return [chunk] if chunk.strip() else []

    nodes = [_Node(0, None, body(0, headings[0][2] if headings else len(lines)))]
    for n, (level, text, _start, end) in enumerate(headings):
        stop = headings[n + 1][2] if n + 1 < len(headings) else len(lines)
        nodes.append(_Node(level, text, body(end, stop)))
    return "", nodes


def _take_title(title: str, nodes: list[_Node]) -> tuple[str, list[_Node]]:
    """Level-1 headings that all say the same thing are the document's title."""
    tops = [n for n in nodes if n.level == 1 and n.heading]
    if not tops or len({_key(n.heading or "") for n in tops}) != 1:
        return title, nodes
    title = title or (tops[0].heading or "")
    preamble = nodes[0]
    rest: list[_Node] = []
    for node in nodes[1:]:
        if node.level == 1:
            preamble.body.extend(node.body)
        else:
            rest.append(node)
    return title, [preamble, *rest]


# --------------------------------------------------------------------------------------
# Sections


@dataclass
class _Tree:
    node: _Node
    children: list[_Tree] = field(default_factory=list)


def _forest(nodes: Iterable[_Node]) -> list[_Tree]:
    roots: list[_Tree] = []
    stack: list[_Tree] = []
    for node in nodes:
        tree = _Tree(node)
        while stack and stack[-1].node.level >= node.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(tree)
        stack.append(tree)
    return roots


def _sections(
    trees: Sequence[_Tree], keywords: Mapping[str, Sequence[str]] | None
) -> list[ParsedSection]:
    out: list[ParsedSection] = []
    for tree in trees:
        heading = tree.node.heading or ""
        body = "\n\n".join(tree.node.body).strip()
        children = _sections(tree.children, keywords)
        if body:
            out.append(ParsedSection(heading, guess_topic(heading, body, keywords), body))
            out.extend(children)
            continue
        topics = {s.topic for s in children}
        own = _heading_topic(heading, keywords)
        merged = "\n\n".join(f"### {s.heading}\n\n{s.body}" for s in children)
        if len(topics) == 1 and (own is None or own in topics) and len(merged) <= MAX_MERGED_CHARS:
            out.append(ParsedSection(heading, topics.pop(), merged))
        else:
            out.extend(children)
    return out


# --------------------------------------------------------------------------------------
# Topics


@lru_cache(maxsize=4096)
def _keyword_re(keyword: str) -> re.Pattern[str]:
    folded = _fold(keyword.strip())
    body = r"\s+".join(re.escape(part) for part in folded.split())
    return re.compile(rf"(?<!\w){body}(?:s|es)?(?!\w)")


def _scores(text: str, table: Mapping[str, Sequence[str]], *, count: bool) -> dict[str, int]:
    folded = _fold(text)
    scores: dict[str, int] = {}
    for topic, keywords in table.items():
        if topic not in TOPICS:
            continue
        total = 0
        for keyword in {k for k in keywords if k and k.strip()}:
            hits = len(_keyword_re(keyword).findall(folded))
            if hits:
                total += len(keyword.split()) * (hits if count else 1)
        if total:
            scores[topic] = total
    return scores


def _best(scores: Mapping[str, int]) -> str | None:
    if not scores:
        return None
    return max(scores, key=lambda t: (scores[t], -_TIE_ORDER.index(t)))


def _heading_topic(heading: str, extra: Mapping[str, Sequence[str]] | None) -> str | None:
    if extra:
        found = _best(_scores(heading, extra, count=False))
        if found:
            return found
    return _best(_scores(heading, DEFAULT_TOPIC_KEYWORDS, count=False))


def guess_topic(
    heading: str,
    body: str = "",
    extra_keywords: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The topic of a section: from its heading if any keyword matches, else from its body.

    ``extra_keywords`` (topic -> keywords, the admin-curated mapping) are consulted before
    the defaults, at each step; topics not in :data:`TOPICS` are ignored.  Falls back to
    "security".
    """
    found = _heading_topic(heading, extra_keywords)
    if found:
        return found
    plain = _inline_text(body)
    if extra_keywords:
        found = _best(_scores(plain, extra_keywords, count=True))
        if found:
            return found
    return _best(_scores(plain, DEFAULT_TOPIC_KEYWORDS, count=True)) or FALLBACK_TOPIC


# --------------------------------------------------------------------------------------
# Source


_GI_TOC_HEADINGS = {"criminality", "resilience", "criminal markets", "criminal actors"}


def _guess_source(
    text: str, title: str, nodes: Sequence[_Node], credits: _Credits
) -> tuple[dict[str, str | None], str | None]:
    """The source dict and the base URL for relative links."""
    publisher = credits.publisher
    source_title = title
    url = credits.url
    base: str | None = None
    slug = re.search(r"/foreign-travel-advice/([a-z-]+)(?:/|\))", text)
    if slug or re.search(r"\bFCDO\b|Foreign,? Commonwealth (?:&|and) Development", text):
        publisher = publisher or "Foreign, Commonwealth & Development Office (GOV.UK)"
        base = "https://www.gov.uk"
        if slug:
            country = slug.group(1).replace("-", " ").title()
            page = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")
            url = url or f"{base}/foreign-travel-advice/{slug.group(1)}" + (
                f"/{page}" if page else ""
            )
            source_title = f"{country} travel advice: {title}" if title else country
    elif _OSAC_RE.search(text):
        publisher = (
            publisher or "Overseas Security Advisory Council (OSAC), U.S. Department of State"
        )
    headings = {_key(n.heading or "") for n in nodes}
    if len(headings & _GI_TOC_HEADINGS) >= 3:
        publisher = publisher or "Global Initiative Against Transnational Organized Crime"
        country = title.title() if title.isupper() else title
        source_title = f"Global Organized Crime Index: {country}" if country else source_title
    if url and not base:
        found = re.match(r"https?://[^/]+", url)
        base = found.group(0) if found else None
    return (
        {
            "publisher": publisher,
            "title": source_title,
            "url": url,
            "retrieved": credits.retrieved,
        },
        base,
    )


def _absolute_links(body: str, base: str) -> str:
    return re.sub(r"\]\((/[^)\s]*)\)", lambda m: f"]({base}{m.group(1)})", body)


# --------------------------------------------------------------------------------------
# Suggestions

_EMERGENCY_WORDS_RE = re.compile(
    r"\b(police|ambulance|emergenc(?:y|ies)|fire(?:fighters?| brigade| service)?|rescue|"
    r"hotline|dial|call|calling)\b",
    re.IGNORECASE,
)
_LABELS = {
    "police": "Police",
    "ambulance": "Ambulance",
    "fire": "Fire",
    "rescue": "Rescue",
    "hotline": "Hotline",
    "emergency": "Emergency",
}
_SHORT_NUMBER_RE = re.compile(r"(?<![\w.,/+$£€-])(\d{2,3})(?![\w%/]|[.,]\d|-\d)")
_NUMBER_AFTER_RE = re.compile(
    r"\s*(?:$|[.,;:!?)\]]|\(|/|(?:or|and|for|if|from|in|to)\b)", re.IGNORECASE
)
_NOT_BEFORE_NUMBER = frozenset(
    {
        "age",
        "aged",
        "than",
        "over",
        "under",
        "about",
        "approximately",
        "around",
        "nearly",
        "almost",
        "of",
        "least",
        "first",
        "top",
        "last",
        "up",
        "no",
        "art",
        "article",
        "paragraph",
        "section",
        "chapter",
        "page",
        "route",
        "bus",
        "flight",
        "room",
        "km",
    }
)
_PHONE_RE = re.compile(
    r"(?<![\w+./-])"
    r"(\+?(?:\(\d{1,4}\)|\d{1,4})(?:[ -](?:\(\d{1,4}\)|\d{2,4})){2,5})"
    r"(?![\w/-]|[.,]\d)"
)
_CONTACT_WORDS_RE = re.compile(
    r"\b(call|calling|phone|tel|telephone|reached|contact|dial|hotline|emergency|fax|"
    r"mobile|hours|hrs)\b",
    re.IGNORECASE,
)
_CAPITALISED_RUN_RE = re.compile(
    r"[A-Z][\w.\u2019'&-]*(?:\s+(?:(?:of|and|for|the)\s+)?[A-Z][\w.\u2019'&-]*)*"
)


def _plain_lines(markdown: str) -> list[str]:
    text = _MD_LINK_RE.sub(lambda m: m.group(1), markdown)
    text = re.sub(r"<https?://[^>]+>|https?://\S+", " ", text)
    text = text.replace("\\\n", "\n")
    return [
        re.sub(r"^\s*(?:[-*+]|#{1,6})\s+", "", line).replace("**", "") for line in text.split("\n")
    ]


def _short_label(sentence: str, position: int) -> str:
    best: tuple[int, str] | None = None
    for match in _EMERGENCY_WORDS_RE.finditer(sentence):
        word = match.group(1).casefold()
        label = next((v for k, v in _LABELS.items() if word.startswith(k)), None)
        if label is None:
            continue
        distance = abs(position - match.end())
        if best is None or distance < best[0]:
            best = (distance, label)
    return best[1] if best else "Emergency"


def _prose_label(before: str) -> str:
    before = before.rstrip(" (:\u2013-")
    runs = list(_CAPITALISED_RUN_RE.finditer(before))
    if runs and len(before) - runs[-1].end() <= 40:
        label = re.sub(r"^(?:The|A|An)\s+", "", runs[-1].group(0).strip())
        if len(label) >= 3 and label.casefold() not in {"in", "the", "call", "americans"}:
            return label
    return "Phone"


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def _emergency_suggestions(section: ParsedSection) -> list[Suggestion]:
    found: list[Suggestion] = []
    lines = [section.heading, "", *_plain_lines(section.body)]
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    for block in blocks:
        for line in block:
            labelled = re.match(r"^(?P<label>[^:\d]{2,80}):\s*(?P<rest>.*)$", line)
            for match in _PHONE_RE.finditer(line):
                number = match.group(1)
                if not 7 <= len(_digits(number)) <= 15:
                    continue
                leftover = _PHONE_RE.sub("", line)
                leftover = re.sub(r"\([^)]*\)", "", leftover).strip(" ,;:-")
                if labelled and match.start() >= labelled.start("rest"):
                    label, context = labelled.group("label").strip(), line
                elif len(block) > 1 and len(leftover) <= 12 and block[0] != line:
                    label, context = block[0], " / ".join(block[:3])
                else:
                    around, _ = _sentence_at(line, match.start())
                    if not _CONTACT_WORDS_RE.search(around):
                        continue
                    label, context = _prose_label(line[: match.start()]), around
                found.append(
                    Suggestion("emergency_contact", label, number, section.heading, context)
                )
            for sentence, offset in _sentences(line):
                if not _EMERGENCY_WORDS_RE.search(sentence):
                    continue
                for match in _SHORT_NUMBER_RE.finditer(sentence):
                    before = re.findall(r"[\w$£€]+", sentence[: match.start()].casefold())
                    if before and before[-1] in _NOT_BEFORE_NUMBER:
                        continue
                    if not _NUMBER_AFTER_RE.match(sentence[match.end() :]):
                        continue
                    if _PHONE_RE.search(
                        line[max(0, offset + match.start() - 6) : offset + match.end() + 6]
                    ):
                        continue
                    label = _short_label(sentence, match.start())
                    found.append(
                        Suggestion(
                            "emergency_contact",
                            label,
                            match.group(1),
                            section.heading,
                            sentence.strip(),
                        )
                    )
    return found


def _sentences(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    start = 0
    for match in _SENTENCE_SPLIT_RE.finditer(text):
        out.append((text[start : match.start()], start))
        start = match.end()
    out.append((text[start:], start))
    return [(s, o) for s, o in out if s.strip()]


def _sentence_at(text: str, position: int) -> tuple[str, int]:
    for sentence, offset in _sentences(text):
        if offset <= position < offset + len(sentence):
            return sentence, offset
    return text, 0


def _place_suggestions(
    section: ParsedSection, names: Sequence[tuple[str, str]]
) -> list[Suggestion]:
    text = "\n".join(_plain_lines(f"{section.heading}\n\n{section.body}"))
    folded, index = _fold_with_map(text)
    found: list[Suggestion] = []
    for kind, name in names:
        needle = _fold(name.strip())
        if not needle:
            continue
        pattern = re.compile(rf"(?<!\w){re.escape(needle)}(?!\w)")
        match = pattern.search(folded)
        if not match:
            continue
        start = index[match.start()]
        end = index[match.end() - 1] + 1
        sentence, _ = _sentence_at(text, start)
        found.append(Suggestion(kind, text[start:end], name, section.heading, sentence.strip()))
    return found


def _suggestions(
    sections: Sequence[ParsedSection], known_places: Sequence[str], closed_areas: Sequence[str]
) -> list[Suggestion]:
    closed = {_fold(n.strip()) for n in closed_areas if n.strip()}
    names: list[tuple[str, str]] = [("closed_area", n) for n in closed_areas if n.strip()]
    names += [("place", n) for n in known_places if n.strip() and _fold(n.strip()) not in closed]
    out: list[Suggestion] = []
    numbers: set[str] = set()
    places: set[tuple[str, str, str]] = set()
    for section in sections:
        for suggestion in _emergency_suggestions(section):
            digits = _digits(suggestion.value)
            if digits not in numbers:
                numbers.add(digits)
                out.append(suggestion)
        for suggestion in _place_suggestions(section, names):
            key = (suggestion.kind, _fold(suggestion.value), section.heading)
            if key not in places:
                places.add(key)
                out.append(suggestion)
    return out


# --------------------------------------------------------------------------------------
# Entry point


def parse_document(
    data: bytes | str,
    *,
    fmt: str = "auto",
    extra_keywords: Mapping[str, Sequence[str]] | None = None,
    known_places: Sequence[str] = (),
    closed_areas: Sequence[str] = (),
) -> ParsedDocument:
    """Parse an official document into a title, its source, sections and suggestions.

    Raises :class:`DocumentError` for an unknown format, an empty or binary file, or a
    document in which no section is found.
    """
    if fmt not in FORMATS:
        raise DocumentError(f"unknown format {fmt!r}: choose fcdo, osac, plain or auto")
    text = _decode(data)
    chosen = detect_format(text) if fmt == "auto" else fmt
    lines = _normalise(text)
    lines, credits = _extract_credits(lines)
    lines = _drop_chrome(lines)
    lines = _drop_repeated_pages(lines)
    lines = _drop_consecutive_duplicates(lines)
    lines = _join_page_breaks(lines)

    if chosen == "fcdo":
        title, nodes = _outline_markdown(lines)
    else:
        title, nodes = _outline_text(lines, osac=chosen == "osac")
    title, nodes = _take_title(title, nodes)

    source, base = _guess_source(text, title, nodes, credits)
    preamble = nodes[0]
    preamble.heading = title or "Overview"
    preamble.level = 0
    trees = _forest(nodes[1:])
    sections = _sections([_Tree(preamble)], extra_keywords) if preamble.body else []
    sections += _sections(trees, extra_keywords)
    sections = [s for s in sections if s.body.strip()]
    if not sections:
        raise DocumentError("no sections found")
    if base:
        for section in sections:
            section.body = _absolute_links(section.body, base)
    return ParsedDocument(
        format=chosen,
        title=title,
        source=source,
        sections=sections,
        suggestions=_suggestions(sections, known_places, closed_areas),
    )
