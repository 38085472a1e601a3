"""Suggestions for the reviewer: emergency numbers, curated places and closed areas in the text,
and the curated sections a document repeats (merge into them rather than add a duplicate).

Never applied here: the admin accepts them or not (the command takes the merges as they are).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from .parsed import CuratedSection, Merge, ParsedSection, Suggestion
from .text import MD_LINK_RE, fold

_SENTENCE_SPLIT_RE = re.compile(r"(?<=[a-z0-9)\u201d\u2019\"][.!?])\s+(?=[\"\u201c(]?[A-Z0-9])|\n+")


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
    text = MD_LINK_RE.sub(lambda m: m.group(1), markdown)
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
        needle = fold(name.strip())
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


def suggestions_of(
    sections: Sequence[ParsedSection], known_places: Sequence[str], closed_areas: Sequence[str]
) -> list[Suggestion]:
    closed = {fold(n.strip()) for n in closed_areas if n.strip()}
    names: list[tuple[str, str]] = [("closed_area", n) for n in closed_areas if n.strip()]
    names += [("place", n) for n in known_places if n.strip() and fold(n.strip()) not in closed]
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
            key = (suggestion.kind, fold(suggestion.value), section.heading)
            if key not in places:
                places.add(key)
                out.append(suggestion)
    return out


# --- sections the advisory has already ----------------------------------------------------

# Words too common to say what two texts share.
_COMMON_WORDS = (
    "the and for are with you your not but can may have has this that from was were "
    "will any all its into they there their them been also more other some such than "
    "then when which who what where while our out over only should must could would "
    "about after before during between each most many much very even just like these "
    "those here being because does did how why use used using one two well"
)
_STOPWORDS = frozenset(_COMMON_WORDS.split())
# A section repeats a curated one when their headings and topics are the same, or when most
# of the smaller one's words are in the larger (containment), or most of both are shared
# (Jaccard). Below MIN_WORDS distinct words a text says too little to compare.
MIN_WORDS = 8
CONTAINMENT = 0.6
JACCARD = 0.5
# A paragraph is already in a section when this share of its words is there.
PARAGRAPH_KNOWN = 0.8


def word_set(text: str) -> frozenset[str]:
    """The distinct words of a text that say what it is about (folded, no stopwords)."""
    plain = fold(MD_LINK_RE.sub(lambda m: m.group(1), text))
    return frozenset(w for w in re.findall(r"[^\W\d_]{3,}", plain) if w not in _STOPWORDS)


def _same_heading(a: str, b: str) -> bool:
    def key(heading: str) -> str:
        return " ".join(re.findall(r"\w+", fold(heading)))

    return bool(key(a)) and key(a) == key(b)


def _overlap(a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
    """(containment of the smaller in the larger, Jaccard)."""
    if min(len(a), len(b)) < MIN_WORDS:
        return 0.0, 0.0
    shared = len(a & b)
    return shared / min(len(a), len(b)), shared / len(a | b)


def merge_suggestions(sections: Sequence[ParsedSection], curated: Sequence[CuratedSection]) -> None:
    """Suggest merging each parsed section into the curated section it repeats (sets its
    ``merge``): the same topic and heading first, else the one sharing most words, if most
    are shared. A section repeating none is left to be added."""
    words = {section.key: word_set(f"{section.heading}\n{section.body}") for section in curated}
    for parsed in sections:
        same = next(
            (
                c
                for c in curated
                if c.topic == parsed.topic and _same_heading(c.heading, parsed.heading)
            ),
            None,
        )
        if same is not None:
            parsed.merge = Merge(same.key, same.heading, "the same topic and heading")
            continue
        mine = word_set(f"{parsed.heading}\n{parsed.body}")
        best: tuple[float, CuratedSection] | None = None
        for candidate in curated:
            containment, jaccard = _overlap(mine, words[candidate.key])
            similar = containment >= CONTAINMENT or jaccard >= JACCARD
            if similar and (best is None or containment > best[0]):
                best = (containment, candidate)
        if best is not None:
            share, target = best
            parsed.merge = Merge(
                target.key, target.heading, f"{round(share * 100)}% of the words are shared"
            )


def _known(text: str, known: frozenset[str]) -> bool:
    words = word_set(text)
    return bool(words) and len(words & known) / len(words) >= PARAGRAPH_KNOWN


def paragraphs_to_merge(existing: str, incoming: str) -> list[str]:
    """What of ``incoming`` ``existing`` does not say already, paragraph by paragraph in
    their order: what merging adds to a curated section. A paragraph most of whose words are
    there is left out; in a paragraph of prose, so is each such sentence. Lists, tables and
    headings are kept or left out whole (cutting them would break their Markdown)."""
    known = word_set(existing)
    new = []
    for paragraph in re.split(r"\n\s*\n", incoming.strip()):
        paragraph = paragraph.strip()
        if not paragraph or paragraph in existing or _known(paragraph, known):
            continue
        if "\n" not in paragraph and not re.match(r"[-*+#|>]|\d+[.)]\s", paragraph):
            sentences = [text.strip() for text, _ in _sentences(paragraph)]
            fresh = [sentence for sentence in sentences if not _known(sentence, known)]
            paragraph = " ".join(fresh)
        if paragraph:
            new.append(paragraph)
    return new
