"""Briefing PDFs with WeasyPrint, built for fan-out.

When a country escalates, hundreds of travellers need a new briefing within minutes, and
most of each PDF is the same for many of them. WeasyPrint's cost is per page and per box
(laying out even an empty page with its margin boxes costs several milliseconds), so a
briefing lays out only what is its own, once:

* the **chapter** of each country (its matched advisory sections, grouped by topic) is laid
  out once per (country, content version, matched sections, renderer revision) and cached,
  in this process's memory and in the private storage that every worker shares;
* the **contacts** and the **sources** are laid out once per process for every briefing
  that shows the same ones (_shared_part): their templates are given only what they show;
* the **trip's own pages** (at a glance, itinerary, checklist) are laid out for each
  briefing, ending with one "running header" page: the briefing's reference at the top left,
  the one thing that the pages above do not carry themselves. It is painted under every
  shared page (_UnderHeader) and repeated once per chapter page (_chapter_pages), with the
  chapter's anchors and outline entries: WeasyPrint writes the links and bookmarks;
* the **front matter** (cover and contents) is laid out last, with every page number known
  and written in as text (target-counter() laid the contents out three times).

A WeasyPrint finisher (_Stamper) then works on the briefing's pydyf objects before they are
written, so no PDF is parsed again: it draws each chapter page over its running-header copy
as a Form XObject, and writes "Page N of M" on every page but the cover. pypdf takes a
chapter PDF apart once per process (its "kit": the objects its pages need, serialised, with
their references left to be numbered); each briefing copies those bytes. The page numbers
are one line of text made of pieces laid out once per process (PageNumberPieces).

Parsed stylesheets and one FontConfiguration are kept per worker process, and the cyclic
garbage collector is held off while a render runs (see _without_gc_pauses). Everything is
loaded through AssetsOnlyURLFetcher (see fetcher.py); no URL is given to `stylesheets=` and
no attachment is ever added.

Measured (process time, bench/bench_render.py and `make bench`, docs/performance.md): the
13-page demo briefing whose chapter is cached went from about 300 ms to 200, a 28-page
three-chapter one from about 480 to 250; every page is identical to the pixel to what the
earlier renderer drew (one slot page laid out per chapter page, then stamped).
"""

from __future__ import annotations

import copy
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
from pypdf import PageObject, PdfReader
from pypdf.generic import (
    ArrayObject,
    ContentStream,
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
LAYOUT_VERSION = "2"
CHAPTER_CACHE_DIR = "briefings/chapters"
MEMORY_CACHE_SIZE = 64

# Chapters, contacts and sources are laid out once for many briefings, on the personal pages'
# page box but without the top-left box: the briefing's reference is painted under them from
# the personal document's running-header page. Their own section title and confidentiality
# line stay (pdf.css); the page number is written by the finisher.
SHARED_PAGE_CSS = """
@page { @top-left { content: none; border: 0 } }
"""
# Laid-out contacts and sources kept per process (each is one or two pages).
SHARED_PARTS_CACHE_SIZE = 128


@dataclass(frozen=True)
class ChapterPdf:
    key: str
    pdf: bytes
    pages: int
    # Where the chapter and each topic start: (page, x, y), 0-based, in CSS pixels from the
    # page's top left. The briefing's copies of its running header carry them, so the contents'
    # links and the outline land on the heading.
    anchors: dict[str, tuple[int, float, float]]

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
    if kind == "shared-pages":
        return weasyprint.CSS(
            string=SHARED_PAGE_CSS, url_fetcher=fetcher, font_config=font_config()
        )
    return weasyprint.CSS(
        filename=str(assets_root() / "pdf.css"),
        base_url=assets_base_url(),
        url_fetcher=fetcher,
        font_config=font_config(),
    )


def stylesheets(kind: str = "personal") -> list[weasyprint.CSS]:
    if kind in ("chapter", "shared"):
        return [_stylesheet("base"), _stylesheet("shared-pages")]
    return [_stylesheet("base")]


@cache
def renderer_revision() -> str:
    """Changes whenever the chapter's look could: cached chapters are keyed by it."""
    digest = hashlib.sha256()
    digest.update(f"{LAYOUT_VERSION}|{weasyprint.__version__}|{SHARED_PAGE_CSS}".encode())
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
    """Forget the chapters and shared parts this process laid out."""
    with _memory_lock:
        _memory.clear()
    with _shared_lock:
        _shared.clear()


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
    anchors: dict[str, tuple[int, float, float]] = {}
    for index, page in enumerate(document.pages):
        for name, (x, y, _, _) in page.anchors.items():
            anchors.setdefault(name, (index, x, y))
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
    anchors = {name: (int(i), float(x), float(y)) for name, (i, x, y) in meta["anchors"].items()}
    return ChapterPdf(key=key, pdf=pdf, pages=meta["pages"], anchors=anchors)


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
    briefing, starts = _lay_out_briefing(document, placed, use_cache=use_cache)
    stamper = _Stamper(list(zip(starts, placed, strict=True)), page_number_pieces())
    return RenderedBriefing(
        pdf=briefing.write_pdf(finisher=stamper),
        pages=len(briefing.pages),
        chapters_cached=cached,
        chapters_rendered=len(placed) - cached,
    )


# How many pages the front matter (cover and contents) took, by the number of entries in the
# contents and of changes listed: the next briefing of that shape lays it out once.
_front_pages: dict[tuple[int, int], int] = {}


def _lay_out_briefing(
    document: BriefingDocument, placed: list[ChapterPdf], *, use_cache: bool
) -> tuple[weasyprint.Document, list[int]]:
    """Every page of the briefing, and the index of each chapter's first page.

    The trip's own pages (glance, itinerary, checklist) are laid out first, ending with the
    running-header page. Then come the contacts, each chapter and the sources, laid out once
    for many briefings (shared parts and cached chapters), each under a copy of that running
    header. The front matter (cover and contents) is laid out last, with every page number
    written in as text: its own length is taken from the last briefing of the same shape, and
    checked (the contents' height does not depend on its numbers).
    """
    trip = _layout(render_to_string("briefings/pdf/body.html", {"doc": document}), "personal")
    *pages, header = trip.pages
    if "running-header" not in header.anchors:
        raise RuntimeError("the running header is not the personal document's last page")
    contacts = {"contacts": document.contacts, "security_desk": document.security_desk}
    pages += [
        _UnderHeader(page, header)
        for page in _shared_part("briefings/pdf/contacts.html", contacts, use_cache=use_cache)
    ]
    starts: list[int] = []
    for chapter, laid_out in zip(document.chapters, placed, strict=True):
        starts.append(len(pages))
        pages.extend(_chapter_pages(header, chapter, laid_out))
    sources = {"sources": document.sources, "content_versions": document.content_versions}
    pages += [
        _UnderHeader(page, header)
        for page in _shared_part("briefings/pdf/sources.html", sources, use_cache=use_cache)
    ]

    shape = (sum(1 + len(chapter.topics) for chapter in document.chapters), len(document.changes))
    front_count = _front_pages.get(shape, 2)
    for _ in range(3):
        numbers: dict[str, int] = {}
        for index, page in enumerate(pages):
            for name in page.anchors:
                numbers.setdefault(name, front_count + index + 1)
        contents = [
            {
                "chapter": chapter,
                "number": numbers.get(chapter.anchor),
                "topics": [
                    {"group": topic, "number": numbers.get(topic.anchor)}
                    for topic in chapter.topics
                ],
            }
            for chapter in document.chapters
        ]
        front = _layout(
            render_to_string(
                "briefings/pdf/front.html",
                {"doc": document, "chapters": contents, "numbers": numbers},
            ),
            "personal",
        )
        if len(_front_pages) > 256:
            _front_pages.clear()
        _front_pages[shape] = len(front.pages)
        if len(front.pages) == front_count:
            everything = front.copy([*front.pages, *pages])
            return everything, [front_count + start for start in starts]
        front_count = len(front.pages)
    raise RuntimeError("the briefing's front matter did not settle on a page count")


_shared: OrderedDict[str, list[weasyprint.Page]] = OrderedDict()
_shared_lock = threading.Lock()


def _shared_part(template: str, context: dict, *, use_cache: bool) -> list[weasyprint.Page]:
    """The laid-out pages of a part that many briefings share (contacts, sources).

    Its template is given only what the part shows, never the traveller or the trip, so two
    briefings with the same HTML share the pages: kept per process, keyed by that HTML.
    WeasyPrint paints a laid-out page as often as it is asked to.
    """
    html = render_to_string(template, context)
    key = hashlib.sha256(html.encode()).hexdigest()
    if use_cache:
        with _shared_lock:
            hit = _shared.get(key)
            if hit is not None:
                _shared.move_to_end(key)
                return hit
    pages = _layout(html, "shared").pages
    if use_cache:
        with _shared_lock:
            _shared[key] = pages
            while len(_shared) > SHARED_PARTS_CACHE_SIZE:
                _shared.popitem(last=False)
    return pages


class _UnderHeader(weasyprint.Page):
    """A page laid out elsewhere (a shared part), painted over this briefing's running
    header: the same page, with the briefing's reference at its top left."""

    def __init__(self, page: weasyprint.Page, header: weasyprint.Page) -> None:
        # Not Page.__init__: the page is laid out already; take its attributes as they are.
        self.__dict__.update(page.__dict__)
        self._header = header

    def paint(self, stream, scale=1):  # type: ignore[no-untyped-def]
        self._header.paint(stream, scale)
        super().paint(stream, scale)


def _chapter_pages(
    header: weasyprint.Page, chapter: Chapter, laid_out: ChapterPdf
) -> list[weasyprint.Page]:
    """The running-header page once per chapter page, each with the chapter's anchors and
    bookmarks.

    WeasyPrint paints the header on every copy, and writes the anchors (the contents' links
    land on the topic's heading) and the outline from them; the finisher draws the chapter
    page over it. Painting a laid-out page costs a fraction of laying one out.
    """
    copies = []
    for _ in range(laid_out.pages):
        page = copy.copy(header)
        page.anchors, page.links, page.bookmarks = {}, [], []
        page.forms = {None: []}
        copies.append(page)
    for name, (index, x, y) in laid_out.anchors.items():
        copies[index].anchors[name] = (x, y, x, y)
    marks = [(1, chapter.title, chapter.anchor)]
    marks += [(2, topic.label, topic.anchor) for topic in chapter.topics]
    for level, label, anchor in marks:
        index, x, y = laid_out.anchors.get(anchor, (0, 0.0, 0.0))
        copies[index].bookmarks.append((level, label, (x, y), "open"))
    return copies


# --- page numbers ---------------------------------------------------------------------------

PAGE_NUMBER_PIECES = ("Page ", " of ", *"0123456789")
POINTS_PER_CSS_PX = 0.75
POINTS_PER_MM = 72 / 25.4
# pdf.css: A4 with an 18mm right margin; the number ends there.
PAGE_NUMBER_RIGHT = (210 - 18) * POINTS_PER_MM


@dataclass(frozen=True)
class PageNumberPieces:
    """ "Page ", " of " and the ten digits, laid out once per process (pdf.css, .number-piece)
    at the place of the old bottom-right margin box, and taken apart: the operators that place
    and colour the text, each piece's glyphs and width, and the font subset (a kit).

    "Page 12 of 28" is then one text run of the pieces' glyphs, right-aligned at the right
    margin: it reads, selects and extracts as one line. Noto Sans has tabular figures and no
    kerning across these joins, so it sets exactly as the whole string would.
    """

    kit: _ChapterKit
    font: int  # the font's index in the kit
    font_size: bytes
    before_text: bytes  # the transformations and the colour
    text_matrix: tuple[bytes, ...]  # a, b, c, d, y: the horizontal position is ours
    to_text_space: float  # points to text-space units, horizontally
    glyphs: tuple[bytes, ...]
    widths: tuple[float, ...]  # points

    def operators(self, number: int, total: int) -> bytes:
        pieces = [0, *(2 + int(d) for d in str(number)), 1, *(2 + int(d) for d in str(total))]
        start = PAGE_NUMBER_RIGHT - sum(self.widths[piece] for piece in pieces)
        a, b, c, d, y = self.text_matrix
        return b"q %s BT %s %s %s %s %.3f %s Tm /BriefingNumbers %s Tf [%s] TJ ET Q" % (
            self.before_text,
            a,
            b,
            c,
            d,
            start * self.to_text_space,
            y,
            self.font_size,
            b" ".join(self.glyphs[piece] for piece in pieces),
        )


@cache
def page_number_pieces() -> PageNumberPieces:
    html = render_to_string("briefings/pdf/number_pieces.html", {"pieces": PAGE_NUMBER_PIECES})
    document = _layout(html, "personal")
    if len(document.pages) != len(PAGE_NUMBER_PIECES):
        raise RuntimeError("the page-number pieces did not lay out one a page")
    widths = []
    for index, page in enumerate(document.pages):
        start, end = page.anchors[f"piece-{index}"][0], page.anchors[f"piece-{index}-end"][0]
        if start != 0:
            raise RuntimeError("a page-number piece does not start at the page's left edge")
        widths.append((end - start) * POINTS_PER_CSS_PX)
    reader = PdfReader(io.BytesIO(document.write_pdf()))
    texts = [_piece_text(page) for page in reader.pages]
    if len({text[:4] for text in texts}) != 1:
        raise RuntimeError("the page-number pieces are not set alike")
    before_text, text_matrix, font_size, font_name, _ = texts[0]
    resources = reader.pages[0]["/Resources"].get_object()
    fonts = resources.get("/Font") if isinstance(resources, DictionaryObject) else None
    fonts = fonts.get_object() if fonts is not None else None
    if not isinstance(fonts, DictionaryObject):
        raise RuntimeError("the page-number pieces' page names no fonts")
    writer = _KitWriter()
    font = writer.reference(fonts.raw_get(font_name))
    writer.drain()
    return PageNumberPieces(
        kit=_ChapterKit(objects=tuple(writer.objects), forms=(), annotations=()),
        font=font,
        font_size=font_size,
        before_text=before_text,
        text_matrix=text_matrix[:4] + text_matrix[5:],
        to_text_space=1 / _x_scale(before_text),
        glyphs=tuple(text[4] for text in texts),
        widths=tuple(widths),
    )


def _piece_text(page: PageObject) -> tuple[bytes, tuple[bytes, ...], bytes, str, bytes]:
    """The one line of text WeasyPrint drew on a piece's page: the transformations and colour
    before it, its text matrix, font size, font name and glyphs (a TJ array's items)."""
    before: list[bytes] = []
    matrix: tuple[bytes, ...] = ()
    size, name, glyphs = b"", "", b""
    inside = False
    for operands, operator in ContentStream(page.get_contents(), page.pdf).operations:
        if operator == b"BT":
            inside = True
        elif operator == b"ET":
            break
        elif not inside and operator in (b"cm", b"rg"):
            before.append(b" ".join(_pdf_bytes(operand) for operand in operands) + b" " + operator)
        elif inside and operator == b"Tm":
            matrix = tuple(_pdf_bytes(operand) for operand in operands)
        elif inside and operator == b"Tf":
            name, size = str(operands[0]), _pdf_bytes(operands[1])
        elif inside and operator == b"TJ":
            glyphs = b" ".join(_pdf_bytes(item) for item in operands[0])
        elif inside and operator == b"Tj":
            glyphs = _pdf_bytes(operands[0])
    if not (matrix and name and glyphs):
        raise RuntimeError("a page-number piece is not one line of text")
    return b" ".join(before), matrix, size, name, glyphs


def _x_scale(before_text: bytes) -> float:
    """The horizontal scale of the transformations before the text: CSS pixels to points."""
    scale = 1.0
    numbers = before_text.split()
    for at, word in enumerate(numbers):
        if word == b"cm":
            scale *= float(numbers[at - 6])
    return scale


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


class _KitWriter:
    """Serialises objects of a parsed PDF, and every object they reference, into a kit."""

    def __init__(self) -> None:
        self.objects: list[tuple[tuple[bytes | int, ...], bytes | None]] = []
        self._numbers: dict[int, int] = {}
        self._pending: list[tuple[int, PdfObject | None]] = []

    def reserve(self) -> int:
        self.objects.append(((), None))
        return len(self.objects) - 1

    def reference(self, indirect: IndirectObject) -> int:
        if indirect.idnum not in self._numbers:
            self._numbers[indirect.idnum] = self.reserve()
            self._pending.append((self._numbers[indirect.idnum], indirect.get_object()))
        return self._numbers[indirect.idnum]

    def serialise(self, value: PdfObject | None, out: list[bytes | int], skip=()) -> None:
        if isinstance(value, IndirectObject):
            target = value.get_object()
            if isinstance(target, DictionaryObject) and target.get("/Type") in ("/Page", "/Pages"):
                out.append(b"null")  # never drag the source's page tree along
            else:
                out.append(self.reference(value))
        elif isinstance(value, DictionaryObject):
            out.append(b"<<")
            for key, item in dict.items(value):
                if key in skip or (isinstance(value, StreamObject) and key == "/Length"):
                    continue
                out.append(_pdf_bytes(NameObject(key)) + b" ")
                self.serialise(item, out)
                out.append(b"\n")
            out.append(b">>")
        elif isinstance(value, ArrayObject):
            out.append(b"[")
            for item in list.__iter__(value):
                self.serialise(item, out)
                out.append(b" ")
            out.append(b"]")
        elif value is None:
            out.append(b"null")
        else:
            out.append(_pdf_bytes(value))

    def drain(self) -> None:
        while self._pending:
            index, value = self._pending.pop()
            out: list[bytes | int] = []
            stream = None
            if isinstance(value, StreamObject):
                stream = _raw_stream_data(value)
                self.serialise(value, out)
                out.insert(-1, b"/Length %d\n" % len(stream))
            else:
                self.serialise(value, out)
            self.objects[index] = (tuple(out), stream)


def _chapter_kit(pdf: bytes) -> _ChapterKit:
    reader = PdfReader(io.BytesIO(pdf))
    writer = _KitWriter()
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
        writer.serialise(page.mediabox, head)
        head.append(b" /Resources ")
        writer.serialise(dict.get(page, "/Resources"), head)
        stream = zlib.compress(data)
        head.append(b" /Filter /FlateDecode /Length %d>>" % len(stream))
        form = writer.reserve()
        writer.objects[form] = (tuple(head), stream)
        page_links: list[int] = []
        for annotation in list.__iter__(page.get("/Annots") or ArrayObject()):
            target = annotation.get_object()
            index = writer.reserve()
            out: list[bytes | int] = []
            writer.serialise(target, out, skip=("/P",))  # the chapter page is not in the briefing
            writer.objects[index] = (tuple(out), None)
            page_links.append(index)
        forms.append(form)
        annotations.append(tuple(page_links))
        writer.drain()
    return _ChapterKit(
        objects=tuple(writer.objects), forms=tuple(forms), annotations=tuple(annotations)
    )


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


# The releases whose internals _Stamper and _chapter_pages were checked against:
# `pdf.pages["Kids"]` holding three items a page (number, generation, "R"), `pdf.objects`
# indexed by object number, page content streams as lists of bytes, the finisher called with
# (document, pdf), and a `Page`'s `anchors` ((x1, y1, x2, y2) in CSS pixels), `bookmarks`
# ((level, label, (x, y), state)), `links` and `forms`, painted from its laid-out box.
# pyproject.toml allows these ranges; tests/briefings/test_renderer_internals.py fails on any
# other release until the stamping is checked again.
CHECKED_WEASYPRINT = ("70",)
CHECKED_PYDYF = ("0.11", "0.12", "0.13")


class _Stamper:
    """A WeasyPrint finisher: draws each chapter page over its running-header copy (a Form
    XObject), and writes "Page N of M" on every page but the cover.

    Runs on the briefing's pydyf objects before they are written, so no PDF is parsed again:
    the chapters' objects and the page numbers' font are copied from their kits (taken apart
    once per process).
    """

    def __init__(self, chapters: list[tuple[int, ChapterPdf]], pieces: PageNumberPieces) -> None:
        self.chapters = chapters
        self.pieces = pieces

    def __call__(self, document: weasyprint.Document, pdf: pydyf.PDF) -> None:
        kids = pdf.pages["Kids"][::3]
        stamps: dict[int, list[bytes]] = {index: [] for index in range(len(kids))}
        annotations: dict[int, list[bytes]] = {}
        xobjects: dict[str, bytes] = {}

        for number, (first_index, laid_out) in enumerate(self.chapters):
            copied = _copy_kit(pdf, laid_out.kit)
            for offset, form in enumerate(laid_out.kit.forms):
                name = f"BriefingChapter{number}p{offset}"
                xobjects[name] = b"%d 0 R" % copied[form]
                # In the default coordinate system, under the page's own drawing (header).
                stamps[first_index + offset].append(f"q /{name} Do Q".encode())
                annotations[first_index + offset] = [
                    b"%d 0 R" % copied[index] for index in laid_out.kit.annotations[offset]
                ]

        font = b"%d 0 R" % _copy_kit(pdf, self.pieces.kit)[self.pieces.font]
        for index in range(1, len(kids)):  # the cover has no number
            stamps[index].append(self.pieces.operators(index + 1, len(kids)))

        with_stamps: dict[bytes, bytes] = {}
        for index, reference in enumerate(kids):
            if not stamps[index]:
                continue
            page = pdf.objects[reference]
            shared = page["Resources"]
            if shared not in with_stamps:
                resources = pydyf.Dictionary(pdf.objects[_number(shared)])
                own = resources.get("XObject", {})
                if isinstance(own, bytes):
                    own = pdf.objects[_number(own)]
                resources["XObject"] = pydyf.Dictionary({**own, **xobjects})
                fonts = resources.get("Font", {})
                if isinstance(fonts, bytes):
                    fonts = pdf.objects[_number(fonts)]
                resources["Font"] = pydyf.Dictionary({**fonts, "BriefingNumbers": font})
                pdf.add_object(resources)
                with_stamps[shared] = resources.reference
            page["Resources"] = with_stamps[shared]
            # Before the page's first transformation, in the default coordinate system.
            content = pdf.objects[_number(page["Contents"])]
            content.stream.insert(0, b" ".join(stamps[index]))
            if annotations.get(index):
                page.setdefault("Annots", pydyf.Array()).extend(annotations[index])


def _copy_kit(pdf: pydyf.PDF, kit: _ChapterKit) -> list[int]:
    """Add a kit's objects to the PDF being written; their object numbers, by kit index."""
    numbers: list[int] = []
    for index in range(len(kit.objects)):
        copied = _CopiedObject(kit, index, numbers)
        pdf.add_object(copied)
        numbers.append(copied.number)
    return numbers


def _number(reference: bytes) -> int:
    return int(reference.split()[0])


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
