"""A document's disclaimer is no advice: it never becomes a section, nor part of one.

Official documents end with one ("The information in this document is provided for general
information only ... we accept no liability ...", under a "Disclaimer" or "Legal notice"
heading, or as the last paragraph of the last section). Dropped here:

- a section whose heading is a disclaimer's ("Disclaimer", "Legal notice", "Terms of use",
  "Limitation of liability", "Copyright notice");
- inside a section, a sub-heading of that kind and its text, up to the next heading;
- any paragraph that both disclaims (no liability or responsibility accepted, information
  only, no warranty, no endorsement) and speaks of the document itself (this information,
  document, report, advice, website...). The two together: "Hotels accept no responsibility
  for valuables left in rooms" is advice and stays.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .parsed import ParsedSection
from .text import MD_HEADING_RE, collapse, inline_text

_HEADING_RE = re.compile(
    r"^(?:(?:legal|important|general)\s+)?(?:disclaimers?|legal\s+notices?|"
    r"terms\s+(?:of|and)\s+(?:use|conditions)|limitations?\s+of\s+liability|"
    r"copyright(?:\s+notice)?|liability)\s*:?$",
    re.IGNORECASE,
)
_DISCLAIMS_RE = re.compile(
    r"\b(?:accepts?|assumes?|bears?|takes?|has|have)\s+no\s+(?:legal\s+)?"
    r"(?:liability|responsibility)\b"
    r"|\bno\s+(?:liability|responsibility)\s+(?:is|will\s+be|can\s+be)\s+(?:accepted|assumed)\b"
    r"|\b(?:not|cannot)\s+(?:be\s+)?(?:held\s+)?(?:liable|responsible)\s+for\b"
    r"|\bprovided\s+(?:for|as)\s+(?:general\s+)?(?:information|guidance|reference)(?:al)?"
    r"(?:\s+purposes)?\s+only\b"
    r"|\bfor\s+(?:general\s+)?information(?:al)?\s+purposes\s+only\b"
    r"|\bprovided\s+[\"\u201c']?as\s+is\b"
    r"|\b(?:without|makes?\s+no)\s+(?:any\s+)?(?:representations?\s+or\s+)?warrant(?:y|ies)\b"
    r"|\bdoes\s+not\s+(?:constitute|imply)\s+(?:an?\s+)?(?:endorsement|legal\s+advice)\b"
    r"|\b(?:is|are)\s+not\s+(?:a\s+substitute\s+for|legal\s+advice)\b",
    re.IGNORECASE,
)
_ABOUT_ITSELF_RE = re.compile(
    r"\b(?:this|the|our|its|such)\s+(?:\w+\s+)?(?:information|document|report|advice|"
    r"guidance|website|site|page|publication|content|profile|memo|material)s?\b"
    r"|\bwe\b",
    re.IGNORECASE,
)


def is_disclaimer_heading(heading: str) -> bool:
    return bool(_HEADING_RE.match(collapse(inline_text(heading)).strip(" .*#")))


def is_disclaimer(paragraph: str) -> bool:
    """A paragraph that disclaims the document it is in."""
    text = collapse(inline_text(paragraph))
    return bool(_DISCLAIMS_RE.search(text) and _ABOUT_ITSELF_RE.search(text))


def _paragraphs_kept(body: str) -> list[str]:
    kept: list[str] = []
    skipping = False
    for paragraph in re.split(r"\n\s*\n", body):
        heading = MD_HEADING_RE.match(paragraph.strip())
        if heading:
            skipping = is_disclaimer_heading(heading.group(2))
            if skipping:
                continue
        if skipping or is_disclaimer(paragraph):
            continue
        kept.append(paragraph)
    # A sub-heading left with nothing under it at the end is dropped too.
    while kept and MD_HEADING_RE.match(kept[-1].strip()):
        kept.pop()
    return kept


def drop_disclaimers(sections: Iterable[ParsedSection]) -> list[ParsedSection]:
    """The sections without their disclaimers; a section that was nothing else is gone."""
    out: list[ParsedSection] = []
    for section in sections:
        if is_disclaimer_heading(section.heading):
            continue
        body = "\n\n".join(_paragraphs_kept(section.body)).strip()
        if body:
            section.body = body
            out.append(section)
    return out
