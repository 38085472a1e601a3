"""Credit lines: the document's own statement of its source.

"Prepared by ...", "Additional information: URL", "Retrieved: 3 November 2026" and the like
become the source's publisher, URL and retrieval date and are removed from the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .text import collapse

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
class Credits:
    publisher: str = ""
    url: str | None = None
    retrieved: str | None = None
    updated: str | None = None


def extract_credits(lines: list[str]) -> tuple[list[str], Credits]:
    credits = Credits()
    out: list[str] = []
    for line in lines:
        text = collapse(line)
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
