"""Reads for safety checks: the check panel (counts, then need-help, silent and safe), the
managers' escalation list and the open checks that ask a traveller. Every function costs a
fixed number of queries, whatever the number of recipients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from core import roles
from incidents.models import (
    CheckAnswer,
    CheckRecipient,
    CheckStatus,
    Incident,
    SafetyCheck,
    SafetyStatus,
)

PANEL_PAGE_SIZE = 100

# The panel's order: calls for help not yet handled, handled ones, the silent, the safe.
PANEL_ORDER = Case(
    When(status=SafetyStatus.NEED_HELP, handled=False, then=Value(0)),
    When(status=SafetyStatus.NEED_HELP, then=Value(1)),
    When(status=SafetyStatus.NO_ANSWER, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def checks_visible_to(user: User | AnonymousUser) -> QuerySet[SafetyCheck]:
    """Security managers see every check; anyone else none (a traveller sees the checks
    that ask them through checks_asking)."""
    if roles.is_manager(user):
        return SafetyCheck.objects.all()
    return SafetyCheck.objects.none()


def check_counts(*, check: SafetyCheck) -> dict[str, int]:
    """How many are safe, need help and have not answered (one query)."""
    counted = CheckRecipient.objects.filter(safety_check=check).aggregate(
        safe=Count("pk", filter=Q(status=SafetyStatus.SAFE)),
        need_help=Count("pk", filter=Q(status=SafetyStatus.NEED_HELP)),
        no_answer=Count("pk", filter=Q(status=SafetyStatus.NO_ANSWER)),
        handled=Count("pk", filter=Q(status=SafetyStatus.NEED_HELP, handled=True)),
    )
    counted["total"] = counted["safe"] + counted["need_help"] + counted["no_answer"]
    return counted


def answer_history() -> Prefetch[str]:
    """Each recipient's answers, oldest first, with who recorded them (one query for a
    whole page of recipients)."""
    return Prefetch(
        "answers",
        queryset=CheckAnswer.objects.select_related("recorded_by").order_by("created_at", "id"),
    )


def check_recipients(*, check: SafetyCheck) -> QuerySet[CheckRecipient]:
    """Every recipient with what the panel, the API and the CSV show, their answers'
    history included, in the panel's order (two queries per page of rows)."""
    return (
        CheckRecipient.objects.filter(safety_check=check)
        .prefetch_related(answer_history())
        .select_related(
            "traveller",
            "traveller__profile",
            "trip",
            "stop",
            "stop__place",
            "stop__country",
            "handled_by",
        )
        .annotate(panel_order=PANEL_ORDER)
        .order_by("panel_order", "answered_at", "traveller__last_name", "traveller__username")
    )


def rows_changed(*, check: SafetyCheck, known: dict[int, str]) -> list[CheckRecipient]:
    """Of the rows a page shows (id: the version it shows), those that changed since: the
    panel's live update swaps them in (three queries whatever their number)."""
    if not known:
        return []
    rows = check_recipients(check=check).filter(pk__in=known)
    return [row for row in rows if row.row_version != known[row.pk]]


def latest_answer_sentence(recipient: CheckRecipient) -> str:
    """The newest answer in words, for a screen reader when it comes in live."""
    answers = recipient.answers.all()
    if not answers:
        return ""
    latest = answers[len(answers) - 1]
    name = recipient.traveller.get_full_name() or recipient.traveller.username
    how = (
        f"by phone, recorded by {answer_who(latest)}"
        if latest.channel == "manager"
        else latest.get_channel_display()
    )
    return f"{name}: {latest.get_status_display().lower()} ({how})."


def recipients_silent(*, check: SafetyCheck) -> list[CheckRecipient]:
    return list(check_recipients(check=check).filter(status=SafetyStatus.NO_ANSWER))


def latest_check(*, incident: Incident) -> SafetyCheck | None:
    """The incident's open check, or else its most recent one."""
    return (
        SafetyCheck.objects.filter(incident=incident)
        .select_related("started_by", "closed_by")
        .order_by(*_latest_first())
        .first()
    )


def check_panel(*, incident: Incident, page: Any = None) -> dict[str, Any]:
    """What the incident page shows of its safety check: the check (or None), its counts
    and one page of its recipients in order (the calls for help and the silent come first);
    five queries whatever the number of recipients."""
    check = latest_check(incident=incident)
    if check is None:
        return {"check": None, "check_counts": None, "check_recipients": [], "check_page": None}
    recipients = Paginator(check_recipients(check=check), PANEL_PAGE_SIZE).get_page(page)
    return {
        "check": check,
        "check_counts": check_counts(check=check),
        "check_recipients": list(recipients),
        "check_page": recipients,
    }


def _latest_first() -> tuple[Case | str, ...]:
    return (
        Case(When(status=CheckStatus.OPEN, then=Value(0)), default=Value(1)),
        "-started_at",
        "-id",
    )


def check_status_by_traveller(*, incident: Incident) -> dict[int, str]:
    """Each asked traveller's answer to the incident's open (or else last) check (one
    query)."""
    latest = (
        SafetyCheck.objects.filter(incident=incident).order_by(*_latest_first()).values("pk")[:1]
    )
    return dict(
        CheckRecipient.objects.filter(safety_check__in=Subquery(latest)).values_list(
            "traveller_id", "status"
        )
    )


def add_check_status(*, rows: Iterable[Any], incident: Incident) -> None:
    """Fill the impacted rows' ``check_status`` (null for whoever the check did not ask)."""
    answers = check_status_by_traveller(incident=incident)
    for row in rows:
        row.check_status = answers.get(row.traveller.pk)


def checks_asking(*, user: User | AnonymousUser) -> list[CheckRecipient]:
    """The open checks that ask this user, newest first, as their recipient rows."""
    if not user.is_authenticated:
        return []
    return list(
        CheckRecipient.objects.filter(traveller=user, safety_check__status=CheckStatus.OPEN)
        .select_related("safety_check__incident__country", "stop__place")
        .order_by("-safety_check__started_at", "-pk")
    )


def recipient_of(*, user: User, check_id: int) -> CheckRecipient | None:
    """This user's row in that check (None: they were not asked, so it is a 404)."""
    return (
        CheckRecipient.objects.filter(traveller=user, safety_check_id=check_id)
        .select_related("safety_check__incident", "traveller")
        .first()
    )


def answer_who(answer: CheckAnswer) -> str:
    """Who gave an answer, as people say it: the manager who took the call, whoever was
    signed in, or the traveller (a link with nobody signed in is the traveller's own)."""
    person = answer.recorded_by or answer.recipient.traveller
    return person.get_full_name() or person.username


def _csv_answer(answer: CheckAnswer) -> str:
    line = (
        f"{answer.created_at.isoformat()} {answer.status} "
        f"({answer.get_channel_display()}, {answer_who(answer)})"
    )
    return f"{line}: {answer.note}" if answer.note else line


def csv_rows(*, recipients: Iterable[CheckRecipient]) -> Iterable[list[object]]:
    """One row per recipient: the current answer, the traveller's own note, and every
    answer given (one line each, oldest first) so a phone record never hides the rest."""
    for recipient in recipients:
        traveller = recipient.traveller
        profile = getattr(traveller, "profile", None)
        stop = recipient.stop
        yield [
            traveller.get_full_name() or traveller.username,
            traveller.email,
            profile.phone if profile else "",
            " ".join(
                part
                for part in (
                    profile.emergency_contact_name if profile else "",
                    profile.emergency_contact_phone if profile else "",
                )
                if part
            ),
            stop.place_label if stop else "",
            stop.arrival.isoformat() if stop else "",
            stop.departure.isoformat() if stop else "",
            recipient.trip_id or "",
            recipient.status,
            recipient.answered_at.isoformat() if recipient.answered_at else "",
            recipient.channel,
            recipient.note,
            "\n".join(_csv_answer(answer) for answer in recipient.answers.all()),
            "yes" if recipient.handled else "",
            recipient.handled_note,
            recipient.delivered_cycle,
        ]


CSV_HEADER = [
    "traveller",
    "email",
    "phone",
    "emergency contact",
    "place",
    "arrival",
    "departure",
    "trip",
    "status",
    "answered at",
    "channel",
    "note",
    "answers",
    "handled",
    "handling note",
    "times asked",
]
