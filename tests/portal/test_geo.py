"""core.lib.geo: the great-circle distance and the bounding box that must hold its circle."""

from __future__ import annotations

import math

import pytest

from core.lib.geo import bounding_box, distance_km


def test_the_distance_between_almaty_and_astana_is_about_970_km():
    assert distance_km(43.2567, 76.9286, 51.1694, 71.4491) == pytest.approx(971.7, abs=0.5)


@pytest.mark.parametrize(
    ("latitude", "longitude", "radius"),
    [(43.05, 74.72, 50), (64.1, -21.9, 300), (-33.9, 151.2, 2000), (0.0, 179.9, 100)],
)
def test_every_point_of_the_circle_is_inside_its_box(latitude, longitude, radius):
    box = bounding_box(latitude, longitude, radius)
    for step in range(72):
        # Walk the circle: the point at the radius every 5 degrees of bearing.
        bearing = math.radians(step * 5)
        d = radius / 6371.0088
        lat1, lon1 = math.radians(latitude), math.radians(longitude)
        lat2 = math.asin(
            math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(bearing)
        )
        lon2 = lon1 + math.atan2(
            math.sin(bearing) * math.sin(d) * math.cos(lat1),
            math.cos(d) - math.sin(lat1) * math.sin(lat2),
        )
        lat, lon = math.degrees(lat2), (math.degrees(lon2) + 540) % 360 - 180
        assert distance_km(latitude, longitude, lat, lon) == pytest.approx(radius, rel=1e-6)
        assert box.min_lat - 1e-9 <= lat <= box.max_lat + 1e-9
        if box.wraps:
            assert lon >= box.min_lon - 1e-9 or lon <= box.max_lon + 1e-9
        else:
            assert box.min_lon - 1e-9 <= lon <= box.max_lon + 1e-9


def test_a_circle_over_the_antimeridian_wraps():
    box = bounding_box(0.0, 179.9, 100)
    assert box.wraps and box.min_lon > 179 and box.max_lon < -179
