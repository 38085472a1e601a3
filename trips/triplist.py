"""The trip list (`/trips/`): every trip the user may see, past ones included, searched and
filtered by one FilterSet that the selector runs (HackSoft's ``user_list(*, filters)``), so
the page and `GET /api/trips/` accept and mean the same parameters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import F, QuerySet

from core.lib.countries import country_name
from trips.filters import TripFilter, run_filters
from trips.models import Trip


def trip_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Trip]:
    """The trips `user` may see (managers all, arrangers their travellers', everyone their
    own), filtered by trips.filters.TripFilter: InvalidInput names each refused parameter. Newest
    departure first, undated drafts at the end."""
    visible = (
        Trip.objects.visible_to(user)
        .select_related("traveller")
        .prefetch_related("stops__country", "stops__place")
    )
    return run_filters(TripFilter, filters, visible).order_by(
        F("first_arrival").desc(nulls_last=True), "-id"
    )


def trip_list_form(filters: Mapping[str, Any] | None = None) -> forms.Form:
    """The filter form as the user filled it in, for the page."""
    return TripFilter(data=filters or {}, queryset=Trip.objects.none()).form


def trip_destinations(trip: Trip) -> list[str]:
    """Where a trip goes, in the order of its stops, as people say it: "Almaty, Astana
    (Kazakhstan)" for the places of one country, the country alone for a stop without a
    place; each place and country once (stops come prefetched by trip_list)."""
    places_by_country: dict[str, list[str]] = {}
    for stop in trip.stops.all():
        places = places_by_country.setdefault(stop.country_id, [])
        place = stop.place_label
        if place and place not in places:
            places.append(place)
    return [
        f"{', '.join(places)} ({country_name(code)})" if places else country_name(code)
        for code, places in places_by_country.items()
    ]


def trip_rows(*, trips: Iterable[Trip], viewer: User) -> list[dict[str, Any]]:
    """A page of the trip list as it shows: each trip, where it goes, and whether it is filed
    for someone other than the viewer."""
    return [
        {
            "trip": trip,
            "destinations": trip_destinations(trip),
            "for_someone_else": trip.traveller_id != viewer.pk,
        }
        for trip in trips
    ]
