"""The Place admin's map picker: the latitude and longitude are number fields a content admin
may still type, and the form carries the map that fills them (served by the portal)."""

import pytest

from advisories.models import Place
from tests.factories import PlaceFactory, content_admin

pytestmark = pytest.mark.django_db


def test_the_place_form_carries_a_map_picker_for_its_coordinates(client):
    client.force_login(content_admin())
    place = PlaceFactory(name="Almaty", latitude=43.2567, longitude=76.9286)
    body = client.get(f"/admin/advisories/place/{place.pk}/change/").content.decode()
    assert 'data-map-picker="latitude"' in body and 'data-map-picker="longitude"' in body
    assert 'value="43.2567"' in body and 'step="any"' in body
    assert "vendor/leaflet/leaflet.js" in body and "maps/place-picker.js" in body
    assert "vendor/world-atlas/countries-50m.json" in body


def test_typed_coordinates_are_saved(client):
    client.force_login(content_admin())
    place = PlaceFactory(name="Shymkent")
    response = client.post(
        f"/admin/advisories/place/{place.pk}/change/",
        {
            "country": place.country_id,
            "name": "Shymkent",
            "kind": "city",
            "level": "",
            "latitude": "42.3417",
            "longitude": "69.5901",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
            "aliases-MIN_NUM_FORMS": "0",
            "aliases-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    place = Place.objects.get(pk=place.pk)
    assert (place.latitude, place.longitude) == (42.3417, 69.5901)


def test_a_latitude_off_the_globe_is_a_field_error(client):
    client.force_login(content_admin())
    place = PlaceFactory(name="Taraz")
    response = client.post(
        f"/admin/advisories/place/{place.pk}/change/",
        {
            "country": place.country_id,
            "name": "Taraz",
            "kind": "city",
            "latitude": "95",
            "longitude": "71.4",
            "aliases-TOTAL_FORMS": "0",
            "aliases-INITIAL_FORMS": "0",
            "aliases-MIN_NUM_FORMS": "0",
            "aliases-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["latitude"]
    assert Place.objects.get(pk=place.pk).latitude is None
