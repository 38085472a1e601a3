"""Which lines of plain text are headings.

A bare title-case line (at most 12 words, no final punctuation) in every plain format; a
question; and, in dense text (one paragraph per line, as in FAQ pages), a verbless phrase
("The registration of foreign citizens") or an "If ..." fragment.
"""

from __future__ import annotations

import re

from .text import TERMINAL, is_bullet, words_of

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


def _single_sentence(line: str) -> bool:
    return not re.search(r"[a-z]{2,}[.!?]\s+[\"\u201c(]?[A-Z]", line)


def is_title_case_heading(line: str) -> bool:
    text = line.strip()
    if not text or len(text) > 80 or text[-1] in TERMINAL + ",":
        return False
    if is_bullet(text) or "http" in text or not (text[0].isupper() or text[0].isdigit()):
        return False
    words = words_of(text)
    if not words or len(text.split()) > 12:
        return False
    significant = [w for w in words if w.casefold() not in _SMALL_WORDS]
    return bool(significant) and all(w[0].isupper() for w in significant)


def is_question_heading(line: str) -> bool:
    text = line.strip()
    return (
        text.endswith("?")
        and len(text) <= 200
        and text[0].isupper()
        and _single_sentence(text)
        and not is_bullet(text)
    )


def is_fragment_heading(line: str) -> bool:
    """A verbless phrase or an "If ..." clause standing as a line of its own."""
    text = line.strip()
    if not text or len(text) > 160 or not text[0].isupper() or is_bullet(text):
        return False
    if text[-1] in TERMINAL.replace(".", "") + "," or text.endswith(".."):
        return False
    if not _single_sentence(text) or "http" in text:
        return False
    words = [w.casefold() for w in words_of(text)]
    if not words or words[-1] in _STOP_ENDINGS:
        return False
    if words[0] in _SUBORDINATORS:
        return "," not in text
    return not any(w in _AUX_VERBS for w in words)
