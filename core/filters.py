"""Filters for the audit trail page (django-filter, as the API's lists use), and the date
filter every list uses."""

from __future__ import annotations

import django_filters
from django import forms

from core.audit_labels import SESSION_ACTIONS, action_label
from core.forms import BoundedDateField
from core.models import AuditEntry


def _actions(request=None) -> list[tuple[str, str]]:
    actions = AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct()
    return sorted(((action, action_label(action)) for action in actions), key=lambda c: c[1])


class BoundedDateFilter(django_filters.DateFilter):
    """A date query parameter within the portal's horizon (core.lib.dates), else an error
    naming the parameter."""

    field_class = BoundedDateField


class AuditFilter(django_filters.FilterSet):
    action = django_filters.ChoiceFilter(choices=_actions, empty_label="Any action")
    actor = django_filters.CharFilter(
        field_name="actor__username", lookup_expr="iexact", label="User name"
    )
    object_type = django_filters.ChoiceFilter(
        label="Object",
        empty_label="Any object",
        choices=[
            ("trips.trip", "Trip"),
            ("briefings.briefing", "Briefing"),
            ("advisories.advisory", "Advisory"),
            ("advisories.advisoryversion", "Advisory version"),
            ("trips.approvalpolicy", "Approval policy"),
        ],
    )
    object_id = django_filters.CharFilter(label="Object number")
    since = BoundedDateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = BoundedDateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    sessions = django_filters.BooleanFilter(
        method="filter_sessions",
        label="Show sign-ins and sign-outs",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # Hidden unless the box is ticked or one of them is asked for by name.
        asked = self.form.cleaned_data.get("sessions") or (
            self.form.cleaned_data.get("action") in SESSION_ACTIONS
        )
        return queryset if asked else queryset.exclude(action__in=SESSION_ACTIONS)

    def filter_sessions(self, queryset, name, value):
        return queryset  # applied in filter_queryset, which also sees the action asked for
