"""The entry point: a document's bytes in, its title, source, sections and suggestions out.

Clean-up runs the same for every format, in this order: credit lines become the source, page
chrome is dropped, a page repeated in one file is merged back into one copy, a line repeated
right after itself is dropped, and paragraphs broken at page boundaries are joined. Then the
outline is read in the document's format and turned into sections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .chrome import drop_chrome
from .credits import extract_credits
from .disclaimers import drop_disclaimers
from .outline import outline_markdown, outline_text, take_title
from .page_breaks import join_page_breaks
from .parsed import FORMATS, CuratedSection, DocumentError, ParsedDocument
from .reading import decode, detect_format, normalise
from .repeats import drop_consecutive_duplicates, drop_repeated_pages
from .sections import Tree, forest, sections_of
from .sources import absolute_links, guess_source
from .suggestions import merge_suggestions, suggestions_of


def parse_document(
    data: bytes | str,
    *,
    fmt: str = "auto",
    extra_keywords: Mapping[str, Sequence[str]] | None = None,
    known_places: Sequence[str] = (),
    closed_areas: Sequence[str] = (),
    curated: Sequence[CuratedSection] = (),
) -> ParsedDocument:
    """Parse an official document into a title, its source, sections and suggestions.

    ``curated`` are the sections the country's advisory has already: a parsed section that
    repeats one carries a ``merge`` suggestion naming it.

    Raises :class:`DocumentError` for an unknown format, an empty or binary file, or a
    document in which no section is found.
    """
    if fmt not in FORMATS:
        raise DocumentError(f"unknown format {fmt!r}: choose fcdo, osac, plain or auto")
    text = decode(data)
    chosen = detect_format(text) if fmt == "auto" else fmt
    lines = normalise(text)
    lines, credits = extract_credits(lines)
    lines = drop_chrome(lines)
    lines = drop_repeated_pages(lines)
    lines = drop_consecutive_duplicates(lines)
    lines = join_page_breaks(lines)

    if chosen == "fcdo":
        title, nodes = outline_markdown(lines)
    else:
        title, nodes = outline_text(lines, osac=chosen == "osac")
    title, nodes = take_title(title, nodes)

    source, base = guess_source(text, title, nodes, credits)
    preamble = nodes[0]
    preamble.heading = title or "Overview"
    preamble.level = 0
    trees = forest(nodes[1:])
    sections = sections_of([Tree(preamble)], extra_keywords) if preamble.body else []
    sections += sections_of(trees, extra_keywords)
    sections = drop_disclaimers(s for s in sections if s.body.strip())
    if not sections:
        raise DocumentError("no sections found")
    if base:
        for section in sections:
            section.body = absolute_links(section.body, base)
    merge_suggestions(sections, curated)
    return ParsedDocument(
        format=chosen,
        title=title,
        source=source,
        sections=sections,
        suggestions=suggestions_of(sections, known_places, closed_areas),
    )
