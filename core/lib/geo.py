"""Distances on the Earth's surface, framework-free: the great-circle (haversine) distance and
the bounding box that holds a circle, so that a database can narrow the candidates through an
index before the exact distance is computed (incidents.selectors does both in SQL)."""

from __future__ import annotations

import math
from dataclasses import dataclass

# The mean radius of the Earth (IUGG), in km: the haversine formula's sphere.
EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE_LATITUDE = math.pi * EARTH_RADIUS_KM / 180


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points given in degrees."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = math.radians(lat2 - lat1) / 2
    half_dlambda = math.radians(lon2 - lon1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Box:
    """Latitude and longitude ranges, in degrees. ``wraps`` when the longitude range crosses
    the antimeridian: then a point is inside when its longitude is >= min_lon OR <= max_lon."""

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float
    wraps: bool = False


def bounding_box(latitude: float, longitude: float, radius_km: float) -> Box:
    """The smallest latitude/longitude box that holds every point within ``radius_km`` of the
    centre (a little more at high latitudes; never less). Near a pole the circle holds every
    longitude."""
    dlat = radius_km / KM_PER_DEGREE_LATITUDE
    min_lat, max_lat = latitude - dlat, latitude + dlat
    if min_lat <= -90 or max_lat >= 90:
        return Box(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)
    # The widest longitude span is at the latitude farthest from the equator in the box.
    cos_lat = math.cos(math.radians(max(abs(min_lat), abs(max_lat))))
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * cos_lat)) if cos_lat > 0 else 180.0
    if dlon >= 180:
        return Box(min_lat, max_lat, -180.0, 180.0)
    min_lon, max_lon = longitude - dlon, longitude + dlon
    if min_lon < -180:
        return Box(min_lat, max_lat, min_lon + 360, max_lon, wraps=True)
    if max_lon > 180:
        return Box(min_lat, max_lat, min_lon, max_lon - 360, wraps=True)
    return Box(min_lat, max_lat, min_lon, max_lon)
