"""Incidents in the Django admin: searchable and filtered; every change is audited (the
admin writes through its own forms, so it records what changed itself)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models

from core.audit import audit_record
from incidents.feeds.services import feed_poll
from incidents.models import HazardFeed, Incident
from incidents.selectors import incident_trips_touched
from incidents.services import _reassess_touched, incident_alert_enqueue


class IncidentAdminForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = [
            "title",
            "summary",
            "severity",
            "category",
            "country",
            "places",
            "latitude",
            "longitude",
            "radius_km",
            "starts_on",
            "ends_on",
            "lookahead_days",
            "source",
            "external_id",
        ]

    def clean(self):
        cleaned = super().clean()
        country, places = cleaned.get("country"), cleaned.get("places")
        if country is not None and places:
            elsewhere = [place.name for place in places if place.country_id != country.pk]
            if elsewhere:
                self.add_error("places", f"Not in {country.name}: {', '.join(elsewhere)}.")
        point = {name: cleaned.get(name) for name in ("latitude", "longitude", "radius_km")}
        if any(value is not None for value in point.values()):
            for name, value in point.items():
                if value is None and name not in self.errors:
                    self.add_error(name, "A point needs its latitude, longitude and radius.")
        elif country is None and "country" not in self.errors:
            self.add_error("country", "Give the country, or a point and a radius.")
        return cleaned


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentAdminForm
    list_display = ["title", "severity", "category", "country", "starts_on", "ends_on", "source"]
    list_filter = ["severity", "category", ("ends_on", admin.EmptyFieldListFilter), "country"]
    search_fields = ["title", "summary", "country__name", "places__name", "external_id"]
    # Not autocomplete: managers may declare incidents without the content permissions the
    # place and country autocomplete views ask for.
    filter_horizontal = ["places"]
    date_hierarchy = "starts_on"
    readonly_fields = ["created_by", "created_at", "updated_at"]
    list_select_related = ["country"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        # The trips it touched before this change (as stored, places included) are
        # re-assessed with those it touches after (save_related), as the services do. Kept on
        # the instance: the ModelAdmin is shared between requests.
        stored = Incident.objects.filter(pk=obj.pk).first() if change else None
        obj._touched_before = incident_trips_touched(stored) if stored is not None else set()
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        incident = form.instance
        audit_record(
            actor=request.user,
            action="incident.updated" if change else "incident.declared",
            obj=incident,
            details={
                "via": "admin",
                "changed": sorted(form.changed_data),
                "severity": incident.severity,
                "places": sorted(place.name for place in incident.places.all()),
            },
        )
        incident_alert_enqueue(incident)
        _reassess_touched(incident, before=getattr(incident, "_touched_before", set()))

    def delete_model(self, request, obj):
        audit_record(
            actor=request.user,
            action="incident.deleted",
            obj=obj,
            details={"via": "admin", "title": obj.title},
        )
        touched = incident_trips_touched(obj)
        title = obj.title
        super().delete_model(request, obj)
        # Deleted, it is part of no assessment any more: the trips it touched lose it.
        _reassess_touched(obj, before=touched, reason=f'The incident "{title}" was withdrawn')

    def delete_queryset(self, request, queryset):
        for incident in queryset:
            self.delete_model(request, incident)


@admin.register(HazardFeed)
class HazardFeedAdmin(admin.ModelAdmin):
    """Public hazard feeds: what is polled, how often, and how the last polls went (a failing
    feed shows its error here and among /healthz/'s details)."""

    list_display = [
        "name",
        "kind",
        "enabled",
        "min_severity",
        "poll_minutes",
        "state",
        "last_success_at",
        "next_poll_at",
    ]
    list_filter = ["kind", "enabled", "min_severity"]
    search_fields = ["name", "url"]
    fields = [
        "name",
        "kind",
        "url",
        "min_severity",
        "enabled",
        "poll_minutes",
        "last_polled_at",
        "last_success_at",
        "last_result",
        "consecutive_failures",
        "last_error",
        "next_poll_at",
        "etag",
        "last_modified",
    ]
    readonly_fields = [
        "last_polled_at",
        "last_success_at",
        "last_result",
        "consecutive_failures",
        "last_error",
        "next_poll_at",
        "etag",
        "last_modified",
    ]
    actions = ["poll_now"]
    # An address typed without a scheme is https (Django 6's default, asked for now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="State")
    def state(self, feed: HazardFeed) -> str:
        if not feed.enabled:
            return "Disabled"
        if feed.failing:
            return f"Failing ({feed.consecutive_failures} in a row): {feed.last_error}"
        return "OK" if feed.last_success_at else "Not polled yet"

    def save_model(self, request, obj, form, change):
        if change and {"url", "kind"} & set(form.changed_data):
            # Another document: its validators say nothing about the new one.
            obj.etag = obj.last_modified = ""
        if change and {"url", "kind", "enabled", "poll_minutes"} & set(form.changed_data):
            obj.next_poll_at = None  # polled at the next tick
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="hazard_feed.changed" if change else "hazard_feed.added",
            obj=obj,
            details={"via": "admin", "changed": sorted(form.changed_data), "url": obj.url},
        )

    @admin.action(description="Poll the selected feeds now")
    def poll_now(self, request, queryset):
        for feed in queryset:
            outcome = feed_poll(feed_id=feed.pk, force=True)
            level = messages.ERROR if outcome.startswith("failed") else messages.INFO
            self.message_user(request, f"{feed.name}: {outcome}.", level)
