"""Line and word helpers shared by the clean-up, outline, topic and suggestion steps."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

TERMINAL = ".!?:;…"
_CLOSERS = "\"'\u201d\u2019\u00bb)]"
MD_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
BOLD_LINE_RE = re.compile(r"^(\*\*|__)(?P<text>[^*_].*?)\1$")
BULLET_RE = re.compile(r"^\s*(?:[-\u2013—]\s+[-\u2013—]|[•·▪◦●‣∙*+\-\u2013—])\s+(?P<text>\S.*)$")
MD_LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]*)(?:\s+\"[^\"]*\")?\)", re.DOTALL)


def fold(text: str) -> str:
    """Lower case, accents stripped: 'Алматы' and 'Almaty' fold as themselves, 'Café' as 'cafe'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def collapse(text: str) -> str:
    return " ".join(text.split())


def line_key(line: str) -> str:
    return collapse(line).casefold()


def strip_md_links(text: str) -> str:
    return MD_LINK_RE.sub(lambda m: m.group(1), text)


def strip_bold(text: str) -> str:
    text = text.strip()
    while True:
        match = BOLD_LINE_RE.match(text)
        if not match:
            return text
        text = match.group("text").strip()


def ends_terminal(line: str) -> bool:
    stripped = line.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in TERMINAL


def is_bullet(line: str) -> bool:
    return bool(BULLET_RE.match(line))


def starts_lower(line: str) -> bool:
    stripped = line.lstrip(" \"'\u201c\u2018(")
    return bool(stripped) and stripped[0].islower()


def words_of(line: str) -> list[str]:
    return re.findall(r"[^\W\d_][\w'\u2019&./-]*", line)


def block_spans(lines: Sequence[str]) -> list[tuple[int, int]]:
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


def inline_text(markdown: str) -> str:
    text = strip_md_links(markdown)
    text = re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", text)
    return collapse(text)
