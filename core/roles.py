"""The four roles are Django groups; this module names them, says which model permissions
each carries, and answers "what roles does this user have" once per request."""

from __future__ import annotations

from collections.abc import Iterable
from functools import wraps

from django.contrib.auth.models import Group, Permission, User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

EMPLOYEE = "Employee"
ARRANGER = "Travel arranger"
MANAGER = "Security manager"
CONTENT_ADMIN = "Content admin"
ROLES = (EMPLOYEE, ARRANGER, MANAGER, CONTENT_ADMIN)
# A service account (a travel agency's feed, a booking tool) that posts bookings through the
# API; no person signs in with it, so it is no role people are given (nor one SSO maps to).
BOOKING_FEED = "Booking feed"

CONTENT_MODELS = (
    "country",
    "place",
    "placealias",
    "advisory",
    "section",
    "advisoryversion",
    "source",
    "rule",
    "activity",
    "emergencycontact",
    "topickeyword",
    "watchedsource",
    "sourcerating",
)

# Security managers and content admins both declare incidents (product.md, Roles), in the
# portal or the admin; deleting one is left to superusers (it would erase who was told what).
INCIDENT_PERMISSIONS = [
    "incidents.view_incident",
    "incidents.add_incident",
    "incidents.change_incident",
]

# Model permissions per role. Employees and arrangers act through the portal's own pages and
# API (access is decided per trip there), so they need no admin permissions at all.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    EMPLOYEE: [],
    ARRANGER: [],
    MANAGER: [
        "core.view_auditentry",
        "trips.view_trip",
        "trips.decide_trip",
        # Read only: a manager who travels could otherwise lower the threshold and have their
        # own trip approved automatically. The policy is the company's: superusers change it.
        "trips.view_approvalpolicy",
        "briefings.view_briefing",
        *INCIDENT_PERMISSIONS,
        # The public hazard feeds polled for incidents (contracts.md: a manager configures).
        "incidents.view_hazardfeed",
        "incidents.add_hazardfeed",
        "incidents.change_hazardfeed",
        # Bookings as they arrived (feed, e-mail), read only: they change through the pages.
        "bookings.view_booking",
        "bookings.view_segment",
    ],
    CONTENT_ADMIN: [
        f"advisories.{action}_{model}"
        for model in CONTENT_MODELS
        for action in ("view", "add", "change", "delete")
    ]
    + ["advisories.publish_advisory", "core.view_auditentry", *INCIDENT_PERMISSIONS],
    BOOKING_FEED: [],
}


def roles_sync(*, using: str = "default", group_model=Group, permission_model=Permission) -> None:
    """Create the groups and give each exactly its permissions (those that exist yet).

    Migrations pass their historical models; the post_migrate hook uses the real ones.
    """
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.using(using).get_or_create(name=role)
        wanted = []
        for name in names:
            app_label, codename = name.split(".")
            wanted.extend(
                permission_model.objects.using(using).filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(wanted)


def on_post_migrate(sender, using="default", **kwargs) -> None:
    if sender.name == "briefings":  # the last app: every permission exists by now
        roles_sync(using=using)


def user_roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._portal_roles = cached
    return cached


NO_ROLE_MESSAGE = "You have no role in the portal: ask an administrator to give you one."


def has_portal_role(user) -> bool:
    """In one of the four groups, or a superuser. A signed-in user with neither has no
    business in the portal (product.md, Roles): 403 on the API and every page."""
    return bool(user_roles(user)) or (
        getattr(user, "is_authenticated", False) and getattr(user, "is_superuser", False)
    )


def is_manager(user) -> bool:
    return MANAGER in user_roles(user)


def managers() -> QuerySet[User]:
    """The active security managers."""
    return User.objects.filter(groups__name=MANAGER, is_active=True)


def manager_emails(*, excluding: Iterable[int] = ()) -> list[str]:
    """The addresses of the active security managers (those without one left out), but for
    the users whose ids are in `excluding` (a traveller deciding on their own trip, a manager
    who already approved). The one query every e-mail to the managers starts from."""
    return list(
        managers()
        .exclude(pk__in=list(excluding))
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


def is_arranger(user) -> bool:
    return ARRANGER in user_roles(user)


def is_booking_feed(user) -> bool:
    return BOOKING_FEED in user_roles(user)


def is_content_admin(user) -> bool:
    return CONTENT_ADMIN in user_roles(user) or getattr(user, "is_superuser", False)


def manager_required(view):
    """A page for security managers only: anyone else gets 403 (contracts.md, Pages)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_manager(request.user):
            raise PermissionDenied("This page is for security managers.")
        return view(request, *args, **kwargs)

    return wrapper
