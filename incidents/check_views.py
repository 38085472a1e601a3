"""Safety-check pages: the managers' buttons on the incident page (start, record a phone
answer, mark handled, close, CSV), the traveller's answer from the dashboard, and the page a
personal e-mail link opens with no login (a GET only shows the question: mail scanners follow
links; the answer is a POST with CSRF). Thin: each calls the service the API calls."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.audit import client_ip
from core.company import security_desk
from core.errors import DomainError
from core.lib.csvexport import csv_response
from core.roles import manager_required
from incidents import check_selectors, check_services
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


@manager_required
@require_POST
def check_recipient(request, pk: int, rid: int) -> HttpResponseRedirect:
    """A manager's phone answer and/or handling of one recipient."""
    check = _managed_check(request, pk)
    recipient = get_object_or_404(
        CheckRecipient.objects.select_related("traveller"), pk=rid, safety_check=check
    )
    try:
        check_services.check_recipient_update(
            recipient=recipient,
            by=request.user,
            status=request.POST.get("status") or None,
            handled=_checkbox(request.POST.get("handled")),
            note=request.POST.get("note", ""),
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


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def check_answer_link(request, token: str):
    """The page of the personal link. GET shows the question and changes nothing; POST
    answers. A forged token is a 404; a closed check says whom to call."""
    recipient = check_services.recipient_for_token(token)
    if recipient is None:
        raise Http404("This link is not valid.")
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
            )
        except check_services.CheckClosed:
            recipient.safety_check.refresh_from_db()
            return render(request, "checks/answer.html", context, status=409)
        except (DomainError, ValidationError) as exc:
            context["error"] = "; ".join(
                message
                for field_messages in getattr(exc, "message_dict", {"": [str(exc)]}).values()
                for message in field_messages
            )
            return render(request, "checks/answer.html", context, status=400)
        messages.success(request, ANSWERED[SafetyStatus(status)])
        return redirect("check-answer-link", token=token)
    return render(request, "checks/answer.html", context)
