"""Pages every user has (the dashboard for their roles and their profile) and the security
managers' audit trail."""

from __future__ import annotations

import json
from dataclasses import asdict

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from briefings.selectors import upcoming_trips_with_needs
from core import roles
from core.filters import AuditFilter
from core.forms import ProfileForm
from core.lib.csvexport import csv_response
from core.models import AuditEntry
from core.roles import manager_required
from core.services import PROFILE_FIELDS, profile_update
from incidents.checks.selectors import checks_asking
from incidents.selectors import incidents_crisis_summary
from portal import privacy
from trips import selectors as trip_selectors


def dashboard(request):
    today = timezone.localdate()
    user = request.user
    context = {
        "rows": upcoming_trips_with_needs(user=user, today=today),
        "today": today,
        # An open safety check that asks me comes first (templates/incidents/check_dashboard).
        "open_checks": checks_asking(user=user),
    }
    if roles.is_manager(user):
        context.update(asdict(trip_selectors.manager_overview(today=today)))
        # In a crisis the dashboard opens with it: the open incidents touching travellers.
        context["crisis"] = incidents_crisis_summary(on=today)
    return render(request, "portal/dashboard.html", context)


def _profile_context(form) -> dict:
    return {"form": form, "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS}


def profile(request):
    current = request.user.profile
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                profile_update(
                    user=request.user,
                    **{name: form.cleaned_data[name] for name in PROFILE_FIELDS},
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, "Your profile is saved.")
                return redirect("profile")
        return render(request, "portal/profile.html", _profile_context(form), status=400)
    form = ProfileForm(
        initial={
            name: getattr(current, name) or ("" if name != "passport_type" else "ordinary")
            for name in PROFILE_FIELDS
        }
    )
    return render(request, "portal/profile.html", _profile_context(form))


@require_GET
def my_data(request):
    """ "Download my data": everything held about the signed-in user, as a JSON attachment."""
    document = privacy.personal_data_export(user=request.user)
    privacy.personal_data_exported(user=request.user)
    response = JsonResponse(document, json_dumps_params={"indent": 2, "ensure_ascii": False})
    name = f"my-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


AUDIT_PAGE_SIZE = 50


@manager_required
def audit_trail(request):
    """Everything recorded, newest first, filtered; the CSV carries the whole filtered set."""
    entries = AuditFilter(
        request.GET, queryset=AuditEntry.objects.select_related("actor").order_by("-id")
    )
    if request.GET.get("format") == "csv":
        return csv_response(
            f"audit-trail-{timezone.localdate().isoformat()}.csv",
            ["time", "user", "action", "object type", "object id", "object", "ip", "details"],
            (
                [
                    entry.created_at.isoformat(),
                    entry.actor.username if entry.actor else "system",
                    entry.action,
                    entry.object_type,
                    entry.object_id,
                    entry.object_repr,
                    entry.ip or "",
                    json.dumps(entry.details, sort_keys=True, ensure_ascii=False),
                ]
                for entry in entries.qs.iterator(chunk_size=500)
            ),
        )
    page = Paginator(entries.qs, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/audit.html",
        {"filter": entries, "page": page, "query": query.urlencode()},
    )
