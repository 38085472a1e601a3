"""The renderer stamps cached chapter pages into WeasyPrint's PDF objects through a finisher,
which leans on pydyf's and WeasyPrint's internals. This pins the releases that use was checked
against and checks the shapes it relies on, so an upgrade fails here, with a reason, rather
than producing briefings with blank chapter pages."""

from __future__ import annotations

import pydyf
import weasyprint

from briefings import rendering


def _release(version: str, parts: int) -> str:
    return ".".join(version.split(".")[:parts])


def test_the_installed_weasyprint_is_one_the_stamping_was_checked_against():
    assert _release(weasyprint.__version__, 1) in rendering.CHECKED_WEASYPRINT, (
        f"WeasyPrint {weasyprint.__version__}: re-check briefings.rendering._Stamper "
        "against its finisher and PDF objects, then add the release to CHECKED_WEASYPRINT"
    )


def test_the_installed_pydyf_is_one_the_stamping_was_checked_against():
    assert _release(pydyf.__version__, 2) in rendering.CHECKED_PYDYF, (
        f"pydyf {pydyf.__version__}: re-check briefings.rendering._Stamper and _CopiedObject, "
        "then add the release to CHECKED_PYDYF"
    )


def test_the_finisher_sees_the_pdf_objects_the_stamper_relies_on():
    seen = {}

    def finisher(document, pdf):
        kids = pdf.pages["Kids"]
        seen["pages"] = len(document.pages)
        seen["kids"] = len(kids)
        page = pdf.objects[int(kids[0])]
        seen["page_type"] = page["Type"]
        content = pdf.objects[int(page["Contents"].split()[0])]
        seen["stream_is_list"] = isinstance(content.stream, list)
        seen["resources_is_reference"] = isinstance(page["Resources"], bytes)

    html = "<p>one</p><p style='break-before: page'>two</p>"
    weasyprint.HTML(string=html).write_pdf(finisher=finisher)
    assert seen == {
        "pages": 2,
        "kids": 6,  # number, generation, "R" for each page
        "page_type": "/Page",
        "stream_is_list": True,
        "resources_is_reference": True,
    }


def test_a_laid_out_page_carries_the_attributes_its_copies_are_given():
    html = (
        "<h1 id='top' style='bookmark-level: 1'>Title</h1>"
        "<a href='#top'>back</a><p style='break-before: page'>two</p>"
    )
    page = weasyprint.HTML(string=html).render().pages[0]

    x1, y1, x2, y2 = page.anchors["top"]
    [(level, label, (x, y), state)] = page.bookmarks
    assert (level, label, state) == (1, "Title", "open")
    assert all(isinstance(value, float | int) for value in (x1, y1, x2, y2, x, y))
    assert [link[0] for link in page.links] == ["internal"]
    assert page.forms == {None: []}
