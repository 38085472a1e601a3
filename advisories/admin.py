"""The Django admin for content admins: curate drafts, preview, publish, compare versions,
import content packs.

Access follows the model permissions of the "Content admin" group (core.roles): employees
and managers are not staff and never reach these pages; a staff member without the
permissions gets a 403.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from advisories import views_admin
from advisories.diffs import draft_diff
from advisories.forms import AdvisoryForm, EmergencyContactForm, RuleForm, SectionForm
from advisories.models import (
    Activity,
    Advisory,
    AdvisoryVersion,
    Country,
    EmergencyContact,
    Place,
    PlaceAlias,
    Rule,
    Section,
    Source,
    SourceRating,
    TopicKeyword,
    WatchedSource,
    match_key,
)
from advisories.selectors import (
    advisories_with_unpublished_changes,
    advisory_snapshot,
    published_version,
)
from advisories.validation import kind_help_rows
from advisories.watch import selectors as watch_selectors
from advisories.watch import services as watch_services
from advisories.widgets import CoordinateInput
from core.roles import is_content_admin


class UnpublishedChangesFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "unpublished"

    def lookups(self, request, model_admin):
        return [("yes", "Has unpublished changes"), ("no", "Published as is")]

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        changed = advisories_with_unpublished_changes()
        if self.value() == "yes":
            return queryset.filter(pk__in=changed)
        return queryset.exclude(pk__in=changed)


@admin.register(Country)
class CountryAdmin(admin.ModelAdmin):
    """Countries come from ISO 3166 (a migration): they are looked up, never edited here."""

    list_display = ["name", "code", "published"]
    search_fields = ["name", "code"]
    list_select_related = ["published"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).defer("published__content")

    def render_change_form(self, request, context, *args, **kwargs):
        context["may_import_document"] = is_content_admin(request.user)
        return super().render_change_form(request, context, *args, **kwargs)


class SectionInline(admin.TabularInline):
    """The advisory's sections, one line each (topic, heading, level, where it applies) with a
    link to edit each on its own page. A country has twenty and more: as editable forms they
    made the page five screens tall and every save of the summary re-validate and re-write them
    all; now the advisory's save touches the advisory only."""

    model = Section
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ("order", "topic", "heading", "level", "applies")
    readonly_fields = fields
    ordering = ["order", "key"]

    def has_add_permission(self, request, obj=None):
        return False  # a section is added on its own page (the "Add a section" link)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("places", "activities")

    @admin.display(description="Applies to")
    def applies(self, section):
        parts = [", ".join(place.name for place in section.places.all()) or "whole country"]
        activities = [activity.code for activity in section.activities.all()]
        if activities:
            parts.append("when " + ", ".join(activities))
        if section.months:
            parts.append("months " + ", ".join(str(month) for month in section.months))
        return "; ".join(parts)


@admin.register(Advisory)
class AdvisoryAdmin(admin.ModelAdmin):
    form = AdvisoryForm
    list_display = ["country", "level", "published_version", "updated_at"]
    list_filter = [
        "level",
        ("country", admin.RelatedOnlyFieldListFilter),
        "sections__topic",
        UnpublishedChangesFilter,
    ]
    search_fields = ["country__name", "country__code", "summary", "sections__heading"]
    autocomplete_fields = ["country"]
    list_select_related = ["country__published"]
    inlines = [SectionInline]
    actions = ["publish_selected"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("country__published__content")

    def get_inline_instances(self, request, obj=None):
        # The sections are listed here, never edited (SectionInline): a save has nothing of
        # theirs to read back, validate or write, whatever their number.
        if request.method == "POST":
            return []
        return super().get_inline_instances(request, obj)

    @admin.display(description="Published")
    def published_version(self, advisory):
        published = advisory.country.published
        return f"v{published.number}" if published else "never"

    def has_publish_permission(self, request):
        return request.user.has_perm("advisories.publish_advisory")

    @admin.action(description="Publish the selected advisories", permissions=["publish"])
    def publish_selected(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        url = reverse("admin:advisories_advisory_publish")
        return HttpResponseRedirect(f"{url}?{urlencode({'ids': ids})}")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "publish/",
                wrap(lambda request: views_admin.advisory_publish_view(self, request)),
                name="advisories_advisory_publish",
            ),
            path(
                "import-pack/",
                wrap(lambda request: views_admin.pack_upload(self, request)),
                name="advisories_advisory_import_pack",
            ),
            path(
                "import-pack/<str:digest>/",
                wrap(
                    lambda request, digest: views_admin.pack_upload_preview(self, request, digest)
                ),
                name="advisories_advisory_import_pack_preview",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "may_import_document": is_content_admin(request.user),
            # The badge: watched sources whose change awaits a content admin's review.
            "sources_changed": watch_selectors.sources_with_unreviewed_changes().count(),
            "sources_disagree": len(watch_selectors.sources_disagreeing()),
            "sources_disagree_url": reverse("admin:advisories_watchedsource_changelist")
            + "?"
            + urlencode({SourcesDisagreeFilter.parameter_name: "yes"}),
            "sources_changed_url": reverse("admin:advisories_watchedsource_changelist")
            + "?"
            + urlencode({ChangedUnreviewedFilter.parameter_name: "yes"}),
        }
        return super().changelist_view(request, extra_context)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["may_import_document"] = is_content_admin(request.user)
        if obj is not None:
            context["publish_url"] = (
                reverse("admin:advisories_advisory_publish") + f"?ids={obj.pk}"
                if self.has_publish_permission(request)
                else None
            )
            context["history_url"] = (
                reverse("admin:advisories_advisoryversion_changelist")
                + "?"
                + urlencode({"country__code__exact": obj.country_id})
            )
            context["compare_url"] = (
                reverse("admin:advisories_advisoryversion_compare")
                + "?"
                + urlencode({"country": obj.country_id})
            )
            context["add_section_url"] = (
                reverse("admin:advisories_section_add") + "?" + urlencode({"advisory": obj.pk})
                if request.user.has_perm("advisories.add_section")
                else None
            )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    form = SectionForm
    list_display = ["heading", "key", "topic", "country", "level"]
    list_filter = ["topic", ("advisory__country", admin.RelatedOnlyFieldListFilter), "level"]
    search_fields = ["heading", "key", "body"]
    autocomplete_fields = ["advisory", "places", "activities", "source"]
    list_select_related = ["advisory__country"]
    readonly_fields = ["preview_link"]

    @admin.display(ordering="advisory__country__name")
    def country(self, section):
        return section.advisory.country.name

    # Sections are edited one at a time from their advisory's page: saving one goes back there.
    def response_change(self, request, obj):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_change(request, obj)
        super().response_change(request, obj)  # the "was changed successfully" message
        return HttpResponseRedirect(
            reverse("admin:advisories_advisory_change", args=[obj.advisory_id])
        )

    def response_add(self, request, obj, post_url_continue=None):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return super().response_add(request, obj, post_url_continue)
        super().response_add(request, obj, post_url_continue)
        return HttpResponseRedirect(
            reverse("admin:advisories_advisory_change", args=[obj.advisory_id])
        )

    @admin.display(description="Preview")
    def preview_link(self, section):
        if section.pk is None:
            return "Save first to preview."
        url = reverse("admin:advisories_section_preview", args=[section.pk])
        return format_html('<a href="{}">Preview the rendered body</a>', url)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/preview/",
                wrap(
                    lambda request, object_id: views_admin.section_preview(self, request, object_id)
                ),
                name="advisories_section_preview",
            ),
            *super().get_urls(),
        ]


def _kind_help_html():
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
        kind_help_rows(),
    )
    return format_html(
        '<table class="rule-kinds"><thead><tr><th>kind</th><th>required</th>'
        "<th>optional</th><th>meaning</th></tr></thead><tbody>{}</tbody></table>"
        "<p>Leave the fields a kind does not use empty. Any rule may carry exemptions, "
        "validity dates and a lead time (lead_days: due that many days before the trip's "
        "first arrival, for what can only be had at home or takes weeks). Working days skip "
        "the country's public holidays; correct them on the advisory (non-working days, "
        "working days).</p>",
        rows,
    )


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ["key", "country", "kind", "title", "valid_from", "valid_until"]
    list_filter = [("country", admin.RelatedOnlyFieldListFilter), "kind"]
    ordering = ["country__name", "kind", "key"]
    search_fields = ["key", "title", "detail", "country__name", "country__code"]
    autocomplete_fields = ["country", "places", "activities", "source"]
    list_select_related = ["country"]

    def get_fieldsets(self, request, obj=None):
        return [
            (None, {"fields": ["country", "key", "kind", "title", "detail"]}),
            ("What each kind uses", {"fields": [], "description": _kind_help_html()}),
            (
                "Stay and deadlines (registration, re_registration, visa_free, transit, "
                "stay_limit)",
                {
                    "fields": [
                        "threshold_days",
                        "deadline_days",
                        "deadline_unit",
                        "max_days",
                        "window_days",
                    ]
                },
            ),
            ("Lead time (any kind)", {"fields": ["lead_days"]}),
            (
                "Who and where (visa_free, permit, document, activity)",
                {"fields": ["nationalities", "places", "activities"]},
            ),
            (
                "Exemptions (any kind)",
                {
                    "fields": [
                        "exempt_passport_types",
                        "exempt_visa_categories",
                        "exempt_under_age",
                    ]
                },
            ),
            ("In force", {"fields": [("valid_from", "valid_until")]}),
            ("Citation", {"fields": ["authority", "citation", "source"]}),
        ]


class PlaceAliasInline(admin.TabularInline):
    model = PlaceAlias
    extra = 1


class PlaceForm(forms.ModelForm):
    class Meta:
        model = Place
        fields = ["country", "name", "kind", "level", "latitude", "longitude"]
        widgets = {
            "latitude": CoordinateInput("latitude"),
            "longitude": CoordinateInput("longitude"),
        }


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "kind", "level", "alias_names", "on_the_map"]
    list_filter = ["kind", ("country", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "aliases__name", "country__name", "country__code"]
    autocomplete_fields = ["country"]
    inlines = [PlaceAliasInline]
    list_select_related = ["country"]
    form = PlaceForm

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("aliases")

    @admin.display(description="On the map", boolean=True)
    def on_the_map(self, place):
        return place.located

    @admin.display(description="Aliases")
    def alias_names(self, place):
        return ", ".join(alias.name for alias in place.aliases.all())

    def get_search_results(self, request, queryset, search_term):
        # Also find places the way trips match them: "almaty." or "ALMATY" finds Almaty.
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        key = match_key(search_term)
        if key:
            results = results | queryset.filter(Q(key=key) | Q(aliases__key=key))
            may_have_duplicates = True
        return results, may_have_duplicates


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "publisher", "title", "retrieved"]
    search_fields = ["key", "publisher", "title", "url"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["code", "label"]
    search_fields = ["code", "label"]


@admin.register(EmergencyContact)
class EmergencyContactAdmin(admin.ModelAdmin):
    form = EmergencyContactForm
    list_display = ["label", "number", "country", "place", "nationalities"]
    list_filter = [("country", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["label", "number", "country__name", "place__name"]
    autocomplete_fields = ["country", "place"]
    list_select_related = ["country", "place"]


@admin.register(TopicKeyword)
class TopicKeywordAdmin(admin.ModelAdmin):
    list_display = ["keyword", "topic"]
    list_filter = ["topic"]
    search_fields = ["keyword"]


@admin.register(AdvisoryVersion)
class AdvisoryVersionAdmin(admin.ModelAdmin):
    """Published versions are a record: readable, comparable, never edited or deleted."""

    list_display = [
        "country",
        "number",
        "published_at",
        "published_by",
        "material",
        "change_note",
        "compare_link",
    ]
    list_filter = [("country", admin.RelatedOnlyFieldListFilter), "material"]
    search_fields = ["country__name", "country__code", "change_note"]
    list_select_related = ["country", "published_by"]
    ordering = ["country__name", "-number"]
    fields = (
        "country",
        "number",
        "published_at",
        "published_by",
        "material",
        "change_note",
        "level",
        "content_hash",
        "content",
    )
    readonly_fields = fields
    actions = ["compare_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Compare")
    def compare_link(self, version):
        if version.number == 1:
            return "-"
        url = reverse("admin:advisories_advisoryversion_compare")
        query = urlencode(
            {"country": version.country_id, "from": version.number - 1, "to": version.number}
        )
        return format_html('<a href="{}?{}">with v{}</a>', url, query, version.number - 1)

    @admin.action(description="Compare two selected versions of one country")
    def compare_selected(self, request, queryset):
        versions = list(queryset.order_by("number"))
        if len(versions) != 2 or versions[0].country_id != versions[1].country_id:
            self.message_user(
                request, "Select exactly two versions of the same country.", level="warning"
            )
            return None
        url = reverse("admin:advisories_advisoryversion_compare")
        query = urlencode(
            {
                "country": versions[0].country_id,
                "from": versions[0].number,
                "to": versions[1].number,
            }
        )
        return HttpResponseRedirect(f"{url}?{query}")

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "compare/",
                wrap(lambda request: views_admin.versions_compare(self, request)),
                name="advisories_advisoryversion_compare",
            ),
            *super().get_urls(),
        ]


# --- watched official sources ------------------------------------------------------------


class ChangedUnreviewedFilter(admin.SimpleListFilter):
    title = "changes"
    parameter_name = "changed"

    def lookups(self, request, model_admin):
        return [("yes", "Changed, unreviewed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(change_unreviewed=True)
        return queryset


class SourcesDisagreeFilter(admin.SimpleListFilter):
    title = "ratings"
    parameter_name = "disagree"

    def lookups(self, request, model_admin):
        return [("yes", "Sources disagree, unreviewed")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(pk__in=[s.pk for s in watch_selectors.sources_disagreeing()])
        return queryset


class SourceRatingInline(admin.TabularInline):
    model = SourceRating
    fields = ("retrieved_at", "rating", "level", "against_all_travel", "updated_at", "url")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-retrieved_at", "-pk"]


@admin.register(WatchedSource)
class WatchedSourceAdmin(admin.ModelAdmin):
    """Official sources watched per country: content admins name them here; the scheduler
    polls them (advisories.tasks). A change becomes a draft of the country's advisory, shown
    here with its word diff until reviewed; nothing is published by itself."""

    list_display = [
        "country",
        "kind",
        "enabled",
        "latest_rating",
        "change_unreviewed",
        "disagree",
        "last_success_at",
        "consecutive_failures",
        "next_poll_at",
    ]
    list_filter = [ChangedUnreviewedFilter, SourcesDisagreeFilter, "kind", "enabled"]
    list_select_related = ["country"]
    search_fields = ["country__name", "country__code", "url"]
    autocomplete_fields = ["country"]
    readonly_fields = [
        "change_unreviewed",
        "changed_at",
        "change_note",
        "change_diff",
        "ratings_side_by_side",
        "last_polled_at",
        "last_success_at",
        "consecutive_failures",
        "last_error",
        "next_poll_at",
        "etag",
        "last_modified",
        "content_digest",
        "reviewed_rating",
        "reviewed_level",
    ]
    fieldsets = [
        (None, {"fields": ["country", "kind", "url", "enabled", "poll_hours"]}),
        (
            "The last change",
            {"fields": ["change_unreviewed", "changed_at", "change_note", "change_diff"]},
        ),
        ("Ratings", {"fields": ["ratings_side_by_side", "reviewed_rating", "reviewed_level"]}),
        (
            "Polling",
            {
                "fields": [
                    "last_polled_at",
                    "last_success_at",
                    "consecutive_failures",
                    "last_error",
                    "next_poll_at",
                    "etag",
                    "last_modified",
                    "content_digest",
                ]
            },
        ),
    ]
    inlines = [SourceRatingInline]
    actions = ["change_reviewed", "disagreement_reviewed"]
    # A URL typed without its scheme is an https one (official sources all are).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description="Latest rating")
    def latest_rating(self, source):
        latest = source.ratings.first()
        return f"{latest.rating} ({latest.level} on our scale)" if latest and latest.level else "-"

    @admin.display(description="Sources disagree", boolean=True)
    def disagree(self, source):
        their = next(
            (
                t
                for t in watch_selectors.country_ratings(source.country_id).theirs
                if t.source.pk == source.pk
            ),
            None,
        )
        return bool(their and their.disagrees)

    @admin.display(description="Ours beside theirs")
    def ratings_side_by_side(self, source):
        if source.pk is None:
            return "-"
        ratings = watch_selectors.country_ratings(source.country_id)
        return format_html(
            "<p>Ours: {}</p><ul>{}</ul>",
            ratings.ours or "none published",
            format_html_join(
                "",
                "<li>{}{}</li>",
                (
                    (their.line, " - sources disagree" if their.disagrees else "")
                    for their in ratings.theirs
                ),
            ),
        )

    @admin.display(description="Draft against the published advisory")
    def change_diff(self, source):
        if source.pk is None or source.changed_at is None:
            return "-"
        draft = advisory_snapshot(source.country_id)
        if draft is None:
            return "-"
        published = published_version(source.country_id)
        # The template escapes every text it shows: its output is safe as HTML.
        return mark_safe(  # noqa: S308
            render_to_string(
                "admin/advisories/advisoryversion/_word_diff.html",
                {
                    "blocks": draft_diff(published.content if published else None, draft),
                    "older_label": "Published",
                    "newer_label": "Draft",
                    "level": 3,
                },
            )
        )

    @admin.action(description="Reviewed: the change's draft has been looked at")
    def change_reviewed(self, request, queryset):
        for source in queryset:
            watch_services.source_change_reviewed(source=source, by=request.user)
        self.message_user(request, f"{queryset.count()} change(s) marked reviewed.")

    @admin.action(description="Reviewed: their rating beside ours is accepted")
    def disagreement_reviewed(self, request, queryset):
        done = sum(
            watch_services.source_disagreement_reviewed(source=source, by=request.user)
            for source in queryset
        )
        self.message_user(
            request,
            f"{done} rating(s) reviewed: the country is no longer flagged for them until "
            "a source rates it differently or our level changes.",
        )
