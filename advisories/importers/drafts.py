"""Turning an official document into draft sections for a content admin to review.

Shared by `manage.py import_advisory` and the admin upload page: parse (pure, in the
`documents` package), then either describe what would be created (dry run) or write it as draft
sections of the country's advisory. Nothing is ever published here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from advisories.importers.documents import CuratedSection, ParsedDocument, parse_document
from advisories.importers.documents.suggestions import paragraphs_to_merge
from advisories.models import Advisory, Country, Place, Section, Source, TopicKeyword
from core.audit import audit_record


class DraftImportError(ValueError):
    pass


def document_parse(*, country: Country, data: bytes, fmt: str = "auto") -> ParsedDocument:
    """Parse with the admin-curated topic keywords and the country's curated places."""
    extra: dict[str, list[str]] = {}
    for keyword, topic in TopicKeyword.objects.values_list("keyword", "topic"):
        extra.setdefault(topic, []).append(keyword.lower())
    places = list(Place.objects.filter(country=country).values_list("name", "kind"))
    return parse_document(
        data,
        fmt=fmt,
        extra_keywords=extra,
        known_places=[name for name, _ in places],
        closed_areas=[name for name, kind in places if kind == "closed_area"],
        curated=[
            CuratedSection(key=key, topic=topic, heading=heading, body=body)
            for key, topic, heading, body in Section.objects.filter(
                advisory__country=country
            ).values_list("key", "topic", "heading", "body")
        ],
    )


def document_preview(parsed: ParsedDocument) -> dict[str, Any]:
    """What would be created, in the content pack's section fields (the --dry-run output)."""
    return {
        "format": parsed.format,
        "source": parsed.source,
        "sections": [
            {
                "topic": s.topic,
                "heading": s.heading,
                "body": s.body,
                # The curated section it repeats, to merge into rather than add beside.
                **({"merge_into": asdict(s.merge)} if s.merge else {}),
            }
            for s in parsed.sections
        ],
        "suggestions": [asdict(s) for s in parsed.suggestions],
    }


def _cut(model, field: str, value: str) -> str:
    """Text cut to the model field's length: a long title loses its tail, not the import."""
    return value[: model._meta.get_field(field).max_length]


def _url_that_fits(value: str | None) -> str:
    """A URL longer than Source.url holds is left out: cut, it would point somewhere else."""
    url = (value or "").strip()
    limit = Source._meta.get_field("url").max_length
    return url if limit is None or len(url) <= limit else ""


def _unique_key(base: str, taken: set[str]) -> str:
    key, n = base[:75], 2
    while key in taken:
        key = f"{base[:72]}-{n}"
        n += 1
    taken.add(key)
    return key


def merge_targets(parsed: ParsedDocument) -> dict[int, str | None]:
    """The suggested choice for each parsed section: the key of the curated section to merge
    it into, or None to add it as a new section."""
    return {i: s.merge.key if s.merge else None for i, s in enumerate(parsed.sections)}


@transaction.atomic
def document_import_draft(
    *,
    country: Country,
    parsed: ParsedDocument,
    by=None,
    level: int | None = None,
    merges: Mapping[int, str | None] | None = None,
) -> list[Section]:
    """Write the parsed sections as drafts of the country's advisory, citing the document;
    returns the sections written, created or merged into, in the document's order.

    ``merges`` says, per parsed section (by index), which curated section of this country
    it is merged into (None: added as a new section); by default the parser's suggestions
    (``merge_targets``). Merging adds to the curated section the paragraphs it does not say
    already, keeping its heading, topic, places and source.
    """
    merges = merge_targets(parsed) if merges is None else merges
    existing = {
        section.key: section for section in Section.objects.filter(advisory__country=country)
    }
    unknown = sorted({key for key in merges.values() if key and key not in existing})
    if unknown:
        raise DraftImportError(
            f"Cannot merge into {', '.join(unknown)}: not a section of the {country.name} advisory."
        )
    advisory = Advisory.objects.filter(country=country).first()
    if advisory is None:
        if level is None:
            raise DraftImportError(
                f"{country.name} has no advisory yet: give its overall level (1-5) with --level."
            )
        advisory = Advisory.objects.create(
            country=country, level=level, summary=f"Imported from {parsed.title}; to be reviewed."
        )
    info = parsed.source
    source_key = slugify(
        f"{country.code}-{info.get('publisher') or ''}-{info.get('title') or parsed.title}"
    )[:80]
    retrieved = info.get("retrieved")
    source, _ = Source.objects.update_or_create(
        key=source_key,
        defaults={
            "publisher": _cut(Source, "publisher", info.get("publisher") or "Unknown publisher"),
            "title": _cut(
                Source, "title", info.get("title") or parsed.title or "Imported document"
            ),
            "url": _url_that_fits(info.get("url")),
            "retrieved": dt.date.fromisoformat(retrieved) if retrieved else dt.date.today(),
        },
    )
    taken = set(Section.objects.values_list("key", flat=True))
    order = advisory.sections.order_by("-order").values_list("order", flat=True).first() or 0
    written: list[Section] = []
    created: list[str] = []
    merged: list[str] = []
    for i, section in enumerate(parsed.sections):
        target = existing.get(merges.get(i) or "")
        if target is None:
            order += 1
            written.append(
                Section.objects.create(
                    advisory=advisory,
                    key=_unique_key(
                        slugify(f"{country.code}-{section.heading}") or f"{country.code}-section",
                        taken,
                    ),
                    topic=section.topic,
                    heading=_cut(Section, "heading", section.heading),
                    body=section.body,
                    source=source,
                    order=order,
                )
            )
            created.append(written[-1].key)
            continue
        added = paragraphs_to_merge(target.body, section.body)
        if added or target.source_id is None:
            target.body = "\n\n".join([target.body.rstrip(), *added])
            target.source = target.source or source
            target.save()
        if target not in written:
            written.append(target)
        merged.append(target.key)
    audit_record(
        actor=by,
        action="advisory.document_imported",
        obj=advisory,
        details={
            "source": source.key,
            "sections": len(created),
            "merged_into": merged,
            "format": parsed.format,
        },
    )
    return written
