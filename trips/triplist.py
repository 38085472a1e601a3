"""The trip list (`/trips/`): every trip the user may see, past ones included, searched and
filtered by one FilterSet that the selector runs (HackSoft's ``user_list(*, filters)``), so
the page and `GET /api/trips/` accept and mean the same parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import F, QuerySet

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
