"""The query-string filters of trip lists, one definition for a page and its API.

The selectors run these FilterSets (HackSoft's ``user_list(*, filters)``), so a page and its
endpoint accept, refuse and mean the same parameters. A refused value raises ``InvalidInput``
naming the parameter: the API answers 400 with it, a page shows the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.errors import InvalidInput
from core.filters import BoundedDateFilter
from core.lib.dates import long_date
from trips.models import Trip, TripStatus

UNKNOWN_LEVEL = "unknown"

SEARCH_MAX_LENGTH = 100
WHEN_CHOICES = [("upcoming", "Upcoming and under way"), ("past", "Past")]

# The compliance report's look-ahead, in days from today.
COMPLIANCE_DAYS_DEFAULT = 14
COMPLIANCE_DAYS_MAX = 365


def run_filters(filterset_class, data: Mapping[str, Any] | None, queryset: QuerySet) -> QuerySet:
    """`queryset` filtered by `data` through `filterset_class`, or InvalidInput naming each
    refused parameter."""
    filterset = filterset_class(data=data or {}, queryset=queryset)
    if not filterset.is_valid():
        raise InvalidInput({name: list(errors) for name, errors in filterset.errors.items()})
    return filterset.qs


def _by_country(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(stops__country_id=value.upper()).distinct()


class TripFilterForm(forms.Form):
    """Checks the filters together: a reversed date range matches nothing, which would read as
    "no trips" rather than as a mistake."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        after, before = cleaned.get("departure_after"), cleaned.get("departure_before")
        if after and before and after > before:
            message = (
                f"Departing from ({long_date(after)}) is after departing until "
                f"({long_date(before)}): swap them."
            )
            self.add_error("departure_after", message)
            self.add_error("departure_before", message)
        return cleaned


class TripFilter(django_filters.FilterSet):
    """The trip list's filters, on the page (/trips/) and in the API (GET /api/trips/)."""

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
    departure_after = BoundedDateFilter(
        field_name="first_arrival", lookup_expr="gte", label="Departing from"
    )
    departure_before = BoundedDateFilter(
        field_name="first_arrival", lookup_expr="lte", label="Departing until"
    )
    when = django_filters.ChoiceFilter(
        choices=WHEN_CHOICES, empty_label="Past and upcoming", method="filter_when", label="When"
    )

    class Meta:
        model = Trip
        fields = ["q", "status", "country", "departure_after", "departure_before", "when"]
        form = TripFilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("departure_after", "departure_before"):
            self.form.fields[name].widget = forms.DateInput(attrs={"type": "date"})
        self.form.fields["q"].widget.input_type = "search"

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
        return _by_country(queryset, name, value)

    def filter_when(self, queryset: QuerySet[Trip], name: str, value: str) -> QuerySet[Trip]:
        today = timezone.localdate()
        if value == "past":
            return queryset.filter(last_departure__lt=today)
        if value == "upcoming":
            return queryset.filter(Q(last_departure__gte=today) | Q(last_departure__isnull=True))
        return queryset


class RiskLevelField(forms.CharField):
    """A risk level 1-5, or "unknown" for a trip whose risk could not be assessed."""

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return ""
        if value == UNKNOWN_LEVEL or value in {"1", "2", "3", "4", "5"}:
            return value
        raise forms.ValidationError('A risk level from 1 to 5, or "unknown".')


class RiskLevelFilter(django_filters.Filter):
    field_class = RiskLevelField

    def filter(self, qs, value):
        if not value:
            return qs
        if value == UNKNOWN_LEVEL:
            return qs.filter(risk_level__isnull=True)
        return qs.filter(risk_level=int(value))


class FlagField(forms.CharField):
    """A yes/no query parameter: 1/0, true/false, on/off, yes/no, or absent (no)."""

    YES = frozenset({"1", "true", "on", "yes"})
    NO = frozenset({"", "0", "false", "off", "no"})

    def clean(self, value) -> bool:
        text = (super().clean(value) or "").lower()
        if text in self.YES | self.NO:
            return text in self.YES
        raise forms.ValidationError("Use 1 or 0.")


class FlagFilter(django_filters.Filter):
    field_class = FlagField

    def filter(self, qs, value):
        return qs  # read by the selector, which applies what the flag means


class ApprovalQueueFilter(django_filters.FilterSet):
    """The approval queue's filters. `second` (only trips that wait for a second manager's
    approval) is applied by the selector, since it depends on the decisions of the round."""

    risk_level = RiskLevelFilter()
    country = django_filters.CharFilter(method="filter_country")
    second = FlagFilter()

    class Meta:
        model = Trip
        fields = ["risk_level", "country", "second"]

    def filter_country(self, queryset, name, value):
        return _by_country(queryset, name, value)


class ComplianceQuery(forms.Form):
    days = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=COMPLIANCE_DAYS_MAX,
        error_messages={"invalid": "A whole number of days."},
    )

    def clean_days(self) -> int:
        days = self.cleaned_data.get("days")
        return COMPLIANCE_DAYS_DEFAULT if days is None else days


def compliance_days(data: Mapping[str, Any] | None) -> int:
    """The compliance report's look-ahead from a query string (default 14), or InvalidInput."""
    raw = (data or {}).get("days", "")
    # Bounded before conversion: a 5,000-digit number is refused, not parsed.
    if isinstance(raw, str) and len(raw) > 4:
        raise InvalidInput({"days": [f"A whole number of days from 0 to {COMPLIANCE_DAYS_MAX}."]})
    query = ComplianceQuery(data={"days": raw})
    if not query.is_valid():
        raise InvalidInput({"days": [f"A whole number of days from 0 to {COMPLIANCE_DAYS_MAX}."]})
    return query.cleaned_data["days"]
