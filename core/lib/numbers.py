"""Whole numbers from untrusted text (a query string, a path, a form or JSON field), bounded
before conversion: `int()` of a few thousand digits raises (Python's 4,300-digit limit) or
yields a number no database column can hold, either of which would be a 500."""

from __future__ import annotations

# The largest value of a 64-bit signed column: every primary key fits.
MAX_ID = 2**63 - 1


def parse_whole_number(value: object, *, maximum: int = MAX_ID) -> int | None:
    """`value` as a non-negative whole number of ASCII digits no larger than `maximum`; None
    for anything else (signs, spaces inside, other scripts' digits, too many digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= maximum else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= maximum else None
