"""Addresses browsers ask for on their own, outside the static folder."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@login_not_required
@require_GET
def favicon(request):
    # Browsers fetch /favicon.ico whatever the page says; the file itself is a static asset
    # (hashed name, cached for ever by WhiteNoise), so this only points at it. Not permanent:
    # the hashed name changes with the icon.
    return redirect(static("portal/favicon.ico"))
