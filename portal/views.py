"""Pages every user has (the dashboard for their roles and their profile) and the security
managers' audit trail."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone

from briefings.models import Briefing, BriefingStatus
from incidents.check_selectors import checks_asking
from portal import roles
from portal.filters import AuditFilter
from portal.forms import ProfileForm
from portal.lib.countries import country_name
from portal.lib.csvexport import csv_response
from portal.models import AuditEntry
from portal.roles import manager_required
from portal.services import PROFILE_FIELDS, profile_update
from trips import selectors as trip_selectors
from trips.models import Assessment, Trip, TripStatus
from trips.notes import transitions_prefetch, trip_status_note
from trips.requirements import RequirementRow, open_rows, requirement_rows

SOON_DAYS = 14


def _needs(trip: Trip, today: dt.date, user, requirements: list[RequirementRow]) -> list[dict]:
    """What this trip still needs, in plain words, for whoever is looking: only the traveller
    can acknowledge their briefing, so their arranger is told whom it waits for."""
    needs = []
    if trip.status == TripStatus.DRAFT:
        needs.append({"kind": "draft", "text": "Finish and submit the itinerary"})
    elif trip.status in (TripStatus.PENDING_APPROVAL, TripStatus.REJECTED):
        note = trip_status_note(trip=trip, with_changes=False)
        if note is not None and note.kind == "rejected":
            why = f": {note.reason.rstrip('.')}" if note.reason else ""
            text = f"Rejected{why}. Amend the trip or cancel it"
            needs.append({"kind": "rejected", "text": text})
        elif note is not None:
            needs.append({"kind": "approval", "text": note.headline})
        elif trip.status == TripStatus.REJECTED:
            needs.append({"kind": "rejected", "text": "Rejected: amend the trip or cancel it"})
        else:
            needs.append({"kind": "approval", "text": "Awaiting a security manager's approval"})
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
    if trip.status != TripStatus.CANCELLED:
        for row in requirements:
            if row.due_soon:
                late = "overdue since" if row.overdue else "due"
                text = f"{row.title} ({late} {row.due:%a %-d %b})"
                needs.append({"kind": "overdue" if row.overdue else "requirement", "text": text})
    return needs


def _requirements(trip: Trip, today: dt.date) -> list[RequirementRow]:
    assessment = trip.latest_assessments[0] if trip.latest_assessments else None
    if assessment is None:
        return []
    return requirement_rows(
        requirements=assessment.requirements or [],
        ticks=trip.requirement_ticks.all(),
        today=today,
    )


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
            "requirement_ticks",
            transitions_prefetch(),
        )
        .order_by("first_arrival", "id")
    )
    rows = []
    for trip in trips:
        requirements = _requirements(trip, today)
        still_open = open_rows(requirements)
        rows.append(
            {
                "trip": trip,
                "countries": list(
                    dict.fromkeys(country_name(stop.country_id) for stop in trip.stops.all())
                ),
                "needs": _needs(trip, today, user, requirements),
                "open_count": len(still_open),
                "next_open": still_open[0] if still_open else None,
                "for_someone_else": trip.traveller_id != user.pk,
            }
        )
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
        return render(request, "portal/profile.html", {"form": form}, status=400)
    form = ProfileForm(
        initial={
            name: getattr(current, name) or ("" if name != "passport_type" else "ordinary")
            for name in PROFILE_FIELDS
        }
    )
    return render(request, "portal/profile.html", {"form": form})


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
