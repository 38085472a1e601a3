"""The trips in the admin: the company approval policy (one row, edited here and audited) and
a read-only view of trips for security managers. Trips change only through the services
(the pages and the API), so the lifecycle and its audit trail cannot be bypassed here."""

from __future__ import annotations

from django.contrib import admin

from core.admin import SingleRowAdmin
from trips.models import ApprovalPolicy, Decision, Stop, Transition, Trip


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(SingleRowAdmin):
    fieldsets = [
        (
            "Which trips need a decision",
            {
                "fields": [
                    "threshold_level",
                    "closed_area_needs_approval",
                    "permit_needs_approval",
                    "unknown_risk_needs_approval",
                ],
                "description": "Applies to every assessment from now on (submission, amendment, "
                "content change); trips already decided keep their decision until re-assessed.",
            },
        ),
        ("Dual approval", {"fields": ["dual_approval_level"]}),
    ]

    audit_action = "approval_policy.changed"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class StopInline(ReadOnlyInline):
    model = Stop
    fields = (
        "position",
        "country",
        "place",
        "place_text",
        "arrival",
        "departure",
        "activities",
        "transit",
    )
    readonly_fields = fields


class DecisionInline(ReadOnlyInline):
    model = Decision
    fields = ("created_at", "manager", "approval_round", "outcome", "comment")
    readonly_fields = fields


class TransitionInline(ReadOnlyInline):
    model = Transition
    fields = ("created_at", "actor", "from_status", "to_status", "comment")
    readonly_fields = fields


@admin.register(Trip)
class TripAdmin(admin.ModelAdmin):
    list_display = ["id", "purpose", "traveller", "status", "risk_level", "first_arrival"]
    list_filter = ["status", "risk_level", "first_arrival"]
    search_fields = [
        "purpose",
        "traveller__username",
        "traveller__last_name",
        "stops__country__name",
    ]
    date_hierarchy = "first_arrival"
    list_select_related = ["traveller"]
    inlines = [StopInline, DecisionInline, TransitionInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Trip._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
