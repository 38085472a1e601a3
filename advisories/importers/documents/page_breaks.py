"""Paragraphs broken at page boundaries, joined back.

A paragraph ending without final punctuation and followed, across blank lines (and a page
number already dropped), by one starting in lower case is one sentence cut by a page break.
A paragraph left dangling at the end of a page whose continuation was printed elsewhere (PDF
reading order) is joined with the lower-case orphan when they pair one to one.
"""

from __future__ import annotations

import re

from .text import MD_HEADING_RE, block_spans, ends_terminal, is_bullet, starts_lower


def _is_prose(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not (
        MD_HEADING_RE.match(stripped)
        or is_bullet(stripped)
        or stripped.startswith(("|", ">", "```", "~~~", "    "))
        or re.match(r"^\d+[.)]\s", stripped)
    )


def join_page_breaks(lines: list[str]) -> list[str]:
    spans = block_spans(lines)
    blocks = [lines[s:e] for s, e in spans]

    def dangling(block: list[str]) -> bool:
        last = block[-1]
        return (
            _is_prose(last)
            and not ends_terminal(last)
            and sum(len(x) for x in block) >= 40
            and not last.rstrip().endswith(("  ", "\\"))
        )

    def orphan(block: list[str]) -> bool:
        return _is_prose(block[0]) and starts_lower(block[0])

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
