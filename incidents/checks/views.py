"""Safety-check pages: the managers' buttons on the incident page (start, record a phone
answer, mark handled, close, CSV), the traveller's answer from the dashboard, and the page a
personal e-mail link opens with no login (a GET only shows the question: mail scanners follow
links; the answer is a POST with CSRF). Thin: each calls the service the API calls."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.defaults import page_not_found

from core import accounts
from core.audit import client_ip
from core.company import security_desk
from core.errors import DomainError
from core.lib.csvexport import csv_response
from core.roles import manager_required
from incidents.checks import selectors as check_selectors
from incidents.checks import services as check_services
from incidents.models import AnswerChannel, CheckRecipient, SafetyCheck, SafetyStatus
from incidents.selectors import incidents_visible_to, recipient_local_help

ANSWERED = {
    SafetyStatus.SAFE: "Thank you: you told us you are safe.",
    SafetyStatus.NEED_HELP: "Your call for help is recorded: the security team is told now.",
}


def _panel_url(incident_id: int) -> str:
    return reverse("incident-detail", args=[incident_id]) + "#safety-check"


def _error_messages(request, exc: Exception) -> None:
    errors = getattr(exc, "message_dict", None)
    if errors:
        for field_messages in errors.values():
            for message in field_messages:
                messages.error(request, message)
    else:
        messages.error(request, getattr(exc, "message", None) or str(exc))


def _managed_check(request, pk: int) -> SafetyCheck:
    return get_object_or_404(
        check_selectors.checks_visible_to(request.user).select_related("incident"), pk=pk
    )


@manager_required
@require_POST
def check_start(request, pk: int) -> HttpResponseRedirect:
    incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
    try:
        check = check_services.check_start(
            incident=incident,
            by=request.user,
            interval_minutes=request.POST.get("interval_minutes"),
            cycles=request.POST.get("cycles"),
        )
    except (DomainError, ValidationError) as exc:
        _error_messages(request, exc)
    else:
        count = check.recipients.count()
        messages.success(
            request,
            ngettext(
                "Safety check started: %(count)d traveller there now is being asked “Are you OK?”.",
                "Safety check started: %(count)d travellers there now are being asked “Are you "
                "OK?”.",
                count,
            )
            % {"count": count},
        )
    return redirect(_panel_url(incident.pk))


def _checkbox(value: str | None) -> bool | None:
    if value is None:
        return None
    return value in ("1", "on", "true", "yes")


def _handling_change(request, recipient: CheckRecipient) -> tuple[bool | None, str | None]:
    """The handling the panel's form asks for, or (None, None) when it leaves it as it was:
    its checkbox and note are sent with every phone answer, which must not re-handle."""
    handled = _checkbox(request.POST.get("handled"))
    note = request.POST.get("handled_note")
    if handled is None:
        return None, None
    if handled == recipient.handled and (note is None or note.strip() == recipient.handled_note):
        return None, None
    return handled, note


@manager_required
@require_POST
def check_recipient(request, pk: int, rid: int) -> HttpResponseRedirect:
    """A manager's phone answer and/or handling of one recipient."""
    check = _managed_check(request, pk)
    recipient = get_object_or_404(
        CheckRecipient.objects.select_related("traveller"), pk=rid, safety_check=check
    )
    handled, handled_note = _handling_change(request, recipient)
    status = request.POST.get("status") or None
    if status is None and handled is None:
        messages.error(request, "Choose their answer, or change the handling, to record.")
        return redirect(_panel_url(check.incident_id))
    try:
        check_services.check_recipient_update(
            recipient=recipient,
            by=request.user,
            status=status,
            handled=handled,
            note=request.POST.get("note", ""),
            handled_note=handled_note,
            ip=client_ip(request),
        )
    except (DomainError, ValidationError) as exc:
        _error_messages(request, exc)
    else:
        name = recipient.traveller.get_full_name() or recipient.traveller.username
        messages.success(request, f"Recorded for {name}.")
    return redirect(_panel_url(check.incident_id))


@manager_required
@require_POST
def check_close(request, pk: int) -> HttpResponseRedirect:
    check = _managed_check(request, pk)
    try:
        check_services.check_close(check=check, by=request.user, ip=client_ip(request))
    except DomainError as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, "The safety check is closed: its links no longer work.")
    return redirect(_panel_url(check.incident_id))


def _known_rows(value: str) -> dict[int, str]:
    """``rows=12.s1h00a1,13.n0h00a2``: the rows a page shows, each with the version it
    shows (CheckRecipient.row_version). A ValidationError names what is wrong."""
    known: dict[int, str] = {}
    for item in filter(None, value.split(",")):
        pk, _, version = item.partition(".")
        if not pk.isdigit() or len(pk) > 18 or len(version) > 40:
            raise ValidationError({"rows": [f"Not a row and its version: {item[:60]!r}."]})
        known[int(pk)] = version
    if len(known) > check_selectors.PANEL_PAGE_SIZE * 2:
        raise ValidationError({"rows": ["Ask for one page of rows at a time."]})
    return known


@manager_required
@require_GET
@never_cache
def check_rows(request, pk: int) -> JsonResponse:
    """The panel's live update (static/incidents/checks.js): the counts, and the rows the
    page shows whose version changed, rendered as the panel renders them."""
    check = _managed_check(request, pk)
    try:
        known = _known_rows(request.GET.get("rows", ""))
    except ValidationError as exc:
        return JsonResponse(exc.message_dict, status=400)
    rows = [
        {
            "id": recipient.pk,
            "version": recipient.row_version,
            "status": recipient.status,
            "answers": len(recipient.answers.all()),
            "latest": check_selectors.latest_answer_sentence(recipient),
            "html": render_to_string(
                "incidents/_check_row.html", {"recipient": recipient, "check": check}, request
            ),
        }
        for recipient in check_selectors.rows_changed(check=check, known=known)
    ]
    return JsonResponse(
        {
            "status": check.status,
            "counts": check_selectors.check_counts(check=check),
            "rows": rows,
        }
    )


@manager_required
@require_GET
def check_csv(request, pk: int):
    check = _managed_check(request, pk)
    return csv_response(
        f"safety-check-{check.pk}-{timezone.localdate().isoformat()}.csv",
        check_selectors.CSV_HEADER,
        check_selectors.csv_rows(
            recipients=check_selectors.check_recipients(check=check).iterator(chunk_size=500)
        ),
    )


@require_POST
def check_answer_portal(request, pk: int) -> HttpResponseRedirect:
    """The traveller's buttons on their dashboard."""
    recipient = check_selectors.recipient_of(user=request.user, check_id=pk)
    if recipient is None:
        raise Http404("No such safety check asks you.")
    status = request.POST.get("status")
    try:
        check_services.check_answer(
            recipient=recipient,
            status=status,
            note=request.POST.get("note", ""),
            channel=AnswerChannel.PORTAL,
            ip=client_ip(request),
            by=request.user,
        )
    except (DomainError, ValidationError) as exc:
        _error_messages(request, exc)
    else:
        messages.success(request, ANSWERED[SafetyStatus(status)])
    return redirect("dashboard")


# The personal link's rate limits, per ten minutes: one link (a traveller pressing again
# and again is a few; a script trying a token is many) and one client address (generous:
# a hotel's or an office's travellers may share one address in a crisis).
LINK_LIMIT_WINDOW = 600
LINK_LIMIT_PER_TOKEN = 30
LINK_LIMIT_PER_ADDRESS = 300


def _quiet(response: HttpResponse) -> HttpResponse:
    """Django logs every 4xx with the request's path, which holds the link's secret token:
    the answer page's refusals are not logged (``log_response`` skips a response marked
    as logged). Its outcomes that matter are in the audit trail."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _link_allowed(request, token: str) -> bool:
    # The token is counted by its digest: a secret is never a cache key.
    digest = hashlib.sha256(token.encode()).hexdigest()
    return accounts.rate_allows(
        key=f"check-link:ip:{client_ip(request) or '-'}",
        limit=LINK_LIMIT_PER_ADDRESS,
        period_seconds=LINK_LIMIT_WINDOW,
    ) and accounts.rate_allows(
        key=f"check-link:token:{digest}",
        limit=LINK_LIMIT_PER_TOKEN,
        period_seconds=LINK_LIMIT_WINDOW,
    )


@login_not_required
@never_cache
def check_answer_link(request, token: str) -> HttpResponse:
    """The page of the personal link. GET shows the question and changes nothing; POST
    answers. A forged token is a 404; a closed check says whom to call; too many tries
    from one link or one address are a 429 that still gives the desk's number. HEAD (a
    link checker) is refused without reading the token."""
    if request.method not in ("GET", "POST"):
        return _quiet(HttpResponseNotAllowed(["GET", "POST"]))
    if not _link_allowed(request, token):
        response = render(
            request,
            "checks/answer_throttled.html",
            {"desk": security_desk(), "minutes": LINK_LIMIT_WINDOW // 60},
            status=429,
        )
        response["Retry-After"] = str(LINK_LIMIT_WINDOW)
        return _quiet(response)
    recipient = check_services.recipient_for_token(token)
    if recipient is None:
        return _quiet(page_not_found(request, Http404("This link is not valid.")))
    context = {
        "recipient": recipient,
        "check": recipient.safety_check,
        "incident": recipient.safety_check.incident,
        "desk": security_desk(),
        "token": token,
        "error": "",
        # The emergency numbers and the time zone of where the traveller is.
        "local": recipient_local_help(recipient=recipient),
    }
    if request.method == "POST":
        status = request.POST.get("status")
        try:
            check_services.check_answer(
                recipient=recipient,
                status=status,
                note=request.POST.get("note", ""),
                channel=AnswerChannel.LINK,
                ip=client_ip(request),
                # Whoever is signed in on this browser is who answered, if not the traveller.
                by=request.user if request.user.is_authenticated else None,
            )
        except check_services.CheckClosed:
            recipient.safety_check.refresh_from_db()
            return _quiet(render(request, "checks/answer.html", context, status=409))
        except (DomainError, ValidationError) as exc:
            context["error"] = "; ".join(
                message
                for field_messages in getattr(exc, "message_dict", {"": [str(exc)]}).values()
                for message in field_messages
            )
            return _quiet(render(request, "checks/answer.html", context, status=400))
        messages.success(request, ANSWERED[SafetyStatus(status)])
        return redirect("check-answer-link", token=token)
    return render(request, "checks/answer.html", context)
