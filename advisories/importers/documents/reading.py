"""Reading a file: decoding, normalising whitespace, and guessing its format.

``auto`` resolves with :func:`detect_format`: ``fcdo`` for Markdown with at least two headings
and no PDF traces (no bold-wrapped heading, at most one run of three or more blank lines);
``osac`` for text that names OSAC or a "Crime & Safety Report", or has ``•`` bullets and bare
title-case headings; ``plain`` otherwise (text converted from PDF included: there is no
separate format name, the clean-up steps repair it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .headings import is_title_case_heading
from .parsed import DocumentError
from .text import MD_HEADING_RE

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


def decode(data: bytes | str) -> str:
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


def normalise(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_SPACE_MAP)
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.rstrip()
        indent = len(line) - len(line.lstrip(" "))
        body = re.sub(r" {2,}", " ", line[indent:])
        lines.append(" " * indent + body if body else "")
    return lines


OSAC_RE = re.compile(r"\bOSAC\b|Crime\s*(?:&|and)\s*Safety\s+Report", re.IGNORECASE)


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
    lines = normalise(text)
    headings = [m for m in map(MD_HEADING_RE.match, lines) if m]
    bold_headings = [m for m in headings if m.group(2).startswith(("**", "__"))]
    if len(headings) >= 2 and not bold_headings and _blank_runs(lines) < 2:
        return "fcdo"
    if OSAC_RE.search(text):
        return "osac"
    bullets = sum(1 for line in lines if line.lstrip().startswith("•"))
    bare = sum(
        1
        for i, line in enumerate(lines)
        if is_title_case_heading(line)
        and (i == 0 or not lines[i - 1].strip())
        and i + 1 < len(lines)
        and not lines[i + 1].strip()
    )
    if bullets >= 2 and bare >= 4:
        return "osac"
    return "plain"
