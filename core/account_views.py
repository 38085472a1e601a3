"""Account pages beside Django's own (django.contrib.auth.urls): a throttled password reset,
and creating and revoking API tokens from the profile page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core import accounts
from core.audit import audit_record, client_ip, email_digest

HOUR = 3600


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset form, throttled: a machine asking for too many resets gets a 429, and an
    address that was sent too many links gets no more for a while (the page reads the same, so
    it tells nobody whether the address has an account)."""

    def post(self, request, *args, **kwargs):
        if not accounts.rate_allows(
            key=f"password-reset:ip:{client_ip(request) or '-'}",
            limit=settings.PASSWORD_RESET_LIMIT_PER_IP,
            period_seconds=HOUR,
        ):
            response = render(request, "registration/password_reset_throttled.html", status=429)
            response["Retry-After"] = str(HOUR)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        digest = email_digest(form.cleaned_data["email"])
        if not accounts.rate_allows(
            key=f"password-reset:email:{digest}",
            limit=settings.PASSWORD_RESET_LIMIT_PER_EMAIL,
            period_seconds=HOUR,
        ):
            audit_record(
                actor=None,
                action="auth.password_reset_throttled",
                details={"email_sha256": digest},
            )
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@require_POST
def token_revoke(request, token_id: str):
    accounts.token_revoke(user=request.user, token_id=token_id)
    messages.success(request, "The API token is revoked: it no longer works.")
    return redirect("profile")


@require_POST
def token_new(request):
    """A new API token from the profile page: the way to one for people who sign in with single
    sign-on and have no password for POST /api/auth/token/. Shown on this answer only (never
    stored, never in a redirect or a message)."""
    instance, key = accounts.token_create(user=request.user)
    return render(request, "portal/token_created.html", {"key": key, "token": instance})
