"""Briefings in the admin: read-only (they are made by the renderer, acknowledged by
travellers); a failed render can be retried from the list."""

from django.contrib import admin, messages

from briefings import services
from briefings.models import Acknowledgement, Briefing, BriefingStatus
from core.errors import DomainError


@admin.register(Briefing)
class BriefingAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "superseded",
        "reason",
        "attempts",
        "created_at",
        "rendered_at",
    ]
    list_filter = ["status", "superseded", "reason"]
    search_fields = ["trip__id", "trip__traveller__username", "sha256"]
    list_select_related = ["trip"]
    actions = ["retry_failed"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Retry failed renders")
    def retry_failed(self, request, queryset):
        retried = 0
        for briefing in queryset.filter(status=BriefingStatus.FAILED):
            try:
                services.briefing_retry(briefing=briefing, by=request.user)
                retried += 1
            except DomainError as exc:
                self.message_user(request, f"{briefing}: {exc}", messages.WARNING)
        self.message_user(request, f"{retried} briefing(s) queued again.")


@admin.register(Acknowledgement)
class AcknowledgementAdmin(admin.ModelAdmin):
    list_display = ["briefing", "user", "created_at", "ip", "sha256"]
    search_fields = ["user__username", "sha256"]
    list_select_related = ["briefing", "user"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
