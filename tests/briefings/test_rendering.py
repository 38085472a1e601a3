import datetime as dt
import io
import re
import socket
import threading

import pytest
from django.core.files.storage import storages
from pypdf import PdfReader

from briefings import rendering, selectors, services
from briefings.fetcher import AssetsOnlyURLFetcher, RefusedURL
from briefings.models import Briefing, BriefingStatus
from briefings.selectors import Chapter, SectionView, TopicView
from core.lib.markdown import render_markdown
from tests.briefings.content import REQUIREMENTS, approved_trip, publish_kz
from tests.factories import StopFactory, employee

pytestmark = pytest.mark.django_db


def render(trip, capture) -> Briefing:
    with capture(execute=True):
        briefing = services.briefing_request(trip=trip, reason="approved")
    briefing.refresh_from_db()
    return briefing


def pdf_pages(briefing: Briefing) -> list[str]:
    with storages["private"].open(briefing.file_name) as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return [page.extract_text() for page in reader.pages]


def test_the_pdf_names_the_traveller_the_places_every_requirement_and_the_sources(
    django_capture_on_commit_callbacks,
):
    trip = approved_trip()
    briefing = render(trip, django_capture_on_commit_callbacks)

    assert briefing.status == BriefingStatus.READY, briefing.error
    text = "\n".join(pdf_pages(briefing))
    assert "Aigerim Testova" in text
    assert "Almaty" in text and "Baikonur" in text and "Kazakhstan" in text
    for requirement in REQUIREMENTS:
        assert requirement["title"] in text
        if requirement["due_date"]:
            # Dates read as on the pages: "Fri 5 Mar 2027", never "2027-03-05".
            due = dt.date.fromisoformat(requirement["due_date"])
            assert f"{due:%a} {due.day} {due:%b %Y}" in text
            assert requirement["due_date"] not in text
    assert "No deadline" in text and "Before travel" not in text
    assert "Migration police" in text
    assert "112" in text and "102" in text
    assert "Sources and content versions" in text
    assert "Kazakhstan, version 1" in text
    assert "Police, identity checks and traffic stops" in text  # a matched advisory section


def test_page_numbers_headers_and_contents_stay_right_around_the_stamped_chapter(
    django_capture_on_commit_callbacks,
):
    briefing = render(approved_trip(), django_capture_on_commit_callbacks)
    pages = pdf_pages(briefing)
    total = len(pages)

    assert briefing.page_count == total
    for number, text in enumerate(pages[1:], start=2):  # the cover has no number
        assert f"Page {number} of {total}" in text
    chapter_page = next(
        i for i, text in enumerate(pages, start=1) if "COUNTRY ADVISORY" in text.upper()
    )
    sources_page = next(
        i for i, text in enumerate(pages, start=1) if "PUBLISHER AND TITLE" in text.upper()
    )
    with storages["private"].open(briefing.file_name) as handle:
        contents = (
            PdfReader(io.BytesIO(handle.read())).pages[1].extract_text(extraction_mode="layout")
        )
    assert re.search(rf"Kazakhstan: travel advice\s+{chapter_page}\n", contents)
    assert re.search(rf"Sources and content versions\s+{sources_page}\n", contents)
    # The chapter pages carry the running header of the chapter.
    assert "Kazakhstan: travel advice" in pages[chapter_page - 1]


def document(trip):
    briefing = Briefing.objects.create(
        trip=trip,
        version=1,
        reason="approved",
        content_versions=dict(trip.assessments.first().content_versions),
    )
    return selectors.briefing_document(briefing=briefing)


def test_pages_laid_out_once_for_many_briefings_name_each_briefing_at_the_top():
    # Two travellers to the same places get the same contacts, chapter and sources, laid out
    # once; every page still carries its own briefing's reference and no one else's name.
    first = rendering.render_briefing_pdf(document(approved_trip()))
    other = employee(first_name="Bolat", last_name="Seitkali")
    trip = approved_trip(traveller=other)
    other.profile.emergency_contact_name = "Dana Seitkali"
    other.profile.emergency_contact_phone = "+44 20 7946 0000"
    other.profile.save()
    second = rendering.render_briefing_pdf(document(trip))

    for rendered, name, stranger in (
        (first, "Aigerim Testova", "Seitkali"),
        (second, "Bolat Seitkali", "Testova"),
    ):
        pages = [page.extract_text() for page in PdfReader(io.BytesIO(rendered.pdf)).pages]
        shared = [
            next(text for text in pages if marker in text.upper())
            for marker in ("SAVE THESE NUMBERS", "COUNTRY ADVISORY", "PUBLISHER AND TITLE")
        ]
        for text in shared:
            assert f"Pre-travel briefing · {name} · Trip #" in text
            assert stranger not in text
    # The traveller's own emergency contact is on their trip-at-a-glance page.
    glance = next(
        text
        for text in (p.extract_text() for p in PdfReader(io.BytesIO(second.pdf)).pages)
        if "Passport" in text
    )
    assert "Dana Seitkali" in glance and "+44 20 7946 0000" in glance


def test_a_country_chapter_is_laid_out_once_per_content_version_and_reused():
    version = publish_kz()
    first = document(approved_trip(version=version))
    second = document(
        approved_trip(version=version, traveller=employee(first_name="Second", last_name="Person"))
    )

    assert rendering.render_briefing_pdf(first).chapters_cached == 0
    rendering.clear_memory_cache()
    reused = rendering.render_briefing_pdf(second)
    assert reused.chapters_cached == 1  # from the private storage, laid out for the first
    assert rendering.render_briefing_pdf(first).chapters_cached == 1  # now from memory

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(reused.pdf)).pages)
    assert "Second Person" in text and "Aigerim Testova" not in text

    # Another content version, or other matched sections: another layout.
    assert (
        rendering.render_briefing_pdf(
            document(approved_trip(version=publish_kz(level=3)))
        ).chapters_cached
        == 0
    )
    keys = [s["key"] for s in version.content["advisory"]["sections"]][:3]
    assert (
        rendering.render_briefing_pdf(
            document(approved_trip(version=version, section_keys=keys))
        ).chapters_cached
        == 0
    )


def test_the_stamped_chapter_keeps_its_text_and_links_in_a_well_formed_pdf(
    django_capture_on_commit_callbacks,
):
    section = {
        "key": "kz-linked",
        "topic": "crime",
        "heading": "Linked section",
        "body": "See [the embassy page](https://example.org/embassy) before you go.",
        "level": None,
        "places": [],
        "activities": [],
        "months": [],
        "source": None,
    }
    version = publish_kz(extra_sections=[section])
    briefing = render(
        approved_trip(version=version, section_keys=["kz-linked"]),
        django_capture_on_commit_callbacks,
    )
    with storages["private"].open(briefing.file_name) as handle:
        reader = PdfReader(io.BytesIO(handle.read()), strict=True)

    pages = [page.extract_text() for page in reader.pages]
    chapter_page = next(i for i, text in enumerate(pages) if "Linked section" in text)
    assert f"Page {chapter_page + 1} of {len(pages)}" in pages[chapter_page]
    uris = [
        annotation.get_object()["/A"]["/URI"]
        for annotation in reader.pages[chapter_page].get("/Annots") or []
        if "/A" in annotation.get_object()
    ]
    assert uris == ["https://example.org/embassy"]
    # The chapter's objects were copied, not its page tree: still one page per page.
    assert len(reader.pages) == briefing.page_count


def contents_lines(pdf: bytes, pages: range) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [
        line
        for index in pages
        for line in reader.pages[index].extract_text(extraction_mode="layout").splitlines()
    ]


def test_every_contents_entry_names_the_page_it_links_to():
    rendered = rendering.render_briefing_pdf(document(approved_trip()))
    reader = PdfReader(io.BytesIO(rendered.pdf))
    # Where each internal link of the contents lands (a link is one annotation per box).
    targets: dict[str, int] = {}
    for annotation in reader.pages[1].get("/Annots") or []:
        link = annotation.get_object()
        if "/Dest" in link:
            destination = reader.named_destinations[str(link["/Dest"])]
            targets.setdefault(
                str(link["/Dest"]), reader.get_destination_page_number(destination) + 1
            )
    numbers = [
        int(match.group(1))
        for line in contents_lines(rendered.pdf, range(1, 2))
        if (match := re.search(r"\s(\d+)$", line)) and "Page " not in line
    ]
    assert len(targets) >= 7  # four parts, the chapter and its topics, the sources
    assert numbers == list(targets.values())


def test_the_outline_leads_to_every_part_the_chapter_and_each_topic_on_its_page():
    doc = document(approved_trip())
    rendered = rendering.render_briefing_pdf(doc)
    reader = PdfReader(io.BytesIO(rendered.pdf))
    pages = [page.extract_text() for page in reader.pages]

    def entries(items, depth=0):
        for item in items:
            if isinstance(item, list):
                yield from entries(item, depth + 1)
            else:
                yield depth, item.title, reader.get_destination_page_number(item) + 1

    outline = list(entries(reader.outline))
    top = [title for depth, title, _ in outline if depth == 0]
    chapter = doc.chapters[0]
    assert (
        top.index("Emergency contacts")
        < top.index(chapter.title)
        < top.index("Sources and content versions")
    )
    at = {title: page for depth, title, page in outline if depth == 0}
    assert "COUNTRY ADVISORY" in pages[at[chapter.title] - 1].upper()
    topics = outline[[title for _, title, _ in outline].index(chapter.title) + 1 :]
    topics = topics[: len(chapter.topics)]
    assert [title for _, title, _ in topics] == [topic.label for topic in chapter.topics]
    for depth, label, page in topics:
        assert depth == 1
        assert label in pages[page - 1]  # the topic's heading is on the page it leads to


def test_contents_longer_than_a_page_keeps_every_number_right():
    doc = document(approved_trip())
    doc.changes = [f"Change {n} to this briefing, explained at some length." for n in range(80)]
    for _ in range(2):  # the first guesses the pages the contents takes; the second knows
        rendered = rendering.render_briefing_pdf(doc)
        reader = PdfReader(io.BytesIO(rendered.pdf))
        pages = [page.extract_text() for page in reader.pages]
        total = len(pages)

        assert rendered.pages == total
        glance_page = next(i for i, text in enumerate(pages, start=1) if "Passport" in text)
        assert glance_page >= 4  # the contents runs over two pages at least
        for number, text in enumerate(pages[1:], start=2):
            assert f"Page {number} of {total}" in text
        sources_page = next(
            i for i, text in enumerate(pages, start=1) if "PUBLISHER AND TITLE" in text.upper()
        )
        chapter_page = next(
            i for i, text in enumerate(pages, start=1) if "COUNTRY ADVISORY" in text.upper()
        )
        contents = "\n".join(contents_lines(rendered.pdf, range(1, glance_page - 1)))
        assert re.search(rf"Your trip at a glance\s+{glance_page}\n", contents)
        assert re.search(rf"Kazakhstan: travel advice\s+{chapter_page}\n", contents)
        assert re.search(rf"Sources and content versions\s+{sources_page}\n", contents)
        assert "Kazakhstan: travel advice" in pages[chapter_page - 1]


def test_a_half_written_cached_chapter_is_laid_out_again(django_capture_on_commit_callbacks):
    briefing = render(approved_trip(), django_capture_on_commit_callbacks)
    document = selectors.briefing_document(briefing=briefing)
    key = document.chapters[0].cache_key(rendering.renderer_revision())
    storage = storages["private"]
    pdf_name = f"{rendering.CHAPTER_CACHE_DIR}/{key}.pdf"
    storage.delete(pdf_name)
    storage.save(pdf_name, io.BytesIO(b"%PDF-1.7 truncated"))
    rendering.clear_memory_cache()

    assert rendering.render_briefing_pdf(document).chapters_cached == 0


def test_a_country_without_a_published_advisory_says_so(django_capture_on_commit_callbacks):
    trip = approved_trip(requirements=[])
    trip.assessments.update(content_versions={})
    briefing = render(trip, django_capture_on_commit_callbacks)
    text = "\n".join(pdf_pages(briefing))
    assert briefing.status == BriefingStatus.READY
    assert "No published advisory" in text
    assert "No entry, visa or registration requirement applies" in text


# --- safety ------------------------------------------------------------------------------------


class Listener:
    """A TCP listener on 127.0.0.1 that counts the connections it receives."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


def hostile(port: int) -> str:
    return "\n\n".join(
        [
            f'<img src="http://127.0.0.1:{port}/x">',
            "![passwd](file:///etc/passwd)",
            f"![remote](http://127.0.0.1:{port}/md.png)",
            '<link rel="attachment" href="file:///etc/passwd">',
            f"<style>@import url(http://127.0.0.1:{port}/a.css);</style>",
            "<script>document.write('owned')</script>",
            '<a rel="attachment" href="file:///etc/passwd">passwd</a>',
            f"[a link](http://127.0.0.1:{port}/link) stays a link, never fetched.",
        ]
    )


def assert_no_attachment(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments == {}
    names = reader.trailer["/Root"].get("/Names")
    assert names is None or "/EmbeddedFiles" not in names.get_object()
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            assert annotation.get_object().get("/Subtype") != "/FileAttachment"
    assert b"root:x:0:0" not in pdf


def test_hostile_advisory_content_fetches_nothing_and_attaches_nothing(
    listener, django_capture_on_commit_callbacks
):
    section = {
        "key": "kz-hostile",
        "topic": "crime",
        "heading": f'<img src="http://127.0.0.1:{listener.port}/heading">Hostile heading',
        "body": hostile(listener.port),
        "level": None,
        "places": [],
        "activities": [],
        "months": [],
        "source": None,
    }
    version = publish_kz(extra_sections=[section])
    trip = approved_trip(version=version, section_keys=["kz-hostile"])
    trip.assessments.update(explanation=['<link rel="attachment" href="file:///etc/passwd">'])

    briefing = render(trip, django_capture_on_commit_callbacks)

    assert briefing.status == BriefingStatus.READY, briefing.error
    with storages["private"].open(briefing.file_name) as handle:
        pdf = handle.read()
    assert_no_attachment(pdf)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    # Raw HTML in Markdown stays inert text (markdown-it escapes it); headings are escaped.
    assert "Hostile heading" in text
    assert "<script>document.write('owned')</script>" in text
    assert listener.connections == 0


def test_the_fetcher_refuses_everything_but_our_assets_even_in_raw_html(listener):
    # Past the sanitiser: were hostile HTML ever to reach the layout, the fetcher still holds.
    port = listener.port
    html = f"""<html><head>
      <link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">
      <link rel="attachment" href="file:///etc/passwd" title="passwd">
      <link rel="attachment" href="http://127.0.0.1:{port}/att">
      <style>@import url(http://127.0.0.1:{port}/a.css);
        @font-face {{ font-family: X; src: url(http://127.0.0.1:{port}/f.woff) }}
        body {{ background: url(http://127.0.0.1:{port}/bg.png); font-family: X }}</style>
      </head><body>
      <img src="http://127.0.0.1:{port}/x"><img src="file:///etc/passwd">
      <img src="../../portal/settings.py"><object data="http://127.0.0.1:{port}/o"></object>
      <a rel="attachment" href="file:///etc/passwd">attached?</a>
      <iframe src="http://127.0.0.1:{port}/frame"></iframe>
      <img src="mark.svg"><p>Rendered anyway.</p></body></html>"""

    pdf = rendering.html_to_pdf(html)

    assert "Rendered anyway." in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert_no_attachment(pdf)
    assert listener.connections == 0


def test_the_fetcher_serves_our_assets_and_data_urls_only(settings):
    fetcher = AssetsOnlyURLFetcher()
    root = rendering.assets_root()
    assert fetcher.fetch((root / "mark.svg").as_uri()).read().startswith(b"<svg")
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
    for url in [
        "file:///etc/passwd",
        root.as_uri() + "/../../portal/settings.py",
        "file://evil.example/" + str(root / "mark.svg"),
        "http://127.0.0.1:9/x",
        "https://example.org/x.png",
        "ftp://example.org/x",
        "javascript:alert(1)",
    ]:
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)


def test_two_countries_get_two_chapters_in_itinerary_order_with_the_right_numbers(
    django_capture_on_commit_callbacks,
):
    from advisories.models import AdvisoryVersion, Country
    from tests.factories import StopFactory

    uzbekistan = Country.objects.get(code="UZ")
    snapshot = {
        "code": "UZ",
        "advisory": {
            "level": 3,
            "summary": "Uzbekistan summary for tests.",
            "sections": [
                {
                    "key": "uz-crime",
                    "topic": "crime",
                    "heading": "Uzbek crime note",
                    "body": "Mind your bag.",
                    "level": None,
                    "places": [],
                    "source": "uz-src",
                },
            ],
        },
        "places": [],
        "emergency_contacts": [{"label": "Ambulance", "number": "103", "place": None}],
        "rules": [],
        "sources": [
            {
                "key": "uz-src",
                "publisher": "Uzbek Publisher",
                "title": "UZ advice",
                "url": "https://example.org/uz",
                "retrieved": "2026-10-01",
            }
        ],
    }
    version = AdvisoryVersion.objects.create(
        country=uzbekistan, number=1, change_note="t", level=3, content=snapshot, content_hash="uz"
    )
    trip = approved_trip()
    StopFactory(trip=trip, position=2, country=uzbekistan, place_text="Tashkent")
    assessment = trip.assessments.first()
    assessment.content_versions = {**assessment.content_versions, "UZ": version.number}
    assessment.sections = [
        *assessment.sections,
        {
            "stop_index": 2,
            "country": "UZ",
            "place": None,
            "key": "uz-crime",
            "topic": "crime",
            "heading": "Uzbek crime note",
            "level": None,
        },
    ]
    assessment.save()

    briefing = render(trip, django_capture_on_commit_callbacks)
    pages = pdf_pages(briefing)
    kz = next(
        i for i, t in enumerate(pages, 1) if "Kazakhstan\n" in t and "COUNTRY ADVISORY" in t.upper()
    )
    uz = next(i for i, t in enumerate(pages, 1) if "Uzbek crime note" in t)
    assert kz < uz
    assert "Uzbekistan: travel advice" in pages[uz - 1]  # running header of its slot
    assert f"Page {uz} of {len(pages)}" in pages[uz - 1]
    text = "\n".join(pages)
    assert "103" in text and "Uzbek Publisher" in text and "Uzbekistan, version 1" in text


# --- what the reader sees on the personal pages and in the chapter ----------------------------


def flat(text: str) -> str:
    return " ".join(text.split())


def glance_page(briefing: Briefing) -> str:
    return next(flat(t) for t in pdf_pages(briefing) if "Why this level" in t)


def test_the_glance_card_says_nothing_is_dated_rather_than_none(
    django_capture_on_commit_callbacks,
):
    undated = [r for r in REQUIREMENTS if r["due_date"] is None]
    briefing = render(approved_trip(requirements=undated), django_capture_on_commit_callbacks)
    glance = glance_page(briefing)
    assert "FIRST DUE Nothing dated" in glance
    assert "None" not in glance


def test_the_itinerary_names_activities_by_their_labels(django_capture_on_commit_callbacks):
    from advisories.models import Activity

    Activity.objects.update_or_create(code="driving", defaults={"label": "Driving a vehicle"})
    briefing = render(approved_trip(), django_capture_on_commit_callbacks)
    glance = glance_page(briefing)
    assert "Driving a vehicle" in glance
    assert not re.search(r"\bdriving\b", glance)


def test_the_document_loads_activity_labels_in_a_constant_number_of_queries(
    django_assert_num_queries,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from advisories.models import Activity

    codes = ["driving", "trekking", "drone", "nightlife", "photography"]
    for code in codes:
        Activity.objects.update_or_create(code=code, defaults={"label": f"Label of {code}"})
    version = publish_kz()
    small = approved_trip(version=version)
    with CaptureQueriesContext(connection) as one:
        document(small)
    big = approved_trip(version=version)
    for offset, code in enumerate(codes):
        StopFactory(
            trip=big,
            position=2 + offset,
            place_text="Astana",
            arrival=big.last_departure,
            departure=big.last_departure,
            activities=[code, "driving"],
        )
    with django_assert_num_queries(len(one)):
        doc = document(big)
    assert [s["activity_labels"] for s in doc.stops][-1] == [
        "Label of photography",
        "Label of driving",
    ]


def chapter_with_a_section_after(points: int) -> Chapter:
    """A section with a heading, an "Applies to" line and a body, pushed down the page by a
    first section of `points` bullet points."""
    filler = SectionView(
        key="filler",
        topic="security",
        heading="Security overview",
        body_html=render_markdown("\n".join(f"- Point number {i}." for i in range(points))),
        level=None,
        places=(),
        source_key=None,
    )
    target = SectionView(
        key="target",
        topic="security",
        heading="Closed areas need a permit",
        body_html=render_markdown("Permits take weeks to obtain from three authorities."),
        level=4,
        places=("Baikonur", "Priozersk"),
        source_key=None,
    )
    topic = TopicView("security", "Security", "topic-KZ-security", (filler, target))
    return Chapter("KZ", "Kazakhstan", 1, None, 2, "Summary.", (topic,))


def test_a_section_heading_and_its_applies_line_stay_with_the_body():
    """Wherever the page ends, the heading, "Applies to" and the first words of the body are
    read on one page: never a heading alone at the bottom of a page."""
    pages_seen = set()
    for points in range(22, 42):  # the section crosses the end of the first page
        laid_out, _ = rendering.chapter_pdf(chapter_with_a_section_after(points), use_cache=False)
        pages = [flat(p.extract_text()) for p in PdfReader(io.BytesIO(laid_out.pdf)).pages]

        def page_of(text: str, pages=pages) -> int:
            (index,) = [i for i, page in enumerate(pages) if text in page]
            return index

        heading = page_of("Closed areas need a permit")
        assert page_of("Applies to: Baikonur") == heading, points
        assert page_of("Permits take weeks") == heading, points
        pages_seen.add(heading)
    assert pages_seen == {0, 1}  # the sweep did cross the page boundary
