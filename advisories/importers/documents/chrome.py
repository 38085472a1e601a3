"""Page chrome: what a web page or a PDF prints around its content, dropped before parsing.

"Skip to main content", cookie banners, breadcrumbs, "Previous"/"Next"/"View a printable
version" blocks, "Return to top", share links, page numbers, lines repeated alone on every
page (running headers and footers) and funding footers.
"""

from __future__ import annotations

import re
from collections import Counter

from .text import (
    MD_HEADING_RE,
    block_spans,
    collapse,
    ends_terminal,
    line_key,
    strip_md_links,
)

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
    plain = _NAV_MARKS_RE.sub("", collapse(strip_md_links(text)))
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
    return bool(_BREADCRUMB_RE.match(plain)) and not ends_terminal(plain)


def drop_chrome(lines: list[str]) -> list[str]:
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
    for start, end in block_spans(lines):
        if start in fenced:
            continue
        if _is_chrome_text("\n".join(lines[start:end])):
            for i in range(start, end):
                lines[i] = ""
    # a breadcrumb trail: "Home", "Visitors info" before the first real line
    spans = block_spans(lines)
    if spans:
        start, end = spans[0]
        if line_key(lines[start]) in {"home", "start", "main page"}:
            i = start
            while i < end and len(lines[i].strip()) <= 40 and not ends_terminal(lines[i]):
                lines[i] = ""
                i += 1
    # single lines, also inside blocks
    for i, line in enumerate(lines):
        if line.strip() and i not in fenced and _is_chrome_text(line):
            lines[i] = ""
    # "Other tourist memos" and the like, closing the page
    spans = block_spans(lines)
    if spans:
        last = spans[-1][1] - 1
        tail = lines[last].strip()
        if _RELATED_RE.match(tail) and len(tail.split()) <= 6 and not ends_terminal(tail):
            lines[last] = ""
    # page numbers, and running headers/footers: the same short line (no sentence) standing
    # alone on three pages or more
    spans = block_spans(lines)
    alone = Counter(
        line_key(lines[s])
        for s, e in spans
        if e - s == 1
        and len(lines[s]) <= 60
        and not ends_terminal(lines[s])
        and not MD_HEADING_RE.match(lines[s])
    )
    repeated = {k for k, n in alone.items() if n >= 3}
    for s, e in spans:
        if e - s == 1 and (
            line_key(lines[s]) in repeated or _PAGE_NUMBER_RE.match(lines[s].strip())
        ):
            lines[s] = ""
    # drop the rest of a funding footer block ("The opinions ... do not necessarily reflect")
    for i, line in enumerate(lines):
        if re.search(r"\bdo(?:es)? not necessarily (?:reflect|represent)\b", line, re.I) and (
            len(line) < 400
        ):
            lines[i] = ""
    return lines
