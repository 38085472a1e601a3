"""The map page for security managers (`/map/`): travellers on a date, open incidents and the
countries' risk levels. It lives in the roof because it spans trips and incidents.

The map itself draws from the GeoJSON endpoints (`/api/map/travellers/`, `/api/map/incidents/`)
in the browser; this view renders everything the map shows as tables beside it, the real
content for keyboard and screen-reader users and for anyone whose browser runs no script."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pycountry
from django.conf import settings
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse

from advisories.models import LEVEL_NAMES, Country
from core.lib.countries import country_name
from core.roles import manager_required
from incidents.selectors import incidents_open_with_counts
from trips import selectors as trip_selectors
from trips.forms import country_choices
from trips.models import Stop
from trips.views import whereabouts_query

# The outlines every map of the portal draws: Natural Earth 1:50m, fine enough for a country's
# cities, one file the browser caches for all the maps.
OUTLINES = "vendor/world-atlas/countries-50m.json"


def stop_located(stop: Stop) -> bool:
    return stop.latitude is not None and stop.longitude is not None


def country_levels() -> dict[str, dict[str, Any]]:
    """Published risk levels by ISO 3166 numeric code, the id world-atlas gives its countries."""
    levels: dict[str, dict[str, Any]] = {}
    published = Country.objects.filter(published__isnull=False)
    for code, name, level in published.values_list("code", "name", "published__level"):
        found = pycountry.countries.get(alpha_2=code)
        if found is None:  # a code of our own (XK, Kosovo) has no numeric code to match
            continue
        levels[found.numeric] = {
            "code": code,
            "name": name,
            "level": level,
            "label": f"Level {level} · {LEVEL_NAMES[level]}",
        }
    return levels


@dataclass
class MapTraveller:
    stop: Stop
    located: bool


def map_config(**extra: Any) -> dict[str, Any]:
    """What every map script needs: the outlines and, when a company has one, its tiles."""
    return {"outlines": static(OUTLINES), "tiles": settings.MAP_TILE_URL, **extra}


@manager_required
def map_page(request):
    on, country, place, error = whereabouts_query(request.GET)
    travellers = [
        MapTraveller(stop=stop, located=stop_located(stop))
        for stop in trip_selectors.whereabouts(on=on, country=country or None, place=place or None)
    ]
    unlocated = [row for row in travellers if not row.located]
    filters = {"date": on.isoformat(), "country": country, "place": place}
    query = urlencode({name: value for name, value in filters.items() if value})
    return render(
        request,
        "maps/map.html",
        {
            "on": on,
            "country": country,
            "country_label": country_name(country) if country else "",
            "place": place,
            "error": error,
            "countries": country_choices("All countries"),
            "travellers": travellers,
            "unlocated": unlocated,
            "incidents": incidents_open_with_counts(user=request.user, on=on),
            "levels": [(n, LEVEL_NAMES[n]) for n in range(1, 6)],
            "country_levels": country_levels(),
            "locations_query": query,
            "map_config": map_config(
                travellers=f"{reverse('api-map-travellers')}?{query}",
                incidents=f"{reverse('api-map-incidents')}?{urlencode({'date': on.isoformat()})}",
                locations=reverse("locations"),
                date=on.isoformat(),
            ),
        },
    )
