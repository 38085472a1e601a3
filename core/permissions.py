"""The API's default permission (settings.REST_FRAMEWORK): a module of its own, because DRF
imports its default permission classes while it is still importing its views."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from core import roles


class HasPortalRole(BasePermission):
    """Signed in, and an employee, arranger, manager, content admin or superuser."""

    message = roles.NO_ROLE_MESSAGE

    def has_permission(self, request, view) -> bool:
        return roles.has_portal_role(request.user)


class IsManager(BasePermission):
    """A security manager: deciding on trips, who-is-where, running safety checks."""

    message = "Only security managers may do this."

    def has_permission(self, request, view) -> bool:
        return roles.is_manager(request.user)
