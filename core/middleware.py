import datetime as dt

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequired
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_cache_control

from core import roles
from core.lib.dates import time_zone_named
from core.models import CompanySettings, TravellerProfile

NUL = "\x00"


class RefuseNulMiddleware:
    """A NUL character in the address or a query parameter is a 400, before any view runs.

    PostgreSQL cannot store or even compare a string holding one, so it would otherwise be a
    500 in whichever query first met it; refusing it here covers every page and endpoint. The
    API answers in its field-error shape (contracts.md), naming the parameter.
    """

    message = "Null characters are not allowed."

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        errors = self.errors(request)
        if not errors:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return JsonResponse(errors, status=400)
        return HttpResponseBadRequest(
            "Bad request: the address contains a null character.",
            content_type="text/plain; charset=utf-8",
        )

    def errors(self, request) -> dict[str, list[str]]:
        if NUL in request.path_info:
            return {"non_field_errors": ["The address contains a null character."]}
        errors: dict[str, list[str]] = {}
        for name, values in request.GET.lists():
            if NUL in name:
                return {"non_field_errors": ["A query parameter's name contains a null character."]}
            if any(NUL in value for value in values):
                errors[name] = [self.message]
        return errors


class LoginRequiredMiddleware(DjangoLoginRequired):
    """Every page needs a login (anonymous users are sent to the login page), except the API,
    which answers 401/403 itself, the admin, which has its own login page, and the health
    check, which probes call without one."""

    exempt_prefixes = ("/api/", "/admin/", "/static/", "/healthz/")

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(self.exempt_prefixes):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RoleRequiredMiddleware:
    """A signed-in user with no role (in none of the four groups, not a superuser) gets a
    403 page saying so on every page, instead of an employee's powers. The API refuses them
    itself (core.permissions.HasPortalRole); the admin checks its own permissions; the
    account pages stay open so that they can log out."""

    exempt_prefixes = ("/api/", "/admin/", "/static/", "/accounts/", "/favicon.ico")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            not request.user.is_authenticated
            or request.path.startswith(self.exempt_prefixes)
            or roles.has_portal_role(request.user)
        ):
            return None
        return render(request, "portal/no_role.html", status=403)


class SecurityHeadersMiddleware:
    """Permissions-Policy on every response, and `Cache-Control: private, no-store` on every
    page and API response (nearly all carry someone's trips, passport or whereabouts: a shared
    computer's browser cache or a proxy must not keep them). The public API description is the
    exception; static files are served before this middleware runs."""

    public_prefixes = ("/api/schema/", "/api/docs/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if not request.path_info.startswith(self.public_prefixes):
            patch_cache_control(response, private=True, no_store=True)
        return response


class SessionIdleMiddleware:
    """A session ends SESSION_IDLE_TIMEOUT seconds after its last request (SESSION_COOKIE_AGE
    is that timeout): each request renews the expiry, in the database and the cookie. Renewed
    at most once a minute, so that reading pages does not write the session every time."""

    renew_after = dt.timedelta(minutes=1)
    key = "_portal_seen"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and getattr(request, "user", None) and request.user.is_authenticated:
            seen = session.get(self.key)
            if seen is None or timezone.now() - dt.datetime.fromisoformat(seen) >= self.renew_after:
                self.seen(session)
        return self.get_response(request)

    @classmethod
    def seen(cls, session) -> None:
        """Mark the session active now: it is saved with a new expiry. Called at login too, so
        that the first page after it writes nothing."""
        session[cls.key] = timezone.now().isoformat()


def viewer_time_zone(user) -> dt.tzinfo:
    """The time zone a user reads times in: their profile's, if profiles have one and it is
    set, else the company's, else the portal's TIME_ZONE. Pages and e-mails write times in it
    with its abbreviation ("14:05 CET"), never silently in UTC."""

    # Each is read only where its model holds a zone: otherwise a query on every page for
    # nothing (the profile is not loaded with the user).
    if hasattr(TravellerProfile, "time_zone") and getattr(user, "is_authenticated", False):
        profile = getattr(user, "profile", None)
        if zone := time_zone_named(getattr(profile, "time_zone", "")):
            return zone
    if hasattr(CompanySettings, "time_zone") and (
        zone := time_zone_named(getattr(CompanySettings.current(), "time_zone", ""))
    ):
        return zone
    return timezone.get_default_timezone()


class ViewerTimeZoneMiddleware:
    """Every page's times in the signed-in reader's zone (Django's documented way: activate
    it for the request, and `localtime`, `|moment` and forms follow)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with timezone.override(viewer_time_zone(request.user)):
            return self.get_response(request)
