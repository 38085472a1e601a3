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
  so every number is right by construction. They are two layouts (see _lay_out_personal):
  the body first, behind blank pages kept for the front matter; then the cover and the
  contents, whose page numbers are then known and written in as plain text, in place of
  the blank pages. Each page is laid out once (target-counter() laid the contents out three
  times).

Then each chapter page is drawn under its slot page as a Form XObject, by a WeasyPrint
finisher that works on the personal document's pydyf objects before they are written: the
personal PDF is never parsed again. pypdf takes a chapter PDF apart once per process (its
"kit": the objects its pages need, serialised, with their references left to be numbered);
each briefing then copies those bytes, so merging costs about a millisecond.

Parsed stylesheets and one FontConfiguration are kept per worker process, and the cyclic
garbage collector is held off while a render runs (see _without_gc_pauses). Everything is
loaded through AssetsOnlyURLFetcher (see fetcher.py); no URL is given to `stylesheets=` and
no attachment is ever added.

Measured with bench/bench_render.py (2 vCPU, demo briefing of 13 pages, 7 of them the
chapter's): a briefing whose chapter is cached takes about 270 ms, of which parsing, styling
and laying out the personal pages about 195 ms and painting and writing the PDF about 60 ms;
laying the chapter out too adds about 300 ms. WeasyPrint's cost is per box and per page: an
empty slot page with its four margin boxes costs about 4 ms, a contents entry about 1 ms.
"""

from __future__ import annotations

import gc
import hashlib
import io
import json
import threading
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import pydyf
import weasyprint
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.template.loader import get_template, render_to_string
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    StreamObject,
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

    @cached_property
    def kit(self) -> _ChapterKit:
        """Taken apart once per process (the memory cache keeps it with the chapter)."""
        return _chapter_kit(self.pdf)


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
    with _without_gc_pauses():
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


_gc_lock = threading.Lock()
_gc_renders = 0
_gc_was_enabled = False


@contextmanager
def _without_gc_pauses() -> Iterator[None]:
    """No cyclic garbage collection while a render runs.

    A layout allocates hundreds of thousands of small objects: the collector would run its
    young generations hundreds of times and scan the whole heap (Django, fonts, caches) a few
    times per briefing, a quarter of the render. Reference counting still frees most garbage
    at once; the render's cycles are collected in one pass once the collector is back on.
    Nested and concurrent renders share one suspension; a collector that was off stays off.
    """
    global _gc_renders, _gc_was_enabled
    with _gc_lock:
        if _gc_renders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            if _gc_renders == 0 and _gc_was_enabled:
                gc.enable()


def render_briefing_pdf(document: BriefingDocument, *, use_cache: bool = True) -> RenderedBriefing:
    """The complete PDF of one briefing."""
    with _without_gc_pauses():
        return _render_briefing_pdf(document, use_cache=use_cache)


def _render_briefing_pdf(document: BriefingDocument, *, use_cache: bool) -> RenderedBriefing:
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
    personal, pages_of = _lay_out_personal(document, slots)
    placements = [
        (pages_of[f"slot-{c.country}-0"] - 1, laid_out)
        for c, laid_out in zip(document.chapters, placed, strict=True)
    ]
    pdf = personal.write_pdf(finisher=_Stamper(placements) if placements else None)
    return RenderedBriefing(
        pdf=pdf,
        pages=len(personal.pages),
        chapters_cached=cached,
        chapters_rendered=len(placed) - cached,
    )


# How many pages the front matter (cover and contents) took, by the number of entries in the
# contents and of changes listed: the next briefing of that shape reserves as many for it.
_front_pages: dict[tuple[int, int], int] = {}


def _lay_out_personal(
    document: BriefingDocument, slots: list[dict]
) -> tuple[weasyprint.Document, dict[str, int]]:
    """The personal pages, and the page number of every anchor in them.

    Two layouts, and every page is laid out once. The body (trip at a glance to sources, with
    the chapter slots) goes first, behind blank pages reserved for the front matter, so its
    "Page N of M" and its anchors' pages are the briefing's. The front matter (cover and
    contents) is then laid out on its own with those numbers written in as text, and takes
    the blank pages' place. With target-counter() WeasyPrint laid the contents out three
    times, a sixth of the render. The contents' height does not depend on its numbers, so
    the reserved count is checked: if the contents took more pages than reserved, the body
    is laid out again behind the right count (the count is then remembered for that shape).
    """
    shape = (
        sum(1 + sum(len(page["topics"]) for page in slot["pages"]) for slot in slots),
        len(document.changes),
    )
    reserved = _front_pages.get(shape, 2)
    for _ in range(3):
        body = _layout(
            render_to_string(
                "briefings/pdf/body.html",
                {"doc": document, "slots": slots, "front_pages": range(reserved)},
            ),
            "personal",
        )
        pages_of: dict[str, int] = {}
        for index, page in enumerate(body.pages):
            for name in page.anchors:
                pages_of.setdefault(name, index + 1)
        for slot in slots:
            for slot_page in slot["pages"]:
                slot_page["number"] = pages_of[slot_page["anchor"]]
        front = _layout(
            render_to_string(
                "briefings/pdf/front.html",
                {
                    "doc": document,
                    "slots": slots,
                    "numbers": pages_of,
                    "total_pages": len(body.pages),
                },
            ),
            "personal",
        )
        if len(_front_pages) > 256:
            _front_pages.clear()
        _front_pages[shape] = len(front.pages)
        if len(front.pages) == reserved:
            return front.copy([*front.pages, *body.pages[reserved:]]), pages_of
        reserved = len(front.pages)
    raise RuntimeError("the briefing's front matter did not settle on a page count")


def _slot_pages(chapter: Chapter, laid_out: ChapterPdf) -> list[dict]:
    topics_by_page: dict[int, list] = {}
    for topic in chapter.topics:
        topics_by_page.setdefault(laid_out.anchors.get(topic.anchor, 0), []).append(topic)
    return [
        {"anchor": f"slot-{chapter.country}-{index}", "topics": topics_by_page.get(index, [])}
        for index in range(laid_out.pages)
    ]


class _CopiedObject(pydyf.Object):
    """An object of a cached chapter PDF, written into the briefing being generated.

    Its serialisation is kept as bytes, with the references to other copied objects left as
    indices; they become the object numbers this briefing gives them when it is written.
    """

    def __init__(self, kit: _ChapterKit, index: int, numbers: list[int]) -> None:
        super().__init__()
        self._segments, self._stream = kit.objects[index]
        self._numbers = numbers

    @property
    def data(self) -> bytes:
        numbers = self._numbers
        head = b"".join(
            segment if isinstance(segment, bytes) else b"%d 0 R" % numbers[segment]
            for segment in self._segments
        )
        if self._stream is None:
            return head
        return b"%s\nstream\n%s\nendstream" % (head, self._stream)

    @property
    def compressible(self) -> bool:
        return self._stream is None and not self.generation


@dataclass(frozen=True)
class _ChapterKit:
    """A chapter PDF taken apart once per process, ready to be copied into briefings.

    `objects` holds, for every object that the chapter pages need, its serialisation as
    segments (bytes, or the index in `objects` of a referenced object) and its raw stream
    data; `forms` the index of each page's Form XObject, `annotations` each page's links.
    """

    objects: tuple[tuple[tuple[bytes | int, ...], bytes | None], ...]
    forms: tuple[int, ...]
    annotations: tuple[tuple[int, ...], ...]


def _chapter_kit(pdf: bytes) -> _ChapterKit:
    reader = PdfReader(io.BytesIO(pdf))
    objects: list[tuple[tuple[bytes | int, ...], bytes | None]] = []
    numbers: dict[int, int] = {}
    pending: list[tuple[int, PdfObject | None]] = []

    def reserve() -> int:
        objects.append(((), None))
        return len(objects) - 1

    def reference(indirect: IndirectObject) -> int:
        if indirect.idnum not in numbers:
            numbers[indirect.idnum] = reserve()
            pending.append((numbers[indirect.idnum], indirect.get_object()))
        return numbers[indirect.idnum]

    def serialise(value: PdfObject | None, out: list[bytes | int], skip=()) -> None:
        if isinstance(value, IndirectObject):
            target = value.get_object()
            if isinstance(target, DictionaryObject) and target.get("/Type") in ("/Page", "/Pages"):
                out.append(b"null")  # never drag the chapter's page tree along
            else:
                out.append(reference(value))
        elif isinstance(value, DictionaryObject):
            out.append(b"<<")
            for key, item in dict.items(value):
                if key in skip or (isinstance(value, StreamObject) and key == "/Length"):
                    continue
                out.append(_pdf_bytes(NameObject(key)) + b" ")
                serialise(item, out)
                out.append(b"\n")
            out.append(b">>")
        elif isinstance(value, ArrayObject):
            out.append(b"[")
            for item in list.__iter__(value):
                serialise(item, out)
                out.append(b" ")
            out.append(b"]")
        elif value is None:
            out.append(b"null")
        else:
            out.append(_pdf_bytes(value))

    def drain() -> None:
        while pending:
            index, value = pending.pop()
            out: list[bytes | int] = []
            stream = None
            if isinstance(value, StreamObject):
                stream = _raw_stream_data(value)
                serialise(value, out)
                out.insert(-1, b"/Length %d\n" % len(stream))
            else:
                serialise(value, out)
            objects[index] = (tuple(out), stream)

    forms: list[int] = []
    annotations: list[tuple[int, ...]] = []
    for page in reader.pages:
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else None
        if isinstance(contents, ArrayObject):
            data = b"\n".join(part.get_object().get_data() for part in contents)
        else:
            data = contents.get_data() if contents is not None else b""
        head: list[bytes | int] = [b"<</Type /XObject /Subtype /Form /BBox "]
        serialise(page.mediabox, head)
        head.append(b" /Resources ")
        serialise(dict.get(page, "/Resources"), head)
        stream = zlib.compress(data)
        head.append(b" /Filter /FlateDecode /Length %d>>" % len(stream))
        form = reserve()
        objects[form] = (tuple(head), stream)
        page_links: list[int] = []
        for annotation in list.__iter__(page.get("/Annots") or ArrayObject()):
            target = annotation.get_object()
            index = reserve()
            out: list[bytes | int] = []
            serialise(target, out, skip=("/P",))  # the chapter page is not in the briefing
            objects[index] = (tuple(out), None)
            page_links.append(index)
        forms.append(form)
        annotations.append(tuple(page_links))
        drain()
    return _ChapterKit(objects=tuple(objects), forms=tuple(forms), annotations=tuple(annotations))


def _pdf_bytes(value: PdfObject) -> bytes:
    out = io.BytesIO()
    value.write_to_stream(out)
    return out.getvalue()


def _raw_stream_data(stream: StreamObject) -> bytes:
    """The stream's data as stored (still encoded), through pypdf's public writer.

    pypdf writes the dictionary (strings escaped, so no bare newline in it), then
    "\\nstream\\n", the data and "\\nendstream".
    """
    written = _pdf_bytes(stream)
    return written[written.index(b"\nstream\n") + len(b"\nstream\n") : -len(b"\nendstream")]


# The releases whose internals _Stamper was checked against: `pdf.pages["Kids"]` holding three
# items a page (number, generation, "R"), `pdf.objects` indexed by object number, page content
# streams as lists of bytes, and the finisher called with (document, pdf). pyproject.toml allows
# these ranges; tests/briefings/test_renderer_internals.py fails on any other release until
# the stamping is checked again.
CHECKED_WEASYPRINT = ("70",)
CHECKED_PYDYF = ("0.11", "0.12", "0.13")


class _Stamper:
    """A WeasyPrint finisher: draws each chapter page under its slot page as a Form XObject.

    Runs on the briefing's pydyf objects before they are written, so neither PDF is parsed
    again: the chapter's objects are copied from its kit (taken apart once per process).
    """

    def __init__(self, placements: list[tuple[int, ChapterPdf]]) -> None:
        self.placements = placements

    def __call__(self, document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        kids = pdf.pages["Kids"][::3]
        for number, (first_index, laid_out) in enumerate(self.placements):
            kit = laid_out.kit
            numbers: list[int] = []
            for index in range(len(kit.objects)):
                copied = _CopiedObject(kit, index, numbers)
                pdf.add_object(copied)
                numbers.append(copied.number)
            for offset, form in enumerate(kit.forms):
                page = pdf.objects[kids[first_index + offset]]
                name = f"BriefingChapter{number}p{offset}"
                shared = page["Resources"]
                resources = pydyf.Dictionary(pdf.objects[_number(shared)])
                resources["XObject"] = pydyf.Dictionary(
                    {**resources.get("XObject", {}), name: b"%d 0 R" % numbers[form]}
                )
                pdf.add_object(resources)
                page["Resources"] = resources.reference
                # Under the slot page's own drawing (header, page number), in the default
                # coordinate system: before the page's first transformation.
                content = pdf.objects[_number(page["Contents"])]
                content.stream.insert(0, f"q /{name} Do Q".encode())
                links = kit.annotations[offset]
                if links:
                    page.setdefault("Annots", pydyf.Array()).extend(
                        b"%d 0 R" % numbers[index] for index in links
                    )


def _number(reference: bytes) -> int:
    return int(reference.split()[0])


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
