"""Trip pages: the form, the trip page with its assessment, and the security managers' pages
(approval queue, who is where, compliance). Views are thin: they parse the request, call the
same services and selectors as the API, and render. The trip page's briefing panel comes from
the briefings app's template tag, so this module never imports briefings."""

from __future__ import annotations

import datetime as dt
from collections import Counter, OrderedDict
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Prefetch, Q, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from advisories.models import LEVEL_NAMES, Activity, Country
from advisories.selectors import activity_labels
from core import roles
from core.errors import DomainError, InvalidInput
from core.lib.countries import country_name
from core.lib.csvexport import csv_response
from core.lib.dates import parse_iso_date
from core.lib.vocabulary import PlaceKind
from core.roles import manager_required
from trips import calendar, selectors, services, triplist
from trips.filters import COMPLIANCE_DAYS_DEFAULT, compliance_days
from trips.forms import (
    DecisionForm,
    RejectForm,
    RequirementTickForm,
    StopFormSet,
    TripForm,
    country_choices,
    itinerary_errors_apply,
    itinerary_rearranged,
    trip_initial,
    trip_input,
)
from trips.models import Decision, Transition, Trip, TripStatus
from trips.notes import trip_status_note
from trips.preview import draft_preview
from trips.requirements import (
    assessment_requirements,
    assessment_sections,
    incident_rows,
    next_open,
    open_rows,
)
from trips.services import ticks

# --- the trip form -----------------------------------------------------------------------


def _travellers(user):
    """Arrangers choose among themselves and their travellers; others file for themselves."""
    if not roles.is_arranger(user):
        return None

    # Their travellers first, by name; themselves last, so nobody files for themself by
    # picking the first name in the list.
    return (
        User.objects.filter(Q(pk=user.pk) | Q(profile__arrangers=user))
        .distinct()
        .annotate(
            is_self=Case(
                When(pk=user.pk, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
        )
        .order_by("is_self", "first_name", "last_name", "username")
    )


def _form_context(form, formset, *, trip=None, general_errors=()):
    # Suggestions come from the published content (drafts are the content admins' business),
    # read straight out of each published snapshot's places.
    # Each option is a curated name; its label (kind, other names) lets an alias typed find it.
    places: dict[str, list[tuple[str, str]]] = {}
    published = Country.objects.filter(published__isnull=False).values_list(
        "code", "published__content__places"
    )
    for code, entries in published:
        options = [
            (
                entry["name"],
                " · ".join(
                    [PlaceKind(entry.get("kind") or "city").label]
                    + ([f"also {', '.join(entry['aliases'])}"] if entry.get("aliases") else [])
                ),
            )
            for entry in sorted(entries or (), key=lambda entry: entry["name"].casefold())
        ]
        if options:
            places[code] = options
    return {
        "form": form,
        "formset": formset,
        "trip": trip,
        "general_errors": list(general_errors),
        "place_lists": places,
        "amending": trip is not None and trip.status != TripStatus.DRAFT,
        # The preview script names levels with the vocabulary's words (no copy in the JS).
        "risk_level_words": LEVEL_NAMES,
    }


def _activity_choices():
    return list(Activity.objects.order_by("label").values_list("code", "label"))


def _trip_form_page(request, trip: Trip | None):
    travellers = _travellers(request.user) if trip is None else None
    form_kwargs = {"activity_choices": _activity_choices()}
    rearranged = (
        itinerary_rearranged(request.POST, request.POST.get("action", ""))
        if request.method == "POST"
        else None
    )
    if rearranged is not None:
        # "+ Add a stop" or "Remove this stop" without JavaScript: the same form again, as
        # typed, with the stops changed; nothing validated or saved yet.
        status = 200
        form = TripForm(
            initial={name: request.POST.get(name, "") for name in TripForm.base_fields},
            travellers=travellers,
            me=request.user,
        )
        formset = StopFormSet(prefix="stops", initial=rearranged, form_kwargs=form_kwargs)
        formset.extra = 0
    elif request.method == "POST":
        form = TripForm(request.POST, travellers=travellers, me=request.user)
        formset = StopFormSet(request.POST, prefix="stops", form_kwargs=form_kwargs)
        if form.is_valid() and formset.is_valid():
            data = trip_input(form, formset)
            try:
                response = _trip_save(request, trip=trip, form=form, data=data)
            except services.ItineraryInvalid as exc:
                general = itinerary_errors_apply(exc, form, formset)
                return render(
                    request,
                    "trips/trip_form.html",
                    _form_context(form, formset, trip=trip, general_errors=general),
                    status=400,
                )
            if response is not None:
                return response
        status = 400
    else:
        status = 200
        if trip is None:
            # No traveller chosen yet: an arranger says whom the trip is for.
            form = TripForm(travellers=travellers, me=request.user)
            formset = StopFormSet(prefix="stops", form_kwargs=form_kwargs)
        else:
            initial, stops = trip_initial(trip)
            form = TripForm(initial=initial)
            formset = StopFormSet(prefix="stops", initial=stops, form_kwargs=form_kwargs)
            formset.extra = 0
    return render(
        request, "trips/trip_form.html", _form_context(form, formset, trip=trip), status=status
    )


def _trip_save(request, *, trip: Trip | None, form: TripForm, data) -> HttpResponse | None:
    """File (or edit, or amend) the trip from a valid form, and submit it when asked: a
    redirect to the trip, or None to show the form again after a refusal (its message is
    queued). Raises ItineraryInvalid for the form to show against its fields."""
    submit = request.POST.get("action") == "submit"
    try:
        if trip is None:
            trip = services.trip_create(
                by=request.user,
                data=data,
                traveller=form.cleaned_data.get("traveller") or request.user,
                submission_key=form.cleaned_data.get("submission_key"),
            )
            created = trip
            if trip.status != TripStatus.DRAFT:
                # This form was sent before (the back button): the trip it filed has moved
                # on, and is shown as it is rather than filed or submitted again.
                messages.info(request, "This trip was already filed: here it is.")
                return redirect("trip-detail", pk=trip.pk)
        else:
            created = None
            was_draft = trip.status == TripStatus.DRAFT
            trip = services.trip_update(trip=trip, by=request.user, data=data)
            if not was_draft:
                submit = False  # an amendment is re-assessed by trip_update itself
                messages.success(request, "Your amendment was submitted and re-assessed.")
        if submit:
            trip = services.trip_submit(trip=trip, by=request.user)
            messages.success(request, _submitted_message(trip))
        elif created is not None or trip.status == TripStatus.DRAFT:
            messages.success(request, "Draft saved. Submit it when the itinerary is complete.")
        return redirect("trip-detail", pk=trip.pk)
    except services.ItineraryInvalid:
        raise
    except DomainError as exc:
        messages.error(request, str(exc))
        if trip is not None and trip.pk:
            return redirect("trip-detail", pk=trip.pk)
        return None


def _submitted_message(trip: Trip) -> str:
    if trip.status == TripStatus.PENDING_APPROVAL:
        return "Submitted. A security manager will review the trip; you will get an e-mail."
    return "Submitted and approved automatically. Your briefing is being prepared."


def trip_new(request):
    return _trip_form_page(request, None)


def trip_edit(request, pk: int):
    trip = get_object_or_404(
        Trip.objects.visible_to(request.user).prefetch_related(selectors.stops_with_places()),
        pk=pk,
    )
    if not Trip.objects.editable_by(request.user).filter(pk=pk).exists():
        raise PermissionDenied("Only the traveller or their arranger can edit this trip.")
    if not trip.can_edit:
        messages.error(request, f"A {trip.get_status_display().lower()} trip cannot be edited.")
        return redirect("trip-detail", pk=pk)
    return _trip_form_page(request, trip)


# --- the trip page -----------------------------------------------------------------------


def _with_activity_labels(stops: list) -> list:
    """Each stop's activities as their labels ("Driving a vehicle", not "driving")."""
    labels = activity_labels(code for stop in stops for code in stop.activities or ())
    for stop in stops:
        stop.activity_labels = [labels.get(code, code) for code in stop.activities or ()]
    return stops


def trip_detail(request, pk: int):
    trip = get_object_or_404(
        Trip.objects.visible_to(request.user)
        .select_related("traveller", "traveller__profile", "created_by")
        .prefetch_related(
            selectors.stops_with_places(),
            Prefetch("transitions", queryset=Transition.objects.select_related("actor")),
            Prefetch("decisions", queryset=Decision.objects.select_related("manager")),
        ),
        pk=pk,
    )
    user = request.user
    is_traveller = trip.traveller_id == user.pk
    may_edit = is_traveller or Trip.objects.editable_by(user).filter(pk=pk).exists()
    assessment = trip.assessments.first()
    manager = roles.is_manager(user)
    round_approvals = selectors.round_approvals(trip)
    requirement_rows = assessment_requirements(assessment=assessment)
    context = {
        "trip": trip,
        "stops": _with_activity_labels(list(trip.stops.all())),
        "assessment": assessment,
        "assessment_incidents": incident_rows(assessment.incidents if assessment else []),
        "level_name": LEVEL_NAMES.get(trip.risk_level or 0, "Unknown"),
        "requirements": requirement_rows,
        "open_count": len(open_rows(requirement_rows)),
        "next_open": next_open(requirement_rows),
        "may_tick": may_edit and trip.status != TripStatus.CANCELLED,
        "preview": _draft_preview(trip) if trip.is_draft else None,
        "status_note": trip_status_note(trip=trip),
        "countries": assessment_sections(assessment=assessment, published=True),
        "transitions": list(trip.transitions.all()),
        "may_edit": may_edit and trip.can_edit,
        "may_submit": may_edit and trip.is_draft,
        "may_cancel": (may_edit or manager) and trip.can_cancel,
        "may_decide": manager and not is_traveller and trip.is_awaiting_decision,
        "already_approved": any(d.manager_id == user.pk for d in round_approvals),
        "round_approvals": round_approvals,
        "decision_form": DecisionForm(),
        "reject_form": RejectForm(),
        "overlapping": list(selectors.overlapping_trips(trip)),
        "passport_country": country_name(trip.passport_nationality)
        if trip.passport_nationality
        else "",
    }
    return render(request, "trips/trip_detail.html", context)


def _draft_preview(trip: Trip):
    try:
        return draft_preview(trip=trip)
    except ValueError:
        # A draft saved before today's checks may not be assessable as it stands.
        return None


@require_POST
def requirement_tick(request, pk: int, requirement_id: str):
    """The trip page's tick box: the same service as POST /api/trips/{id}/requirements/{id}/."""
    trip = get_object_or_404(Trip.objects.visible_to(request.user), pk=pk)
    form = RequirementTickForm(request.POST)
    if not form.is_valid():
        for problems in form.errors.values():
            # An ErrorList yields its messages as text (the stubs also allow ValidationError).
            for message in problems:
                messages.error(request, str(message))
        return redirect("trip-detail", pk=pk)
    try:
        row = ticks.requirement_tick(
            trip=trip,
            requirement_id=requirement_id,
            done=form.cleaned_data["done"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except ticks.RequirementNotFound as exc:
        raise Http404(str(exc)) from exc
    except InvalidInput as exc:
        for message in exc.messages():
            messages.error(request, message)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if row.done:
            messages.success(request, f"Done: {row.title}.")
        else:
            messages.info(request, f"Still to do: {row.title}.")
    return redirect(reverse("trip-detail", args=[pk]) + f"#req-{requirement_id}")


# --- the trip list and calendars ---------------------------------------------------------

TRIP_LIST_PAGE_SIZE = 25


def trip_list(request):
    """Every trip the user may see, past ones too, searched and filtered."""
    query = request.GET.copy()
    query.pop("page", None)
    try:
        trips = triplist.trip_list(user=request.user, filters=query)
        error = ""
    except InvalidInput as exc:
        trips, error = triplist.trip_list(user=request.user), " ".join(exc.messages())
    page = Paginator(trips, TRIP_LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = triplist.trip_rows(trips=page, viewer=request.user)
    return render(
        request,
        "trips/trip_list.html",
        {
            "rows": rows,
            "page": page,
            "form": triplist.trip_list_form(query),
            "error": error,
            "query": query.urlencode(),
            "filtered": any(value for value in query.values()),
        },
    )


def _ics_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def trip_calendar(request, pk: int):
    """One trip's dates and deadlines as an .ics file, for whoever may see the trip."""
    trip = get_object_or_404(
        Trip.objects.visible_to(request.user)
        .select_related("traveller")
        .prefetch_related("requirement_ticks"),
        pk=pk,
    )
    return _ics_response(
        calendar.calendar_for(trips=[trip], name=trip.purpose), f"trip-{trip.pk}.ics"
    )


@login_not_required
@require_GET
def calendar_feed(request, token: str):
    """The personal feed: calendar apps cannot sign in, so the secret in the URL is the key."""
    user = calendar.calendar_feed_user(token=token)
    if user is None:
        raise Http404("No such calendar.")
    content = calendar.calendar_for(
        trips=calendar.feed_trips(user=user), name="Trips and deadlines"
    )
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def calendar_feed_manage(request):
    """The profile page's buttons: a new secret address, or none."""
    if request.POST.get("action") == "revoke":
        services.calendar_feed_revoke(user=request.user, by=request.user)
        messages.success(request, "Your calendar address no longer works.")
    else:
        services.calendar_feed_renew(user=request.user, by=request.user)
        messages.success(
            request, "Your calendar has a new address; the previous one no longer works."
        )
    return redirect(reverse("profile") + "#calendar")


def _act(request, pk: int, action, success: str = "", *, queryset=None):
    """Run a trip action for a page's button: its success message (if the action does not
    say something better itself), or its refusal as an error message."""
    trip = get_object_or_404(
        queryset if queryset is not None else Trip.objects.visible_to(request.user), pk=pk
    )
    try:
        action(trip)
    except InvalidInput as exc:
        for message in exc.messages():
            messages.error(request, message)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if success:
            messages.success(request, success)
    return redirect("trip-detail", pk=pk)


@require_POST
def trip_submit(request, pk: int):
    def action(trip):
        trip = services.trip_submit(trip=trip, by=request.user)
        messages.success(request, _submitted_message(trip))

    return _act(request, pk, action, queryset=Trip.objects.editable_by(request.user))


@require_POST
def trip_cancel(request, pk: int):
    # The service checks the text (trips.services.note_clean), as for the API.
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        lambda t: services.trip_cancel(trip=t, by=request.user, reason=reason),
        "The trip was cancelled.",
    )


@require_POST
@manager_required
def trip_approve(request, pk: int):
    # The service checks the text (trips.services.note_clean), as for the API.
    comment = request.POST.get("comment", "")
    return _act(
        request,
        pk,
        lambda t: services.trip_approve(trip=t, by=request.user, comment=comment),
        "Your approval is recorded.",
    )


@require_POST
@manager_required
def trip_reject(request, pk: int):
    # The service checks the text (trips.services.note_clean), as for the API.
    reason = request.POST.get("reason", "")
    return _act(
        request,
        pk,
        lambda t: services.trip_reject(trip=t, by=request.user, reason=reason),
        "The trip was rejected; the traveller is told why.",
    )


# --- security managers -------------------------------------------------------------------


@manager_required
def approvals(request):
    # `level` still works for links made before the filter was named `risk_level` as in the API.
    query = request.GET.copy()
    if "level" in query and "risk_level" not in query:
        query["risk_level"] = query["level"]
    try:
        queue = selectors.approval_queue_rows(filters=query)
        error = ""
    except InvalidInput as exc:
        queue, error = selectors.approval_queue_rows(), " ".join(exc.messages())
        query = {}
    rows = [
        {
            "trip": row.trip,
            "countries": list(
                OrderedDict.fromkeys(country_name(s.country_id) for s in row.trip.stops.all())
            ),
            "approvals_had": row.progress.approvals_had,
            "needs_second": row.progress.needs_second,
            "stuck": row.progress.stuck,
            "mine": row.trip.traveller_id == request.user.pk,
        }
        for row in queue
    ]
    return render(
        request,
        "trips/approvals.html",
        {
            "rows": rows,
            "error": error,
            "level": query.get("risk_level", ""),
            "country": query.get("country", "").upper(),
            "second": query.get("second") in {"1", "true", "True", "on"},
            "countries": country_choices("Any country"),
            "levels": [
                ("", "Any level"),
                *[(str(n), f"{n} · {LEVEL_NAMES[n]}") for n in range(1, 6)],
                ("unknown", "Unknown"),
            ],
        },
    )


def whereabouts_query(params) -> tuple[dt.date, str, str, str]:
    """The date (default today), country and place of a who-is-where request, and what was
    wrong with the date (shown, and today used instead)."""
    raw_date = params.get("date", "")
    try:
        today = timezone.localdate()
        on = parse_iso_date(raw_date, today=today) if raw_date else today
        error = ""
    except ValueError as problem:
        on = timezone.localdate()
        error = f"{problem} Showing today."
    return on, params.get("country", "").strip().upper(), params.get("place", "").strip(), error


LOCATIONS_CSV_HEADER = [
    "traveller",
    "name",
    "email",
    "phone",
    "emergency contact",
    "emergency phone",
    "country",
    "place",
    "arrival",
    "departure",
    "trip",
    "purpose",
]


@manager_required
def locations(request, message_form: dict | None = None, status: int = 200):
    """Who is where on a date: one row per traveller (people, not stops, are counted), as a
    page or (``?format=csv``) a download, with a form to e-mail everyone listed."""
    on, country, place, error = whereabouts_query(
        request.GET if message_form is None else request.POST
    )
    rows = list(selectors.whereabouts(on=on, country=country or None, place=place or None))
    if request.GET.get("format") == "csv":
        return csv_response(
            f"who-is-where-{on.isoformat()}{'-' + country if country else ''}.csv",
            LOCATIONS_CSV_HEADER,
            (
                [
                    stop.trip.traveller.username,
                    stop.trip.traveller.get_full_name(),
                    stop.trip.traveller.email,
                    stop.trip.traveller.profile.phone,
                    stop.trip.traveller.profile.emergency_contact_name,
                    stop.trip.traveller.profile.emergency_contact_phone,
                    stop.country.name,
                    stop.place_label,
                    stop.arrival.isoformat(),
                    stop.departure.isoformat(),
                    stop.trip.pk,
                    stop.trip.purpose,
                ]
                for stop in rows
            ),
        )
    counts = Counter((stop.country_id, stop.country.name) for stop in rows)
    peak = max(counts.values(), default=0)
    bars = [
        {"code": code, "name": name, "count": count, "percent": round(100 * count / peak)}
        for (code, name), count in sorted(counts.items(), key=lambda item: (-item[1], item[0][1]))
    ]
    query = {"date": on.isoformat(), "country": country, "place": place}
    return render(
        request,
        "trips/locations.html",
        {
            "stops": rows,
            "travellers": len(rows),
            "reachable": sum(1 for stop in rows if stop.trip.traveller.email),
            "on": on,
            "country": country,
            "country_label": country_name(country) if country else "",
            "place": place,
            "bars": bars,
            "error": error,
            "countries": country_choices("All countries"),
            "csv_query": urlencode({**{k: v for k, v in query.items() if v}, "format": "csv"}),
            "map_query": urlencode({k: v for k, v in query.items() if v}),
            "message": message_form or {},
        },
        status=status,
    )


@manager_required
@require_POST
def locations_message(request):
    """ "E-mail these travellers": the listed travellers of the posted date, country and place
    (the API's equivalent is the same service)."""
    on, country, place, _ = whereabouts_query(request.POST)
    form = {
        "subject": request.POST.get("subject", ""),
        "body": request.POST.get("message", ""),
    }
    try:
        sent = services.travellers_message(
            by=request.user,
            on=on,
            country=country or None,
            place=place or None,
            subject=form["subject"],
            message=form["body"],
        )
    except InvalidInput as exc:
        return locations(request, message_form={**form, "errors": exc.errors}, status=400)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            ngettext(
                "Your message is on its way to %(count)d traveller.",
                "Your message is on its way to %(count)d travellers.",
                sent,
            )
            % {"count": sent},
        )
    query = urlencode(
        {k: v for k, v in {"date": on.isoformat(), "country": country, "place": place}.items() if v}
    )
    return redirect(f"{reverse('locations')}?{query}")


@manager_required
def compliance(request):
    try:
        days, days_error = compliance_days(request.GET), ""
    except InvalidInput as exc:
        days = COMPLIANCE_DAYS_DEFAULT
        days_error = f"{' '.join(exc.messages())} Showing {days}."
    today = timezone.localdate()
    country = request.GET.get("country", "").strip().upper()
    rows = selectors.compliance_report(today=today, days=days, country=country or None)
    for row in rows:
        row["country_names"] = [country_name(code) for code in row["countries"]]
    if request.GET.get("format") == "csv":
        return csv_response(
            f"compliance-{today.isoformat()}{'-' + country if country else ''}.csv",
            [
                "trip",
                "purpose",
                "traveller",
                "email",
                "departure",
                "return",
                "countries",
                "status",
                "missing",
            ],
            (
                [
                    row["trip"].pk,
                    row["trip"].purpose,
                    row["trip"].traveller.get_full_name() or row["trip"].traveller.username,
                    row["trip"].traveller.email,
                    row["trip"].first_arrival.isoformat() if row["trip"].first_arrival else "",
                    row["trip"].last_departure.isoformat() if row["trip"].last_departure else "",
                    " ".join(row["countries"]),
                    row["trip"].status,
                    "; ".join(row["missing"]),
                ]
                for row in rows
            ),
        )
    return render(
        request,
        "trips/compliance.html",
        {
            "rows": rows,
            "days": days,
            "today": today,
            "error": days_error,
            "country": country,
            "countries": country_choices("All countries"),
            "csv_query": urlencode(
                {"days": days, **({"country": country} if country else {}), "format": "csv"}
            ),
        },
    )
