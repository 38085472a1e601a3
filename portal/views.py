"""Pages every user has (the dashboard for their roles and their profile) and the security
managers' audit trail."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from briefings.models import Briefing, BriefingStatus
from incidents.check_selectors import checks_asking
from portal import privacy, roles
from portal.filters import AuditFilter
from portal.forms import ProfileForm
from portal.lib.countries import country_name
from portal.lib.csvexport import csv_response
from portal.models import AuditEntry
from portal.roles import manager_required
from portal.services import PROFILE_FIELDS, profile_update
from trips import selectors as trip_selectors
from trips.models import Assessment, Trip, TripStatus

SOON_DAYS = 14


def _needs(trip: Trip, today: dt.date, user) -> list[dict]:
    """What this trip still needs, in plain words, for whoever is looking: only the traveller
    can acknowledge their briefing, so their arranger is told whom it waits for."""
    needs = []
    if trip.status == TripStatus.DRAFT:
        needs.append({"kind": "draft", "text": "Finish and submit the itinerary"})
    elif trip.status == TripStatus.PENDING_APPROVAL:
        needs.append({"kind": "approval", "text": "Awaiting a security manager's approval"})
    elif trip.status == TripStatus.REJECTED:
        needs.append({"kind": "rejected", "text": "Rejected: amend the trip or cancel it"})
    briefing = trip.current_briefings[0] if trip.current_briefings else None
    # Only an approved trip's briefing is acknowledged: one of a trip sent back for a decision
    # no longer matches it (a new one follows the decision).
    if trip.status == TripStatus.APPROVED:
        if briefing is not None and briefing.status == BriefingStatus.READY:
            if getattr(briefing, "acknowledgement", None) is None:
                if trip.traveller_id == user.pk:
                    needs.append({"kind": "briefing", "text": "Read and acknowledge your briefing"})
                else:
                    traveller = trip.traveller.get_full_name() or trip.traveller.username
                    text = f"Waiting for {traveller} to acknowledge the briefing"
                    needs.append({"kind": "waiting", "text": text})
        elif briefing is not None and briefing.status == BriefingStatus.FAILED:
            needs.append(
                {
                    "kind": "failed",
                    "text": "The briefing could not be prepared; the security team has been told",
                }
            )
        else:
            needs.append({"kind": "waiting", "text": "Briefing being prepared"})
    assessment = trip.latest_assessments[0] if trip.latest_assessments else None
    if assessment is not None and trip.status != TripStatus.CANCELLED:
        for requirement in assessment.requirements or []:
            due = requirement.get("due_date")
            due_date = dt.date.fromisoformat(due) if due else None
            if due_date and due_date <= today + dt.timedelta(days=SOON_DAYS):
                text = f"{requirement['title']} (due {due_date:%a %-d %b})"
                needs.append({"kind": "requirement", "text": text})
    return needs


def dashboard(request):
    today = timezone.localdate()
    user = request.user
    trips = list(
        Trip.objects.editable_by(user)
        .upcoming(today)
        .select_related("traveller")
        .prefetch_related(
            trip_selectors.stops_with_places(),
            Prefetch(
                "briefings",
                queryset=Briefing.objects.current().select_related("acknowledgement"),
                to_attr="current_briefings",
            ),
            Prefetch(
                "assessments",
                queryset=Assessment.objects.order_by("-created_at", "-id"),
                to_attr="latest_assessments",
            ),
        )
        .order_by("first_arrival", "id")
    )
    rows = [
        {
            "trip": trip,
            "countries": list(
                dict.fromkeys(country_name(stop.country_id) for stop in trip.stops.all())
            ),
            "needs": _needs(trip, today, user),
            "for_someone_else": trip.traveller_id != user.pk,
        }
        for trip in trips
    ]
    context = {
        "rows": rows,
        "today": today,
        # An open safety check that asks me comes first (templates/incidents/check_dashboard).
        "open_checks": checks_asking(user=user),
    }
    if roles.is_manager(user):
        abroad = trip_selectors.travellers_at(on=today)
        context.update(
            pending_count=trip_selectors.approval_queue().count(),
            abroad_count=abroad.values("trip__traveller").distinct().count(),
            gaps_count=len(trip_selectors.compliance_report(today=today, days=SOON_DAYS)),
            soon_days=SOON_DAYS,
        )
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
    """"Download my data": everything held about the signed-in user, as a JSON attachment."""
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
