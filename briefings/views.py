"""Briefing pages: the download (the same access rule as the API), a small status document
for pages to poll while a briefing renders, the acknowledgement form's target, the security
managers' re-brief button on the trip page, and their list of failed renders with a retry
button."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from briefings import selectors, services
from briefings.models import Briefing, BriefingStatus
from core import roles
from core.audit import client_ip
from core.errors import DomainError
from core.roles import manager_required
from trips.models import Trip


def _visible(request, pk: int) -> Briefing:
    return get_object_or_404(
        Briefing.objects.visible_to(request.user).select_related("trip", "acknowledgement"),
        pk=pk,
    )


def pdf_response(briefing: Briefing) -> FileResponse:
    """The PDF as an attachment; a briefing without a file (not ready) is a 404."""
    if briefing.status != BriefingStatus.READY or not briefing.file_name:
        raise Http404("This briefing is not ready.")
    try:
        handle = storages["private"].open(briefing.file_name, "rb")
    except OSError as exc:
        raise Http404("The briefing file is missing.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=briefing.download_name,
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    digest = base64.b64encode(bytes.fromhex(briefing.sha256)).decode()
    response["Repr-Digest"] = f"sha-256=:{digest}:"
    return response


@require_GET
def download(request, pk: int) -> FileResponse:
    return pdf_response(_visible(request, pk))


@require_GET
def status(request, pk: int) -> JsonResponse:
    briefing = _visible(request, pk)
    ready = briefing.status == BriefingStatus.READY
    acknowledgement = getattr(briefing, "acknowledgement", None)
    body = {
        "id": briefing.pk,
        "trip": briefing.trip_id,
        "version": briefing.version,
        "status": briefing.status,
        "superseded": briefing.superseded,
        "sha256": briefing.sha256 if ready else None,
        "download_url": reverse("briefings:download", args=[briefing.pk]) if ready else None,
        "acknowledged_at": acknowledgement.created_at.isoformat() if acknowledgement else None,
        "trip_status": briefing.trip.status,
    }
    if roles.is_manager(request.user):
        body["error"] = briefing.error or None
    response = JsonResponse(body)
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def acknowledge(request, pk: int) -> HttpResponseRedirect:
    briefing = _visible(request, pk)
    if not request.POST.get("read"):
        # The declaration is what the acknowledgement records: the browser's `required` is
        # only a convenience, the server holds the line.
        messages.error(request, "Tick “I have read this briefing” to acknowledge it.")
        return redirect("trip-detail", pk=briefing.trip_id)
    try:
        services.briefing_acknowledge(
            briefing=briefing,
            user=request.user,
            sha256=request.POST.get("sha256", ""),
            ip=client_ip(request),
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Thank you: your acknowledgement of the briefing is recorded.")
    return redirect("trip-detail", pk=briefing.trip_id)


@manager_required
@require_POST
def rebrief(request, trip_id: int) -> HttpResponseRedirect:
    """The trip page's "Request a new briefing" button (the API's POST
    /api/trips/{id}/briefings/ does the same)."""
    trip = get_object_or_404(Trip.objects.visible_to(request.user), pk=trip_id)
    try:
        briefing = services.briefing_rebrief(trip=trip, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Version {briefing.version} of the briefing is being prepared; the traveller is "
            "e-mailed when it is ready.",
        )
    return redirect("trip-detail", pk=trip.pk)


@manager_required
@require_GET
def failed(request):
    return render(request, "briefings/failed.html", {"briefings": selectors.briefings_failed()})


@manager_required
@require_POST
def retry(request, pk: int) -> HttpResponseRedirect:
    briefing = _visible(request, pk)
    try:
        services.briefing_retry(briefing=briefing, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The briefing for “{briefing.trip.purpose}” is queued again.")
    return redirect("briefings:failed")
