"""The source a document cites: its publisher, title and URL, from its text and credits."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .credits import Credits
from .outline import Node
from .reading import OSAC_RE
from .text import line_key

_GI_TOC_HEADINGS = {"criminality", "resilience", "criminal markets", "criminal actors"}


def guess_source(
    text: str, title: str, nodes: Sequence[Node], credits: Credits
) -> tuple[dict[str, str | None], str | None]:
    """The source dict and the base URL for relative links."""
    publisher = credits.publisher
    source_title = title
    url = credits.url
    base: str | None = None
    slug = re.search(r"/foreign-travel-advice/([a-z-]+)(?:/|\))", text)
    if slug or re.search(r"\bFCDO\b|Foreign,? Commonwealth (?:&|and) Development", text):
        publisher = publisher or "Foreign, Commonwealth & Development Office (GOV.UK)"
        base = "https://www.gov.uk"
        if slug:
            country = slug.group(1).replace("-", " ").title()
            page = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")
            url = url or f"{base}/foreign-travel-advice/{slug.group(1)}" + (
                f"/{page}" if page else ""
            )
            source_title = f"{country} travel advice: {title}" if title else country
    elif OSAC_RE.search(text):
        publisher = (
            publisher or "Overseas Security Advisory Council (OSAC), U.S. Department of State"
        )
    headings = {line_key(n.heading or "") for n in nodes}
    if len(headings & _GI_TOC_HEADINGS) >= 3:
        publisher = publisher or "Global Initiative Against Transnational Organized Crime"
        country = title.title() if title.isupper() else title
        source_title = f"Global Organized Crime Index: {country}" if country else source_title
    if url and not base:
        found = re.match(r"https?://[^/]+", url)
        base = found.group(0) if found else None
    return (
        {
            "publisher": publisher,
            "title": source_title,
            "url": url,
            "retrieved": credits.retrieved,
        },
        base,
    )


def absolute_links(body: str, base: str) -> str:
    return re.sub(r"\]\((/[^)\s]*)\)", lambda m: f"]({base}{m.group(1)})", body)
