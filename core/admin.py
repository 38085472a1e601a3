from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse

from core import roles
from core.audit import audit_record, client_ip
from core.models import AuditEntry, CompanySettings, TravellerProfile


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: nobody adds, changes or deletes an entry, superusers included."""

    list_display = ["created_at", "actor", "action", "object_repr", "ip"]
    list_filter = ["action", "created_at"]
    search_fields = ["action", "object_repr", "object_id", "actor__username"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]

    # Content admins see the content's own history (publications, imports), not the trips,
    # decisions and acknowledgements of people whose trips they may not see.
    CONTENT_ACTIONS = ("advisory.", "content_pack.")

    def get_queryset(self, request):
        entries = super().get_queryset(request)
        if request.user.is_superuser or roles.is_manager(request.user):
            return entries
        content = Q()
        for prefix in self.CONTENT_ACTIONS:
            content |= Q(action__startswith=prefix)
        return entries.filter(content)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ProfileInline(admin.StackedInline):
    model = TravellerProfile
    can_delete = False
    filter_horizontal = ["arrangers"]

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        # Only a travel arranger can act for a traveller (trips.models.TripQuerySet): offer
        # nobody else, so that the list never promises rights that the role does not give.
        if db_field.name == "arrangers":
            kwargs["queryset"] = (
                User.objects.filter(groups__name=roles.ARRANGER)
                .distinct()
                .order_by("first_name", "last_name", "username")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SingleRowAdmin(admin.ModelAdmin):
    """The admin of a company's one-row settings (SingleRowModel): no adding or deleting, the
    list leads straight to the row, and every change is audited with what it was before.
    Subclasses name `audit_action`."""

    audit_action = ""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        # One row per company: the list is just the way to it.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = self.model.current()
        meta = self.model._meta
        return redirect(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk]))

    def save_model(self, request, obj, form, change):
        before = {name: form.initial.get(name) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        if form.changed_data:
            audit_record(
                actor=request.user,
                action=self.audit_action,
                obj=obj,
                ip=client_ip(request),
                details={
                    "changes": {
                        name: {"from": before[name], "to": form.cleaned_data[name]}
                        for name in form.changed_data
                    }
                },
            )


@admin.register(CompanySettings)
class CompanySettingsAdmin(SingleRowAdmin):
    """One row: the security desk every briefing, e-mail and dashboard names. Superusers change
    it (they hold every permission); no role is given it."""

    fieldsets = [
        (
            "Security desk (24/7)",
            {
                "fields": ["security_desk_phone", "security_desk_email"],
                "description": "Printed on every briefing's cover and contacts page, at the foot "
                "of every e-mail and on the dashboard. Briefings already issued keep the "
                "details they were issued with.",
            },
        ),
    ]

    audit_action = "company_settings.changed"
