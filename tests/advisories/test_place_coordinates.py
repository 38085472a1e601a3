"""A curated place's coordinates: checked in a content pack with their JSON paths, imported,
published and exported unchanged, and refused half given in the admin."""

import copy

import pytest
from django.core.exceptions import ValidationError

from advisories.models import Place
from advisories.packs import PackError, pack_export, pack_import, pack_validate
from tests.advisories.helpers import content_of
from tests.factories import content_pack, country

pytestmark = pytest.mark.django_db


def pack_with_place(**place) -> dict:
    """The small pack, its capital (which its sections name) placed as told."""
    pack = content_pack("MN")
    pack["countries"][0]["places"][0].update(place)
    return pack


def test_bad_coordinates_are_errors_with_their_json_paths_and_nothing_is_written():
    pack = content_pack("MN")
    pack["countries"][0]["places"] = [
        {"name": "North", "latitude": 91, "longitude": 10},
        {"name": "Half", "latitude": 47.9},
        {"name": "Text", "latitude": "47.9", "longitude": 106.9},
    ]
    errors = pack_validate(pack)
    assert "countries[0].places[0].latitude: must be from -90 to 90 degrees, not 91" in errors
    assert "countries[0].places[1].longitude: is required with the latitude" in errors
    assert any(e.startswith("countries[0].places[2].latitude: must be a number") for e in errors)
    with pytest.raises(PackError):
        pack_import(pack)
    assert not Place.objects.filter(name__in=["North", "Half", "Text"]).exists()


def test_coordinates_are_imported_published_and_exported_unchanged():
    pack_import(pack_with_place(latitude=47.9184, longitude=106.9177))
    place = Place.objects.get(name="Capital City")
    assert (place.latitude, place.longitude) == (47.9184, 106.9177)

    exported = pack_export()
    entry = exported["countries"][0]["places"][0]
    assert (entry["latitude"], entry["longitude"]) == (47.9184, 106.9177)
    again = pack_import(copy.deepcopy(exported))
    assert again.published == []
    assert content_of(pack_export()) == content_of(exported)


def test_a_place_without_coordinates_exports_none():
    pack_import(pack_with_place())
    entry = pack_export()["countries"][0]["places"][0]
    assert "latitude" not in entry and "longitude" not in entry


def test_the_admin_refuses_half_a_point():
    place = Place(country=country("MN"), name="Darkhan", kind="city", latitude=49.48)
    with pytest.raises(ValidationError) as error:
        place.full_clean()
    assert "longitude" in error.value.message_dict
