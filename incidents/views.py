"""Incident pages: the list, declaring and editing one, and its page with who it touches.
Thin: they parse the request, call the same services and selectors as the API, and render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core import roles
from core.audit import client_ip
from core.errors import Conflict, InvalidInput, NotAllowed
from core.lib.csvexport import csv_response
from core.lib.dates import parse_iso_date
from incidents import selectors, services
from incidents.checks import selectors as check_selectors
from incidents.forms import IncidentCloseForm, IncidentForm, incident_initial


def _may_declare(request) -> None:
    if not services.may_declare(request.user):
        raise PermissionDenied(services.MAY_NOT_DECLARE)


def incident_list(request):
    _may_declare(request)
    search = request.GET.get("q", "").strip()
    today = timezone.localdate()
    open_incidents = selectors.incidents_open_with_counts(user=request.user, on=today)
    closed = selectors.incidents_list(user=request.user, search=search).exclude(
        pk__in=[row.incident.pk for row in open_incidents]
    )
    page = Paginator(closed, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "incidents/incident_list.html",
        {
            "open_rows": open_incidents,
            "closed_page": page,
            "search": search,
            "today": today,
            "show_counts": roles.is_manager(request.user),
        },
    )


def _save(request, *, incident=None):
    form = IncidentForm(request.POST)
    if form.is_valid():
        try:
            if incident is None:
                incident, _ = services.incident_declare(data=form.to_input(), by=request.user)
                messages.success(request, f"Incident “{incident.title}” declared.")
            else:
                incident = services.incident_update(
                    incident=incident, data=form.to_input(), by=request.user
                )
                messages.success(request, "Incident updated.")
        except InvalidInput as error:
            form.apply_errors(error)
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        else:
            return redirect("incident-detail", pk=incident.pk)
    return form


def incident_new(request):
    _may_declare(request)
    if request.method == "POST":
        result = _save(request)
        if not isinstance(result, IncidentForm):
            return result
        form = result
    else:
        form = IncidentForm(initial={"starts_on": timezone.localdate()})
    return render(request, "incidents/incident_form.html", {"form": form, "incident": None})


def incident_edit(request, pk: int):
    _may_declare(request)
    incident = get_object_or_404(selectors.incidents_list(user=request.user), pk=pk)
    if request.method == "POST":
        result = _save(request, incident=incident)
        if not isinstance(result, IncidentForm):
            return result
        form = result
    else:
        form = IncidentForm(initial=incident_initial(incident))
    return render(request, "incidents/incident_form.html", {"form": form, "incident": incident})


def incident_detail(request, pk: int):
    _may_declare(request)
    incident = get_object_or_404(selectors.incidents_list(user=request.user), pk=pk)
    raw = request.GET.get("on", "")
    error = ""
    try:
        on = parse_iso_date(raw, today=timezone.localdate()) if raw else timezone.localdate()
    except ValueError as problem:
        on, error = timezone.localdate(), f"{problem} Showing today."
    rows = _impacted_rows(request, incident=incident, on=on)
    if roles.is_manager(request.user) and request.GET.get("format") == "csv":
        return csv_response(
            f"incident-{incident.pk}-impacted-{on.isoformat()}.csv",
            [
                "presence",
                "match",
                "traveller",
                "email",
                "phone",
                "emergency_contact",
                "trip",
                "purpose",
                "trip_status",
                "country",
                "place",
                "arrival",
                "departure",
                "transit",
                "check_status",
            ],
            (
                [
                    row.presence,
                    row.match,
                    row.traveller.get_full_name() or row.traveller.username,
                    row.traveller.email,
                    row.phone,
                    row.emergency_contact,
                    row.trip.pk,
                    row.trip.purpose,
                    row.trip.status,
                    row.stop.country_id,
                    row.place_label,
                    row.stop.arrival.isoformat(),
                    row.stop.departure.isoformat(),
                    "yes" if row.stop.transit else "no",
                    row.check_status or "",
                ]
                for row in rows
            ),
        )
    return render(
        request,
        "incidents/incident_detail.html",
        _detail_context(request, incident=incident, on=on, rows=rows, error=error),
    )


def _detail_context(
    request,
    *,
    incident,
    on,
    rows: list[selectors.ImpactedRow],
    error: str = "",
    close_form: IncidentCloseForm | None = None,
) -> dict:
    is_manager = roles.is_manager(request.user)
    groups = [
        {
            "presence": presence,
            "label": selectors.PRESENCE_LABELS[presence],
            "rows": [row for row in rows if row.presence == presence],
        }
        for presence in selectors.PRESENCE_ORDER
    ]
    first, last = selectors.incident_window(incident, on)
    return {
        "close_form": close_form or IncidentCloseForm(initial={"ends_on": timezone.localdate()}),
        "incident": incident,
        "all_clears": None
        if incident.is_open
        else selectors.incident_all_clear_count(incident=incident),
        "on": on,
        "error": error,
        "groups": groups,
        "counts": selectors.impacted_counts(rows),
        "total": len(rows),
        "window_first": first,
        "window_last": last,
        "is_manager": is_manager,
        # The safety check panel (incidents/check_panel.html), for managers.
        **(
            check_selectors.check_panel(incident=incident, page=request.GET.get("check_page"))
            if is_manager
            else {}
        ),
    }


@require_POST
def incident_close(request, pk: int):
    """The incident page's "Close the incident" button: the service the API calls. A bad
    date shows the page again with the error on the field; a closed incident says so."""
    _may_declare(request)
    incident = get_object_or_404(selectors.incidents_list(user=request.user), pk=pk)
    form = IncidentCloseForm(request.POST)
    if form.is_valid():
        try:
            services.incident_close(
                incident=incident,
                by=request.user,
                ends_on=form.cleaned_data["ends_on"],
                ip=client_ip(request),
            )
        except Conflict as error:
            messages.error(request, str(error))
            return redirect("incident-detail", pk=incident.pk)
        except InvalidInput as error:
            form.apply_errors(error)
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        else:
            messages.success(
                request,
                "The incident is closed: an open safety check closed with it, and everyone "
                "it alerted or asked is sent an all-clear e-mail.",
            )
            return redirect("incident-detail", pk=incident.pk)
    today = timezone.localdate()
    rows = _impacted_rows(request, incident=incident, on=today)
    context = _detail_context(request, incident=incident, on=today, rows=rows, close_form=form)
    return render(request, "incidents/incident_detail.html", context, status=400)


def _impacted_rows(request, *, incident, on) -> list[selectors.ImpactedRow]:
    if not roles.is_manager(request.user):
        return []
    rows = selectors.incident_impacted(incident=incident, on=on)
    check_selectors.add_check_status(rows=rows, incident=incident)
    return rows
