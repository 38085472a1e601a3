"""Repeated blocks: a page repeated in one file, and a line repeated right after itself.

A web page saved twice into one file is merged back into one copy: the two copies are aligned,
and lines found in only one of them are kept in place (a list that only the second copy has is
not lost).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from .text import is_bullet, line_key, strip_bold


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


def drop_repeated_pages(lines: list[str]) -> list[str]:
    for _ in range(3):
        positions = [i for i, line in enumerate(lines) if line.strip()]
        keys = [line_key(lines[i]) for i in positions]
        start = _repeat_start(keys)
        if start is None:
            return lines
        split = positions[start]
        first, second = lines[:split], lines[split:]
        first_keys = [line_key(line) for line in first]
        second_keys = [line_key(line) for line in second]
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
                merged.extend(line for line in second[b1:b2] if line_key(line) not in known)
        lines = merged
    return lines


def drop_consecutive_duplicates(lines: list[str]) -> list[str]:
    out: list[str] = []
    previous = ""
    for line in lines:
        key = line_key(strip_bold(line.lstrip("# ")))
        if line.strip() and len(key) >= 3 and key == previous and not is_bullet(line):
            continue
        if line.strip():
            previous = key
        out.append(line)
    return out
