"""The users' admin: the profile inline of the ground floor, and the erasure of leaving
employees, which spans every app (portal.privacy). A package rather than core/admin.py: git
follows that file to core/admin.py when it merges branches written before the move."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import User
from django.template.response import TemplateResponse

from core.admin import ProfileInline
from core.errors import DomainError
from portal import privacy

admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline]
    actions = ["erase_leaving_employees"]

    @admin.action(description="Erase the personal data of the selected leaving employees")
    def erase_leaving_employees(self, request, queryset):
        """Irreversible, so it asks first (as the admin's delete does): a confirmation page
        naming each account, then portal.privacy.user_erase for each."""
        if not request.user.is_superuser:
            self.message_user(request, "Only a superuser can erase users.", messages.ERROR)
            return None
        if request.POST.get("confirmed") != "yes":
            return TemplateResponse(
                request,
                "admin/portal/erase_users.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Erase leaving employees",
                    "users": queryset,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "opts": self.model._meta,
                },
            )
        erased = []
        for user in queryset:
            try:
                privacy.user_erase(user=user, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{user}: {exc}", messages.ERROR)
            else:
                erased.append(user.username)
        if erased:
            self.message_user(
                request, f"Erased {len(erased)}: {', '.join(erased)}.", messages.SUCCESS
            )
        return None
