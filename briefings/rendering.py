"""Briefing PDFs with WeasyPrint, built for fan-out.

When a country escalates, hundreds of travellers need a new briefing within minutes, and
most of each PDF is that country's advisory chapter. So a briefing is two layouts:

* the **chapter** of each country (its matched advisory sections, grouped by topic) is laid
  out once per (country, content version, matched sections, renderer revision) and cached,
  in this process's memory and in the private storage that every worker shares;
* the traveller's **personal pages** (cover, contents, itinerary, checklist, contacts,
  sources) are laid out for every briefing. Where a chapter goes, the personal document
  holds as many empty "slot" pages as the chapter has; those slot pages carry the running
  header, the page number ("Page 7 of 14") and the anchors the table of contents points at,
  so every number is right by construction.

Then pypdf stamps each chapter page onto its slot page as a Form XObject: the chapter's
content stream is copied, not parsed, so merging costs a few milliseconds.

Parsed stylesheets and one FontConfiguration are kept per worker process. Everything is
loaded through AssetsOnlyURLFetcher (see fetcher.py); no URL is given to `stylesheets=` and
no attachment is ever added.
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import weasyprint
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.template.loader import get_template, render_to_string
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
)
from weasyprint.text.fonts import FontConfiguration

from briefings.fetcher import AssetsOnlyURLFetcher, assets_base_url, assets_root
from briefings.selectors import BriefingDocument, Chapter

# Bump when the layout changes in a way the template and CSS hashes would not show.
LAYOUT_VERSION = "1"
CHAPTER_CACHE_DIR = "briefings/chapters"
MEMORY_CACHE_SIZE = 64

# The chapter is laid out on the same page box as the personal pages, with empty margin
# boxes: its slot pages in the personal document draw the header and the page number.
CHAPTER_PAGE_CSS = """
@page { @top-left { content: none } @top-right { content: none }
        @bottom-left { content: none } @bottom-right { content: none } }
"""


@dataclass(frozen=True)
class ChapterPdf:
    key: str
    pdf: bytes
    pages: int
    # The chapter page (0-based) on which each topic starts: the slot pages carry these
    # anchors so the table of contents can point at topics inside the chapter.
    anchors: dict[str, int]


@dataclass(frozen=True)
class RenderedBriefing:
    pdf: bytes
    pages: int
    chapters_cached: int
    chapters_rendered: int


# --- per-process resources -----------------------------------------------------------------


@cache
def font_config() -> FontConfiguration:
    """One font configuration per worker process (fontconfig scans the fonts once)."""
    return FontConfiguration()


@cache
def _stylesheet(kind: str) -> weasyprint.CSS:
    fetcher = AssetsOnlyURLFetcher()
    if kind == "chapter-pages":
        return weasyprint.CSS(
            string=CHAPTER_PAGE_CSS, url_fetcher=fetcher, font_config=font_config()
        )
    return weasyprint.CSS(
        filename=str(assets_root() / "pdf.css"),
        base_url=assets_base_url(),
        url_fetcher=fetcher,
        font_config=font_config(),
    )


def stylesheets(kind: str = "personal") -> list[weasyprint.CSS]:
    if kind == "chapter":
        return [_stylesheet("base"), _stylesheet("chapter-pages")]
    return [_stylesheet("base")]


@cache
def renderer_revision() -> str:
    """Changes whenever the chapter's look could: cached chapters are keyed by it."""
    digest = hashlib.sha256()
    digest.update(f"{LAYOUT_VERSION}|{weasyprint.__version__}|{CHAPTER_PAGE_CSS}".encode())
    digest.update((assets_root() / "pdf.css").read_bytes())
    template = get_template("briefings/pdf/chapter.html")
    origin = getattr(getattr(template, "template", None), "origin", None)
    if origin is not None and origin.name:
        digest.update(Path(origin.name).read_bytes())
    return digest.hexdigest()[:16]


def _layout(html: str, kind: str) -> weasyprint.Document:
    return weasyprint.HTML(
        string=html, base_url=assets_base_url(), url_fetcher=AssetsOnlyURLFetcher()
    ).render(font_config=font_config(), stylesheets=stylesheets(kind))


def html_to_pdf(html: str) -> bytes:
    """Lay out one of our HTML documents with the briefing stylesheet (tests, previews)."""
    return _layout(html, "personal").write_pdf()


# --- chapters, cached -------------------------------------------------------------------------

_memory: OrderedDict[str, ChapterPdf] = OrderedDict()
_memory_lock = threading.Lock()


def _remember(chapter: ChapterPdf) -> ChapterPdf:
    with _memory_lock:
        _memory[chapter.key] = chapter
        _memory.move_to_end(chapter.key)
        while len(_memory) > MEMORY_CACHE_SIZE:
            _memory.popitem(last=False)
    return chapter


def clear_memory_cache() -> None:
    with _memory_lock:
        _memory.clear()


def chapter_pdf(chapter: Chapter, *, use_cache: bool = True) -> tuple[ChapterPdf, bool]:
    """The laid-out chapter and whether it came from a cache."""
    key = chapter.cache_key(renderer_revision())
    if use_cache:
        with _memory_lock:
            hit = _memory.get(key)
            if hit is not None:
                _memory.move_to_end(key)
                return hit, True
        stored = _load_stored(key)
        if stored is not None:
            return _remember(stored), True
    rendered = _render_chapter(chapter, key)
    if use_cache:
        _store(rendered)
        _remember(rendered)
    return rendered, False


def _render_chapter(chapter: Chapter, key: str) -> ChapterPdf:
    html = render_to_string("briefings/pdf/chapter.html", {"chapter": chapter})
    document = _layout(html, "chapter")
    anchors: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for name in page.anchors:
            if name.startswith("topic-") and name not in anchors:
                anchors[name] = index
    return ChapterPdf(key=key, pdf=document.write_pdf(), pages=len(document.pages), anchors=anchors)


def _paths(key: str) -> tuple[str, str]:
    return f"{CHAPTER_CACHE_DIR}/{key}.pdf", f"{CHAPTER_CACHE_DIR}/{key}.json"


def _load_stored(key: str) -> ChapterPdf | None:
    storage = storages["private"]
    pdf_name, meta_name = _paths(key)
    try:
        with storage.open(meta_name) as meta_file:
            meta = json.loads(meta_file.read())
        with storage.open(pdf_name) as pdf_file:
            pdf = pdf_file.read()
    except (OSError, ValueError):
        return None
    if hashlib.sha256(pdf).hexdigest() != meta.get("sha256"):
        return None  # half-written by a worker that died: lay it out again
    return ChapterPdf(key=key, pdf=pdf, pages=meta["pages"], anchors=meta["anchors"])


def _store(chapter: ChapterPdf) -> None:
    storage = storages["private"]
    pdf_name, meta_name = _paths(chapter.key)
    meta = {
        "pages": chapter.pages,
        "anchors": chapter.anchors,
        "sha256": hashlib.sha256(chapter.pdf).hexdigest(),
    }
    # The PDF first, its metadata (with the digest) last: a reader trusts only a pair whose
    # digests agree. Two workers writing the same key write the same layout.
    for name, body in ((pdf_name, chapter.pdf), (meta_name, json.dumps(meta).encode())):
        if storage.exists(name):
            storage.delete(name)
        saved = storage.save(name, ContentFile(body))
        if saved != name:  # another worker won the race to this name; keep theirs
            storage.delete(saved)


# --- the briefing ---------------------------------------------------------------------------


def render_briefing_pdf(document: BriefingDocument, *, use_cache: bool = True) -> RenderedBriefing:
    """The complete PDF of one briefing."""
    placed: list[ChapterPdf] = []
    cached = 0
    for chapter in document.chapters:
        laid_out, hit = chapter_pdf(chapter, use_cache=use_cache)
        cached += int(hit)
        placed.append(laid_out)
    slots = [
        {"chapter": chapter, "pdf": laid_out, "pages": _slot_pages(chapter, laid_out)}
        for chapter, laid_out in zip(document.chapters, placed, strict=True)
    ]
    html = render_to_string("briefings/pdf/personal.html", {"doc": document, "slots": slots})
    personal = _layout(html, "personal")
    first_pages = {}
    for index, page in enumerate(personal.pages):
        for name in page.anchors:
            if name.startswith("slot-") and name.endswith("-0"):
                first_pages[name[len("slot-") : -len("-0")]] = index
    pdf = _stamp_chapters(
        personal.write_pdf(),
        [
            (first_pages[c.country], laid_out)
            for c, laid_out in zip(document.chapters, placed, strict=True)
        ],
    )
    return RenderedBriefing(
        pdf=pdf,
        pages=len(personal.pages),
        chapters_cached=cached,
        chapters_rendered=len(placed) - cached,
    )


def _slot_pages(chapter: Chapter, laid_out: ChapterPdf) -> list[dict]:
    topics_by_page: dict[int, list] = {}
    for topic in chapter.topics:
        topics_by_page.setdefault(laid_out.anchors.get(topic.anchor, 0), []).append(topic)
    return [
        {"anchor": f"slot-{chapter.country}-{index}", "topics": topics_by_page.get(index, [])}
        for index in range(laid_out.pages)
    ]


def _stamp_chapters(personal_pdf: bytes, placements: list[tuple[int, ChapterPdf]]) -> bytes:
    if not placements:
        return personal_pdf
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(personal_pdf)))
    for number, (first_index, laid_out) in enumerate(placements):
        reader = PdfReader(io.BytesIO(laid_out.pdf))
        for offset, source in enumerate(reader.pages):
            _stamp(
                writer,
                writer.pages[first_index + offset],
                source,
                f"/BriefingChapter{number}p{offset}",
            )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stamp(writer: PdfWriter, target, source, name: str) -> None:
    """Draw `source` (a chapter page) under `target` (its slot page) as a Form XObject."""
    contents = source.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    if isinstance(contents, ArrayObject):
        data = b"\n".join(part.get_object().get_data() for part in contents)
    else:
        data = contents.get_data() if contents is not None else b""
    form = DecodedStreamObject()
    form.set_data(data)
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): source.mediabox.clone(writer),
            NameObject("/Resources"): source["/Resources"].clone(writer),
        }
    )
    form_ref = writer._add_object(form.flate_encode())

    resources = target["/Resources"].get_object()
    xobjects = resources.get("/XObject")
    if xobjects is None:
        xobjects = DictionaryObject()
        resources[NameObject("/XObject")] = xobjects
    xobjects = xobjects.get_object()
    xobjects[NameObject(name)] = form_ref

    own = target.get_contents()
    own_data = own.get_data() if own is not None else b""
    page_stream = DecodedStreamObject()
    page_stream.set_data(b"q " + name.encode() + b" Do Q\nq\n" + own_data + b"\nQ\n")
    target[NameObject("/Contents")] = writer._add_object(page_stream.flate_encode())

    annotations = source.get("/Annots")
    if annotations:
        target_annotations = target.get("/Annots")
        target_annotations = (
            target_annotations.get_object() if target_annotations is not None else ArrayObject()
        )
        for annotation in annotations.get_object():
            copy = annotation.get_object().clone(writer)
            copy.pop(NameObject("/P"), None)
            target_annotations.append(copy.indirect_reference or writer._add_object(copy))
        target[NameObject("/Annots")] = target_annotations


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def max_render_seconds() -> int:
    return int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 180))
