"""The briefing's itinerary page carries a small SVG map of the trip's stops and its route,
drawn from the Natural Earth outlines the portal ships, with nothing fetched; the pages shared
between briefings are untouched."""

import io
import re

import pytest
from django.core.files.storage import storages
from django.template.loader import render_to_string
from pypdf import PdfReader

from briefings import services
from briefings.itinerary_map import MapStop, itinerary_svg, outlines
from briefings.selectors import briefing_document
from tests.briefings.content import approved_trip, publish_kz

pytestmark = pytest.mark.django_db

ALMATY = {"latitude": 43.2567, "longitude": 76.9286, "location_source": "place"}
BAIKONUR = {
    "latitude": 45.6167,
    "longitude": 63.3167,
    "location_source": "gazetteer",
    "location_approximate": True,
}


def locate(trip, *points):
    for stop, point in zip(trip.stops.order_by("position"), points, strict=True):
        for name, value in point.items():
            setattr(stop, name, value)
        stop.save()
    return trip


def rendered_html(trip) -> str:
    briefing = services.briefing_request(trip=trip, reason="approved")
    document = briefing_document(briefing=briefing)
    return render_to_string("briefings/pdf/body.html", {"doc": document})


def itinerary_page(briefing) -> tuple[str, bytes]:
    with storages["private"].open(briefing.file_name) as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    for page in reader.pages:
        text = page.extract_text()
        if "ITINERARY" in text.upper() and "NIGHTS" in text.upper():
            return text, page.get_contents().get_data()
    raise AssertionError("no itinerary page")


def test_the_itinerary_page_draws_each_country_around_the_stops_a_marker_per_stop_and_the_route(
    django_capture_on_commit_callbacks,
):
    trip = locate(approved_trip(), ALMATY, BAIKONUR)
    with django_capture_on_commit_callbacks():
        html = rendered_html(trip)
    svg = html[html.index("<svg") : html.index("</svg>")]
    countries = re.findall(r'<path[^>]* data-country="([^"]+)"', svg)
    assert {"Kazakhstan", "Uzbekistan", "Kyrgyzstan"} <= set(countries)
    assert "France" not in countries  # only what is around the stops
    assert len(re.findall(r'<path class="country visited"', svg)) == 1  # Kazakhstan, shaded
    assert re.findall(r"<text [^>]*>(\d+)</text>", svg) == ["1", "2"]
    assert svg.count('<g class="stop approximate">') == 1  # Baikonur, from the gazetteer
    assert '<polyline class="route"' in svg


def test_the_pdf_has_the_map_drawn_as_vector_paths_on_its_itinerary_page(
    django_capture_on_commit_callbacks,
):
    plain = approved_trip()
    mapped = locate(approved_trip(), ALMATY, BAIKONUR)
    pages = {}
    for name, trip in (("plain", plain), ("mapped", mapped)):
        with django_capture_on_commit_callbacks(execute=True):
            briefing = services.briefing_request(trip=trip, reason="approved")
        briefing.refresh_from_db()
        assert briefing.status == "ready", briefing.error
        pages[name] = itinerary_page(briefing)
    # Kazakhstan's outline alone is hundreds of line segments ("x y l"), none without the map.
    lines = {
        name: len(re.findall(rb"[\d.]+ [\d.-]+ l\b", data)) for name, (_, data) in pages.items()
    }
    assert lines["mapped"] > lines["plain"] + 200
    assert "Almaty" in pages["mapped"][0] and "Baikonur" in pages["mapped"][0]


def test_a_stop_without_coordinates_is_named_under_the_map(django_capture_on_commit_callbacks):
    trip = locate(approved_trip(), ALMATY, {})
    with django_capture_on_commit_callbacks():
        html = rendered_html(trip)
    assert "<svg" in html
    assert "Not on the map (place unknown): 2. Baikonur." in html


def test_a_trip_with_no_coordinates_has_no_map(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        html = rendered_html(approved_trip())
    assert "<svg" not in html


def test_the_outlines_are_every_natural_earth_country_read_from_the_vendored_file():
    countries = {outline.name: outline for outline in outlines()}
    assert len(countries) > 200
    kazakhstan = countries["Kazakhstan"]
    assert kazakhstan.numeric == "398"
    assert 46 < kazakhstan.west < 47 and 87 < kazakhstan.east < 88


def test_names_in_the_drawing_are_escaped():
    svg = itinerary_svg(
        [MapStop(number=1, latitude=43.2, longitude=76.9, approximate=False, country="KZ")],
        title='<script>alert("x")</script>',
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_briefings_with_different_maps_share_the_cached_chapter(
    django_capture_on_commit_callbacks,
):
    from briefings.rendering import render_briefing_pdf

    version = publish_kz()
    near = locate(approved_trip(version=version), ALMATY, BAIKONUR)
    far = locate(approved_trip(version=version), ALMATY, {})
    rendered = []
    for trip in (near, far):
        with django_capture_on_commit_callbacks():
            briefing = services.briefing_request(trip=trip, reason="approved")
        rendered.append(render_briefing_pdf(briefing_document(briefing=briefing)))
    # The map is on the trip's own pages: the country's chapter is laid out once for both.
    assert (rendered[0].chapters_rendered, rendered[0].chapters_cached) == (1, 0)
    assert (rendered[1].chapters_rendered, rendered[1].chapters_cached) == (0, 1)
