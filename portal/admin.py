from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import User
from django.db.models import Q

from portal import roles
from portal.models import AuditEntry, TravellerProfile


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


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline]
