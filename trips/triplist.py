"""The trip list (`/trips/`): every trip the user may see, past ones included, searched and
filtered by one FilterSet that the selector runs (HackSoft's ``user_list(*, filters)``), so
the page and `GET /api/trips/` accept and mean the same parameters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.models import User
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from portal.errors import InvalidInput
from trips.models import Trip, TripStatus

SEARCH_MAX_LENGTH = 100
WHEN_CHOICES = [("upcoming", "Upcoming and under way"), ("past", "Past")]


class TripListFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        max_length=SEARCH_MAX_LENGTH,
        help_text="Purpose, place, country or traveller.",
    )
    status = django_filters.ChoiceFilter(
        choices=TripStatus.choices, empty_label="Any status", label="Status"
    )
    country = django_filters.CharFilter(method="filter_country", max_length=2)
    departure_after = django_filters.DateFilter(
        field_name="first_arrival", lookup_expr="gte", label="Departing from"
    )
    departure_before = django_filters.DateFilter(
        field_name="first_arrival", lookup_expr="lte", label="Departing until"
    )
    when = django_filters.ChoiceFilter(
        choices=WHEN_CHOICES, empty_label="Past and upcoming", method="filter_when", label="When"
    )

    class Meta:
        model = Trip
        fields = ["q", "status", "country", "departure_after", "departure_before", "when"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("departure_after", "departure_before"):
            self.form.fields[name].widget = forms.DateInput(attrs={"type": "date"})
        self.form.fields["q"].widget.attrs["type"] = "search"

    def filter_search(self, queryset: QuerySet[Trip], name: str, value: str) -> QuerySet[Trip]:
        matched = Q()
        for word in value.split():
            matched &= (
                Q(purpose__icontains=word)
                | Q(stops__place_text__icontains=word)
                | Q(stops__place__name__icontains=word)
                | Q(stops__country__name__icontains=word)
                | Q(stops__country__code__iexact=word)
                | Q(traveller__first_name__icontains=word)
                | Q(traveller__last_name__icontains=word)
                | Q(traveller__username__iexact=word)
            )
        return queryset.filter(matched).distinct() if value.split() else queryset

    def filter_country(self, queryset: QuerySet[Trip], name: str, value: str) -> QuerySet[Trip]:
        return queryset.filter(stops__country_id=value.upper()).distinct()

    def filter_when(self, queryset: QuerySet[Trip], name: str, value: str) -> QuerySet[Trip]:
        today = timezone.localdate()
        if value == "past":
            return queryset.filter(last_departure__lt=today)
        if value == "upcoming":
            return queryset.filter(Q(last_departure__gte=today) | Q(last_departure__isnull=True))
        return queryset


def trip_list(
    *, user: User, filters: Mapping[str, Any] | None = None, today: dt.date | None = None
) -> QuerySet[Trip]:
    """The trips `user` may see (managers all, arrangers their travellers', everyone their
    own), filtered by TripListFilter: InvalidInput names each refused parameter. Newest
    departure first, undated drafts at the end."""
    filterset = TripListFilter(
        data=filters or {},
        queryset=Trip.objects.visible_to(user)
        .select_related("traveller")
        .prefetch_related("stops__country", "stops__place"),
    )
    if not filterset.is_valid():
        raise InvalidInput({name: list(errors) for name, errors in filterset.errors.items()})
    return filterset.qs.order_by(F("first_arrival").desc(nulls_last=True), "-id")


def trip_list_form(filters: Mapping[str, Any] | None = None) -> forms.Form:
    """The filter form as the user filled it in, for the page."""
    return TripListFilter(data=filters or {}, queryset=Trip.objects.none()).form
