"""The Django admin, closed to signed-in users who have no business there.

contracts.md: a page of another role is 403. Django's own admin sends a signed-in employee to
its login form instead ("you are not authorized"), which reads like a broken session; here the
admin's views answer 403 to anyone signed in without staff access. Anonymous visitors still go
to the login form.
"""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied


class PortalAdminSite(admin.AdminSite):
    site_header = "Travel-risk portal administration"
    site_title = "Travel-risk portal"

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        def guarded(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied("The admin is for content admins and security managers.")
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
