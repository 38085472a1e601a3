"""Bookings in the admin, read only for security managers: what arrived (the feed's JSON, the
e-mail's text) beside what it became. Bookings change only through the services (the feed,
the e-mail door, the unassigned page), so nothing is added or edited here."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from bookings.models import Booking, Segment


class SegmentInline(admin.TabularInline):
    model = Segment
    extra = 0
    can_delete = False
    show_change_link = False
    fields = (
        "position",
        "kind",
        "carrier",
        "number",
        "from_code",
        "from_city",
        "to_code",
        "to_city",
        "departs_local",
        "arrives_local",
        "name",
        "city",
        "check_in",
        "check_out",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["reference", "source", "state", "status", "traveller", "trip", "received_at"]
    list_filter = ["state", "source", "door"]
    search_fields = ["reference", "sender_email"]
    list_select_related = ["traveller", "trip"]
    date_hierarchy = "received_at"
    inlines = [SegmentInline]
    # The raw input is hostile (an e-mail's HTML): shown as text, never as markup.
    exclude = ["raw"]

    @admin.display(description="Raw input")
    def raw_input(self, obj: Booking) -> str:
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.raw)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Booking._meta.fields if field.name != "raw"] + ["raw_input"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
