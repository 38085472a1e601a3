"""The Place admin's map picker: the latitude and longitude stay plain number fields (typed or
pasted), and a small map beside them sets both with a click (static/maps/place-picker.js)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.templatetags.static import static


class CoordinateInput(forms.NumberInput):
    """A latitude or longitude field that the map picker fills."""

    def __init__(self, axis: str, attrs: dict | None = None) -> None:
        super().__init__(attrs={"step": "any", "data-map-picker": axis, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # Read per render: the outlines' hashed name, and the tile server when one is set.
        context["widget"]["attrs"]["data-outlines"] = static(
            "vendor/world-atlas/countries-50m.json"
        )
        if settings.MAP_TILE_URL:
            context["widget"]["attrs"]["data-tiles"] = settings.MAP_TILE_URL
        return context

    @property
    def media(self) -> forms.Media:
        return forms.Media(
            css={"all": ["vendor/leaflet/leaflet.css", "maps/maps.css"]},
            js=[
                "vendor/leaflet/leaflet.js",
                "vendor/topojson-client/topojson-client.min.js",
                "maps/outlines.js",
                "maps/place-picker.js",
            ],
        )
