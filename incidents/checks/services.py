"""Writes for safety checks ("Are you OK?"): start, ask (in batches, each e-mail claimed
once per cycle), answer (link, portal, API, a manager taking a phone call), handle, close,
and the beat task's tick that asks again, escalates silence and heals lost work.

The life of one check::

    start: recipients = travellers *there* (place, country or possibly) now, one per person
      cycle 1 asked at once --interval--> cycle 2 asked ... cycle N --interval--> escalation
    close: the links stop working, nobody is asked again

Sending is idempotent. Each recipient's e-mail of a cycle is claimed on its row with a
conditional UPDATE (``asked_cycle < N`` -> ``N``, a whole batch's rows in one statement)
before it is sent and each e-mail marked delivered as soon as it is sent, so a duplicate
task, a retried batch or a worker restarted after SIGKILL sends nobody a second copy (short
of the one e-mail a killed worker was sending and had no time to mark). The sending worker
renews its batch's claim every few seconds; a claim left unrenewed by a dead worker is
released by the next tick, which re-enqueues whatever is still unasked at once: nobody is
silently skipped either, and everyone is asked within two minutes of the worker's death.
The managers' "need help" alert and the escalation follow the same claim-then-mark pattern.

Tasks take ids (incidents/checks/tasks.py) and call the functions here; enqueues happen after the
transaction commits and never undo it when the broker is down: the tick catches up.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core import roles
from core.audit import audit_record
from core.errors import Conflict, NotAllowed
from core.lib.numbers import parse_whole_number
from core.lib.text import text_problem
from core.mail import MailMerge, mail_footer, send_templated
from core.outbox import outbox_enqueue
from incidents.checks.selectors import recipients_silent
from incidents.models import (
    CHECK_CYCLES_LIMITS,
    CHECK_INTERVAL_LIMITS,
    AnswerChannel,
    CheckAnswer,
    CheckRecipient,
    CheckStatus,
    Incident,
    SafetyCheck,
    SafetyStatus,
    Severity,
)
from incidents.selectors import travellers_there

logger = logging.getLogger(__name__)

TOKEN_SALT = "incidents.safety-check.answer"
BATCH_SIZE = 250  # e-mails per task: a 5,000-person check is 20 tasks for the workers to share
# A sending worker renews its batch's claim this often (seconds), and each e-mail's send
# may take up to SEND_TIMEOUT: a claim not renewed for ASK_CLAIM_STALE belongs to a dead
# worker, and the tick (every minute) releases it and asks again, so everyone is asked
# within two minutes of a worker's death (check_send_asks).
CLAIM_HEARTBEAT = 10
SEND_TIMEOUT = 20.0
ASK_CLAIM_STALE = dt.timedelta(seconds=45)
# How long a queued cycle may wait before the tick assumes its message was lost, and how
# often the tick re-enqueues it at most. A re-enqueue of what is only slow costs a task
# that claims nothing.
RESEND_GRACE = dt.timedelta(seconds=60)
CLAIM_MARGIN = dt.timedelta(seconds=30)
NOTE_MAX = 2000
ANSWERABLE = (SafetyStatus.SAFE, SafetyStatus.NEED_HELP)

ALREADY_OPEN = "A safety check is already open for this incident: close it before starting another."
CLOSED = "This safety check is closed: call the security desk."
INCIDENT_CLOSED = "This incident is closed: no safety check can start."
MANAGERS_ONLY = "Only security managers run safety checks."


class CheckClosed(Conflict):
    """An answer or a change to a check that is closed."""


def stale_claim_age() -> dt.timedelta:
    return dt.timedelta(seconds=int(settings.CELERY_TASK_TIME_LIMIT)) + CLAIM_MARGIN


# --- the personal link ---------------------------------------------------------------------


def answer_token(recipient: CheckRecipient) -> str:
    """The signed token of a recipient's link: their row and their check, nothing guessable.
    It needs no expiry of its own: closing the check is what stops it working."""
    return signing.dumps([recipient.pk, recipient.safety_check_id], salt=TOKEN_SALT)


def recipient_for_token(token: str) -> CheckRecipient | None:
    """The recipient a link was made for, or None when the token is forged or mangled, or its
    traveller's account is closed (an erased leaver's link dies with them)."""
    try:
        recipient_id, check_id = signing.loads(token, salt=TOKEN_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(recipient_id, int) or not isinstance(check_id, int):
        return None
    return (
        CheckRecipient.objects.select_related(
            "safety_check__incident__country", "traveller", "stop__place"
        )
        .filter(pk=recipient_id, safety_check_id=check_id, traveller__is_active=True)
        .first()
    )


def answer_url(recipient: CheckRecipient) -> str:
    path = reverse("check-answer-link", args=[answer_token(recipient)])
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}"


# --- start ---------------------------------------------------------------------------------


def _whole_number(
    errors: dict[str, list[str]], name: str, value: Any, default: int, limits: tuple[int, int]
) -> int:
    if value is None or value == "":
        return default
    low, high = limits
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors[name] = [f"A whole number from {low} to {high}."]
        return default
    # Bounded before conversion: int() of thousands of digits raises.
    number = parse_whole_number(value if isinstance(value, int) else str(value), maximum=high)
    if number is None or number < low:
        errors[name] = [f"A whole number from {low} to {high}."]
        return default
    return number


# The columns a new recipient row is written with (the others start empty: NULL).
_NEW_RECIPIENT_GIVEN = ("traveller", "trip", "stop", "match")


def _insert_recipients(check: SafetyCheck, recipients: list[dict[str, Any]]) -> list[int]:
    """Write the check's recipient rows (as ``incidents.selectors.travellers_there`` gives
    them); their ids, lowest first.

    On PostgreSQL one INSERT from four arrays, every other required column its model default:
    ``bulk_create`` prepares all nineteen columns of every row in Python, most of a
    5,000-person start (about 0.3 s, while no worker can begin), where this takes some 30 ms.
    """
    if db_connection.vendor != "postgresql":
        rows = CheckRecipient.objects.bulk_create(
            [CheckRecipient(safety_check=check, **values) for values in recipients],
            batch_size=1000,
        )
        if any(row.pk is None for row in rows):  # a database that returns no ids
            return list(_unasked(check, 1).order_by("pk").values_list("pk", flat=True))
        return [row.pk for row in rows]
    meta = CheckRecipient._meta
    given = [field for field in meta.concrete_fields if field.name in _NEW_RECIPIENT_GIVEN]
    fixed = [
        field
        for field in meta.concrete_fields
        if not field.null and not field.primary_key and field not in given
    ]
    arrays = [[values[field.attname] for values in recipients] for field in given]
    constants = [
        check.pk
        if field.name == "safety_check"
        else field.get_db_prep_save(field.get_default(), db_connection)
        for field in fixed
    ]
    columns = ", ".join(
        db_connection.ops.quote_name(field.column)
        for field in (*fixed, *given)
        if field.column  # every concrete field has one
    )
    array_types = ", ".join(f"%s::{field.cast_db_type(db_connection)}[]" for field in given)
    with db_connection.cursor() as cursor:
        cursor.execute(
            # Names from the model's own metadata, every value a parameter.
            f"INSERT INTO {db_connection.ops.quote_name(meta.db_table)} ({columns}) "  # noqa: S608
            f"SELECT {', '.join(['%s'] * len(fixed))}, * FROM unnest({array_types}) "
            "RETURNING id",
            [*constants, *arrays],
        )
        return sorted(row[0] for row in cursor.fetchall())


def check_start(
    *,
    incident: Incident,
    by: User | None,
    interval_minutes: Any = None,
    cycles: Any = None,
    on: dt.date | None = None,
    automatic: bool = False,
) -> SafetyCheck:
    """Start a safety check: everyone there is asked now, then again every
    ``interval_minutes`` (default 30) up to ``cycles`` (default 3) while silent.

    ``by`` is the manager who starts it or, when a critical incident starts its own
    (``automatic``), whoever declared it (a manager or a content admin; None for a feed).
    Bad numbers are a ValidationError naming the field; a check already open is a Conflict
    (409). The request writes the rows and queues the first cycle's e-mails in batches:
    workers send them.
    """
    if not automatic and (by is None or not roles.is_manager(by)):
        raise NotAllowed(MANAGERS_ONLY)
    errors: dict[str, list[str]] = {}
    interval = _whole_number(
        errors, "interval_minutes", interval_minutes, 30, CHECK_INTERVAL_LIMITS
    )
    rounds = _whole_number(errors, "cycles", cycles, 3, CHECK_CYCLES_LIMITS)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            # The incident's row lock makes two simultaneous starts queue up; the partial
            # unique constraint holds the line where locks do not exist (SQLite).
            if not Incident.objects.select_for_update().get(pk=incident.pk).is_open:
                # After its all-clear, nobody is asked "Are you OK?" about it again.
                raise Conflict(INCIDENT_CLOSED)
            if SafetyCheck.objects.filter(incident=incident, status=CheckStatus.OPEN).exists():
                raise Conflict(ALREADY_OPEN)
            now = timezone.now()
            check = SafetyCheck.objects.create(
                incident=incident,
                interval_minutes=interval,
                cycles=rounds,
                cycle=1,
                cycle_started_at=now,
                next_cycle_at=now + dt.timedelta(minutes=interval),
                started_by=by,
                started_at=now,
            )
            recipients = travellers_there(incident, on)
            recipient_ids = _insert_recipients(check, recipients)
            audit_record(
                actor=by,
                action="check.started",
                obj=check,
                details={
                    "incident": incident.pk,
                    "recipients": len(recipients),
                    "interval_minutes": interval,
                    "cycles": rounds,
                    "automatic": automatic,
                },
            )
            # The first cycle's batches are queued here, in the start's own transaction,
            # rather than by a task that would first split them: the first batch reaches a
            # worker as soon as this commits, while the others are still being handed over.
            _enqueue_on_commit(partial(_enqueue_batches, check.pk, 1, recipient_ids))
    except IntegrityError:
        raise Conflict(ALREADY_OPEN) from None
    return check


def check_start_if_critical(
    *, incident: Incident, previous_severity: str | None = None, by: User | None = None
) -> SafetyCheck | None:
    """A critical incident starts its own check when it is declared critical or raised to
    critical (not on every later edit, so a check a manager closed stays closed). ``by``,
    who declared or raised it, is recorded as the one who started it."""
    if incident.severity != Severity.CRITICAL or previous_severity == Severity.CRITICAL:
        return None
    if SafetyCheck.objects.filter(incident=incident, status=CheckStatus.OPEN).exists():
        return None
    try:
        starter = by if getattr(by, "is_authenticated", False) else None
        return check_start(incident=incident, by=starter, automatic=True)
    except Conflict:
        return None


# --- asking --------------------------------------------------------------------------------


def _enqueue_on_commit(send: Callable[[], object]) -> None:
    # `send` records its task in the outbox now, in the caller's transaction (core.outbox):
    # it is sent when that commits, and relayed later if the broker is down then.
    send()


def _outbox_key(kind: str, *ids: int) -> str:
    # Each recording is its own message (the tick may re-enqueue the same ask): the rows'
    # claims, not the outbox, keep a duplicate from e-mailing anyone twice.
    return ":".join(["incidents.check", kind, *map(str, ids), uuid.uuid4().hex])


def _enqueue_ask(check_id: int, cycle: int) -> None:
    outbox_enqueue(
        task="incidents.check_tasks.check_ask_cycle",
        kwargs={"check_id": check_id, "cycle": cycle},
        key=_outbox_key("ask", check_id, cycle),
    )


def _unasked(check: SafetyCheck, cycle: int) -> QuerySet[CheckRecipient]:
    return CheckRecipient.objects.filter(
        safety_check=check, status=SafetyStatus.NO_ANSWER, asked_cycle__lt=cycle
    )


def check_queue_asks(*, check_id: int, cycle: int) -> int:
    """Split the cycle's unasked recipients into batches, one task each. Returns how many
    batches were queued (none when the check is closed or has moved on)."""
    check = SafetyCheck.objects.filter(pk=check_id, status=CheckStatus.OPEN, cycle=cycle).first()
    if check is None:
        return 0
    ids = list(_unasked(check, cycle).order_by("pk").values_list("pk", flat=True))
    # One transaction for the batches' outbox rows: one commit, then each is sent at once.
    with transaction.atomic():
        return _enqueue_batches(check_id, cycle, ids)


def _enqueue_batches(check_id: int, cycle: int, recipient_ids: Sequence[int]) -> int:
    """Record one task per ``BATCH_SIZE`` recipients, in the order given. Returns how many."""
    batches = [
        list(recipient_ids[start : start + BATCH_SIZE])
        for start in range(0, len(recipient_ids), BATCH_SIZE)
    ]
    for batch in batches:
        outbox_enqueue(
            task="incidents.check_tasks.check_send_asks",
            kwargs={"check_id": check_id, "cycle": cycle, "recipient_ids": batch},
            key=_outbox_key("send", check_id, cycle),
        )
    return len(batches)


def _ask_mail(check: SafetyCheck, cycle: int) -> MailMerge:
    """The "Are you OK?" e-mail of a batch, rendered once: each traveller's name and personal
    link are put in for them (``_ask_values``). Plain text alone: an emergency message must
    read on any phone and mail client, over a poor connection, and its link is the point."""
    context = {
        "incident": check.incident,
        "check": check,
        "cycle": cycle,
        "reminder": cycle > 1,
        "portal_url": f"{settings.PORTAL_BASE_URL.rstrip('/')}/",
    }
    return MailMerge("safety-check-ask", context, ("name", "answer_url"), footer=mail_footer())


def _ask_values(recipient: CheckRecipient) -> dict[str, str]:
    traveller = recipient.traveller
    return {
        "name": traveller.first_name or traveller.username,
        "answer_url": answer_url(recipient),
    }


def _claim_asks(
    *, check_id: int, cycle: int, recipient_ids: Sequence[int], claimed_at: dt.datetime
) -> int:
    """Claim, in one conditional UPDATE, the e-mails of this cycle that nobody has claimed
    (of the recipients still silent, while the check is open and at this cycle)."""
    # The check's conditions are a subquery on the foreign key, not a join: with a join
    # Django would move every condition into a subquery, which PostgreSQL does not re-check
    # against a row that a concurrent claim has just updated (both claims would win).
    current = SafetyCheck.objects.filter(pk=check_id, status=CheckStatus.OPEN, cycle=cycle)
    return CheckRecipient.objects.filter(
        pk__in=recipient_ids,
        safety_check__in=current,
        status=SafetyStatus.NO_ANSWER,
        asked_cycle__lt=cycle,
    ).update(asked_cycle=cycle, asked_at=claimed_at)


def _close_quietly(connection: Any) -> None:
    # After a refused e-mail the connection may be broken, and closing it may fail too: the
    # next e-mail opens a fresh one, and the failure that matters is already recorded.
    with contextlib.suppress(Exception):
        connection.close()


@functools.cache
def _mark_delivered_sql() -> str:
    quote = db_connection.ops.quote_name
    meta = CheckRecipient._meta
    columns = {field.name: field.column or field.name for field in meta.concrete_fields}
    asked, delivered, key = (
        quote(columns[name]) for name in ("asked_cycle", "delivered_cycle", "id")
    )
    # Names from the model's own metadata, every value a parameter.
    return (
        f"UPDATE {quote(meta.db_table)} SET {asked} = %s, {delivered} = %s "  # noqa: S608
        f"WHERE {key} = %s AND {delivered} < %s"
    )


class _BatchClaim:
    """A batch's claim on its recipients' e-mails of one cycle, as the sending worker holds
    it: the rows it claimed carry its stamp (``asked_at``), renewed every ``CLAIM_HEARTBEAT``
    so the tick can tell a live worker's claim (fresh) from a dead one's (stale after
    ``ASK_CLAIM_STALE``). A renewal that finds rows no longer carrying the stamp (the tick
    took them back from a worker it thought dead) drops them: never two senders."""

    def __init__(self, *, cycle: int, recipient_ids: Sequence[int], stamp: dt.datetime):
        self.cycle = cycle
        self.stamp = stamp
        self.held = set(recipient_ids)
        self.renewed = time.monotonic()

    def rows(self, ids: Sequence[int] | set[int]) -> QuerySet[CheckRecipient]:
        return CheckRecipient.objects.filter(
            pk__in=ids, asked_cycle=self.cycle, asked_at=self.stamp
        ).exclude(delivered_cycle=self.cycle)

    def renew_if_due(self) -> None:
        if time.monotonic() - self.renewed < CLAIM_HEARTBEAT or not self.held:
            return
        stamp = timezone.now()
        self.rows(self.held).update(asked_at=stamp)
        self.held = set(
            CheckRecipient.objects.filter(
                pk__in=self.held, asked_cycle=self.cycle, asked_at=stamp
            ).values_list("pk", flat=True)
        )
        self.stamp = stamp
        self.renewed = time.monotonic()

    def delivered(self, cursor: Any, recipient_id: int) -> None:
        """Sent: marked at once, by its key (an index lookup), so a worker killed now
        leaves no sent e-mail unmarked but, at most, the one it was sending. Marked asked
        too, whatever became of the claim meanwhile (a tick that took it back from a worker
        it thought dead): it was sent, and nobody may claim it again.

        One statement written once (``_mark_delivered_sql``) rather than a queryset's
        ``update()``: building that SQL anew for every e-mail cost four times the
        statement's own round trip, on the path that decides how fast a check goes out."""
        cursor.execute(_mark_delivered_sql(), [self.cycle, self.cycle, recipient_id, self.cycle])
        self.held.discard(recipient_id)

    def give_back(self) -> None:
        """Not sent: the claims go back for the retry (or the tick) to ask them."""
        if self.held:
            self.rows(self.held).update(asked_cycle=F("delivered_cycle"), asked_at=None)
            self.held.clear()


def _commit_without_waiting_for_disk(on: bool) -> None:
    """While a batch is sent, PostgreSQL commits its per-e-mail marks without waiting for
    the disk (``synchronous_commit``): a mark then costs a round trip, not a flush (5,000
    flushes took ten times the batch's sending). A worker killed loses nothing so: the server
    has every mark it acknowledged. Only the database server crashing in the next fraction
    of a second could lose the last marks, and those e-mails be sent again."""
    if db_connection.vendor != "postgresql":
        return
    with contextlib.suppress(Exception), db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF" if on else "RESET synchronous_commit")


def _send_timeout() -> float:
    configured = getattr(settings, "EMAIL_TIMEOUT", None)
    return min(float(configured), SEND_TIMEOUT) if configured else SEND_TIMEOUT


def _asks_claimed(
    *, check_id: int, cycle: int, recipient_ids: Sequence[int], claimed_at: dt.datetime
) -> list[CheckRecipient]:
    """Claim this batch's e-mails of the cycle (``_claim_asks``) and load the recipients this
    call now holds, with just what their e-mail needs."""
    claimed = _claim_asks(
        check_id=check_id, cycle=cycle, recipient_ids=recipient_ids, claimed_at=claimed_at
    )
    unclaimed = len(recipient_ids) - claimed
    if unclaimed:
        logger.info(
            "Safety check %s: cycle %s already asked (or answered) for %s of %s recipients",
            check_id,
            cycle,
            unclaimed,
            len(recipient_ids),
        )
    if not claimed:
        return []
    return list(
        CheckRecipient.objects.filter(pk__in=recipient_ids, asked_cycle=cycle, asked_at=claimed_at)
        .select_related("traveller")
        # What the e-mail and its link need (``_ask_values``), not the travellers' whole rows.
        .only("safety_check_id", "traveller__first_name", "traveller__username", "traveller__email")
        .order_by("pk")
    )


def check_send_asks(*, check_id: int, cycle: int, recipient_ids: Sequence[int]) -> int:
    """One batch: claim its e-mails of this cycle in one UPDATE (whoever already has one, or
    answered, is left out), send them through one mail connection, and mark each delivered
    as soon as it is sent (one UPDATE by key). Returns how many this call sent.

    A worker killed mid-batch has marked everything it sent but, at most, the one e-mail it
    was sending: that one alone may go out twice. Its other claims stop being renewed
    (``_BatchClaim``), go stale within ``ASK_CLAIM_STALE`` and are released by the next
    tick, which queues them again at once.

    An e-mail the mail server refuses does not stop the others: its claim is given back and
    the failure raised at the end for the task to retry (the claims make the retry ask only
    who was missed). A connection that cannot be opened stops the batch, every unsent claim
    given back."""
    claimed_at = timezone.now()
    recipients = _asks_claimed(
        check_id=check_id, cycle=cycle, recipient_ids=recipient_ids, claimed_at=claimed_at
    )
    if not recipients:
        return 0
    claim = _BatchClaim(
        cycle=cycle, recipient_ids=[recipient.pk for recipient in recipients], stamp=claimed_at
    )
    check = SafetyCheck.objects.select_related("incident__country").get(pk=check_id)
    connection = get_connection(timeout=_send_timeout())
    opened = False
    sent = 0
    failure: Exception | None = None
    marks = db_connection.cursor()
    try:
        _commit_without_waiting_for_disk(True)
        ask = _ask_mail(check, cycle)  # if it cannot be written, every claim is given back
        for recipient in recipients:
            claim.renew_if_due()
            if recipient.pk not in claim.held:
                continue  # taken back by the tick: another worker asks them
            try:
                message = ask.message(_ask_values(recipient), [recipient.traveller.email])
            except Exception as exc:
                logger.exception(
                    "Safety check %s: no e-mail for recipient %s", check_id, recipient.pk
                )
                failure = exc
                continue
            if message is not None:  # nobody to write to: asked as far as we can
                if not opened:
                    connection.open()  # unreachable: the batch stops, its claims given back
                    opened = True
                try:
                    connection.send_messages([message])
                except Exception as exc:
                    logger.exception(
                        "Safety check %s: could not ask recipient %s", check_id, recipient.pk
                    )
                    failure = exc
                    _close_quietly(connection)
                    opened = False
                    continue
            claim.delivered(marks, recipient.pk)
            sent += 1
    finally:
        claim.give_back()
        _commit_without_waiting_for_disk(False)
        marks.close()
        if opened:
            _close_quietly(connection)
    logger.info(
        "Safety check %s: asked %s of %s recipients (cycle %s)",
        check_id,
        sent,
        len(recipient_ids),
        cycle,
    )
    if failure is not None:
        raise failure
    return sent


# --- answers -------------------------------------------------------------------------------


def _clean_status(status: Any) -> str:
    if status not in ANSWERABLE:
        raise ValidationError({"status": ['Answer "safe" or "need_help".']})
    return str(status)


def _clean_note(note: object, field: str = "note") -> str:
    if note is None:
        return ""
    if not isinstance(note, str):
        raise ValidationError({field: ["Write the note as text."]})
    note = note.strip()
    # NUL and other control characters are never text (PostgreSQL cannot even store NUL),
    # nor are direction overrides (core.lib.text).
    if problem := text_problem(note, multiline=True):
        raise ValidationError({field: [problem]})
    if len(note) > NOTE_MAX:
        raise ValidationError({field: [f"Keep the note under {NOTE_MAX} characters."]})
    return note


def _record_answer(
    *,
    recipient: CheckRecipient,
    status: str,
    note: str,
    channel: str,
    ip: str | None,
    by: User | None,
) -> CheckAnswer:
    """Keep one more answer beside the others, and make it the recipient's current status.

    ``note`` on the recipient row stays what the traveller said themselves: a manager's
    record of a phone call is an answer of its own (with its own note, in the history) and
    never takes the place of the traveller's words."""
    with transaction.atomic():
        check = SafetyCheck.objects.select_for_update().get(pk=recipient.safety_check_id)
        if check.status != CheckStatus.OPEN:
            raise CheckClosed(CLOSED)
        now = timezone.now()
        answer = CheckAnswer.objects.create(
            recipient=recipient,
            status=status,
            note=note,
            channel=channel,
            ip=ip,
            recorded_by=by,
            created_at=now,
        )
        changes: dict[str, Any] = {"status": status, "answered_at": now, "channel": channel}
        if channel != AnswerChannel.MANAGER:
            changes["note"] = note
        CheckRecipient.objects.filter(pk=recipient.pk).update(**changes)
        wants_help = status == SafetyStatus.NEED_HELP
        # The managers hear of a call for help once per person and check, however often
        # they press the button.
        first_call = (
            wants_help
            and CheckRecipient.objects.filter(
                pk=recipient.pk, help_requested_at__isnull=True
            ).update(help_requested_at=now)
            == 1
        )
        details: dict[str, Any] = {
            "recipient": recipient.pk,
            "answer": answer.pk,
            "traveller": recipient.traveller.username,
            "status": status,
            "channel": channel,
            "note": note,
        }
        if by is not None and by.pk != recipient.traveller_id:
            # Someone else answered (a manager by phone, or a colleague signed in who
            # opened the traveller's link): the audit names them, and whose answer it is.
            details["answered_for"] = recipient.traveller.username
        audit_record(
            # From the link with nobody signed in, the traveller it was signed for answered.
            actor=by or recipient.traveller,
            action="check.answered",
            obj=check,
            ip=ip,
            details=details,
        )
        if first_call:
            _enqueue_on_commit(lambda: _enqueue_help_alert(recipient.pk))
    recipient.refresh_from_db()
    return answer


def check_answer(
    *,
    recipient: CheckRecipient,
    status: Any,
    note: Any = "",
    channel: str,
    ip: str | None = None,
    by: User | None = None,
) -> CheckAnswer:
    """The traveller answers ("safe" or "need_help", with an optional note) from their link,
    the portal or the API. Answers can change; each one is kept. A closed check refuses
    (409).

    On the portal and the API ``by`` must be the traveller. From the link the signed token
    is the proof, and ``by`` is whoever was signed in on that browser (None when nobody
    was): a colleague answering on the traveller's link is recorded as who answered."""
    if channel not in (AnswerChannel.LINK, AnswerChannel.PORTAL, AnswerChannel.API):
        raise ValueError(f"not a traveller's channel: {channel}")
    if channel != AnswerChannel.LINK and (by is None or by.pk != recipient.traveller_id):
        raise NotAllowed("Only the traveller who was asked can answer for themselves.")
    return _record_answer(
        recipient=recipient,
        status=_clean_status(status),
        note=_clean_note(note),
        channel=channel,
        ip=ip,
        by=by,
    )


def check_recipient_update(
    *,
    recipient: CheckRecipient,
    by: User,
    status: Any = None,
    handled: Any = None,
    note: Any = None,
    handled_note: Any = None,
    ip: str | None = None,
) -> CheckRecipient:
    """A manager records an answer received by phone (channel ``manager``: a new answer
    beside the traveller's own, with ``note``) and/or marks a call for help handled (with
    ``handled_note``; when only a handling is given, ``note`` is its note). Nothing changes
    unless everything is valid."""
    if not roles.is_manager(by):
        raise NotAllowed(MANAGERS_ONLY)
    if status in (None, "") and handled is None:
        raise ValidationError({"non_field_errors": ["Give an answer, a handling, or both."]})
    if handled is not None and not isinstance(handled, bool):
        raise ValidationError({"handled": ["true or false."]})
    clean_status = _clean_status(status) if status not in (None, "") else None
    answer_note = _clean_note(note)
    if handled_note is not None:
        clean_handled_note = _clean_note(handled_note, "handled_note")
    else:
        # One note for both: the manager wrote it about the call and its handling.
        clean_handled_note = answer_note
    with transaction.atomic():
        check = SafetyCheck.objects.select_for_update().get(pk=recipient.safety_check_id)
        if check.status != CheckStatus.OPEN:
            raise CheckClosed("This safety check is closed: it can no longer be changed.")
        if clean_status is not None:
            _record_answer(
                recipient=recipient,
                status=clean_status,
                note=answer_note,
                channel=AnswerChannel.MANAGER,
                ip=ip,
                by=by,
            )
        if handled is not None:
            CheckRecipient.objects.filter(pk=recipient.pk).update(
                handled=handled,
                handled_note=clean_handled_note if handled else "",
                handled_by=by if handled else None,
                handled_at=timezone.now() if handled else None,
            )
            audit_record(
                actor=by,
                action="check.handled" if handled else "check.unhandled",
                obj=check,
                ip=ip,
                details={
                    "recipient": recipient.pk,
                    "traveller": recipient.traveller.username,
                    "note": clean_handled_note,
                },
            )
    recipient.refresh_from_db()
    return recipient


def check_close(
    *, check: SafetyCheck, by: User | None, ip: str | None = None, with_incident: bool = False
) -> SafetyCheck:
    """Close the check: its links stop working and nobody is asked again.

    ``with_incident``: the incident itself is closing (incidents.services.incident_close),
    which a content admin may do too; its check closes with it."""
    if not roles.is_manager(by) and not with_incident:
        raise NotAllowed(MANAGERS_ONLY)
    with transaction.atomic():
        now = timezone.now()
        closed = SafetyCheck.objects.filter(pk=check.pk, status=CheckStatus.OPEN).update(
            status=CheckStatus.CLOSED, closed_at=now, closed_by=by, next_cycle_at=None
        )
        if not closed:
            raise Conflict("This safety check is already closed.")
        counts = dict.fromkeys(SafetyStatus.values, 0)
        for status in CheckRecipient.objects.filter(safety_check=check).values_list(
            "status", flat=True
        ):
            counts[status] += 1
        details: dict[str, Any] = {**counts, "with_incident": True} if with_incident else counts
        audit_record(actor=by, action="check.closed", obj=check, ip=ip, details=details)
    check.refresh_from_db()
    return check


# --- alerts to the managers ----------------------------------------------------------------


def _enqueue_help_alert(recipient_id: int) -> None:
    outbox_enqueue(
        task="incidents.check_tasks.check_alert_help",
        kwargs={"recipient_id": recipient_id},
        key=_outbox_key("help", recipient_id),
    )


def _enqueue_escalation(check_id: int) -> None:
    outbox_enqueue(
        task="incidents.check_tasks.check_escalate",
        kwargs={"check_id": check_id},
        key=_outbox_key("escalate", check_id),
    )


def _check_url(check: SafetyCheck) -> str:
    path = reverse("incident-detail", args=[check.incident_id])
    return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}#safety-check"


def check_alert_help(*, recipient_id: int) -> bool:
    """E-mail every security manager that this traveller needs help: phone, emergency
    contact, stop and note. Once per recipient and check (claimed before it is sent)."""
    claimed_at = timezone.now()
    if not CheckRecipient.objects.filter(
        pk=recipient_id,
        help_requested_at__isnull=False,
        help_claimed_at__isnull=True,
        help_alerted_at__isnull=True,
    ).update(help_claimed_at=claimed_at):
        logger.info("Safety check recipient %s: need-help alert already sent", recipient_id)
        return False
    mine = CheckRecipient.objects.filter(pk=recipient_id, help_claimed_at=claimed_at)
    try:
        recipient = CheckRecipient.objects.select_related(
            "traveller__profile", "stop__place", "stop__country", "safety_check__incident"
        ).get(pk=recipient_id)
        send_templated(
            "safety-check-need-help",
            {
                "recipient": recipient,
                "traveller": recipient.traveller,
                "profile": getattr(recipient.traveller, "profile", None),
                "stop": recipient.stop,
                "incident": recipient.safety_check.incident,
                "check_url": _check_url(recipient.safety_check),
            },
            roles.manager_emails(),
        )
    except BaseException:
        mine.update(help_claimed_at=None)
        raise
    mine.update(help_alerted_at=timezone.now())
    logger.info("Safety check recipient %s: managers told they need help", recipient_id)
    return True


def check_escalate(*, check_id: int) -> bool:
    """After the last cycle: one e-mail to the security managers listing everyone still
    silent, with phone and emergency contact. Sent once (claimed before it is sent)."""
    claimed_at = timezone.now()
    if not SafetyCheck.objects.filter(
        pk=check_id,
        escalation_due_at__isnull=False,
        escalation_claimed_at__isnull=True,
        escalated_at__isnull=True,
    ).update(escalation_claimed_at=claimed_at):
        logger.info("Safety check %s: escalation already sent", check_id)
        return False
    mine = SafetyCheck.objects.filter(pk=check_id, escalation_claimed_at=claimed_at)
    try:
        check = SafetyCheck.objects.select_related("incident").get(pk=check_id)
        silent = recipients_silent(check=check)
        if silent:
            send_templated(
                "safety-check-silent",
                {
                    "check": check,
                    "incident": check.incident,
                    "rows": silent,
                    "check_url": _check_url(check),
                },
                roles.manager_emails(),
            )
    except BaseException:
        mine.update(escalation_claimed_at=None)
        raise
    mine.update(escalated_at=timezone.now())
    logger.info("Safety check %s: escalated %s silent travellers", check_id, len(silent))
    return True


# --- the beat task's tick --------------------------------------------------------------------


def _release_stale_claims(now: dt.datetime) -> set[int]:
    """Claims whose worker died give way: an ask not renewed for ``ASK_CLAIM_STALE`` (a
    live worker renews its batch's every ``CLAIM_HEARTBEAT``), a need-help alert or an
    escalation older than a task's hard limit. Returns the checks whose asks were released:
    the tick queues them again at once."""
    stale_asks = CheckRecipient.objects.filter(
        safety_check__status=CheckStatus.OPEN,
        asked_cycle__gt=F("delivered_cycle"),
        asked_at__lt=now - ASK_CLAIM_STALE,
    )
    released = set(stale_asks.values_list("safety_check_id", flat=True).distinct())
    if released:
        stale_asks.update(asked_cycle=F("delivered_cycle"), asked_at=None)
        logger.warning("Safety checks %s: asks of a dead worker released", sorted(released))
    stale = now - stale_claim_age()
    CheckRecipient.objects.filter(help_alerted_at__isnull=True, help_claimed_at__lt=stale).update(
        help_claimed_at=None
    )
    SafetyCheck.objects.filter(escalated_at__isnull=True, escalation_claimed_at__lt=stale).update(
        escalation_claimed_at=None
    )
    return released


def _advance(check: SafetyCheck, now: dt.datetime) -> str | None:
    """Move one due check to its next cycle, or past the last one to its escalation. The
    conditional UPDATE lets only one tick win."""
    if check.cycle < check.cycles:
        moved = SafetyCheck.objects.filter(
            pk=check.pk, status=CheckStatus.OPEN, cycle=check.cycle
        ).update(
            cycle=check.cycle + 1,
            cycle_started_at=now,
            next_cycle_at=now + dt.timedelta(minutes=check.interval_minutes),
            resent_at=None,
        )
        if not moved:
            return None
        silent = _unasked(check, check.cycle + 1).count()
        audit_record(
            actor=None,
            action="check.asked_again",
            obj=check,
            details={"cycle": check.cycle + 1, "of": check.cycles, "silent": silent},
        )
        cycle = check.cycle + 1
        _enqueue_on_commit(lambda: _enqueue_ask(check.pk, cycle))
        return "asked_again"
    due = SafetyCheck.objects.filter(
        pk=check.pk, status=CheckStatus.OPEN, escalation_due_at__isnull=True
    ).update(escalation_due_at=now, next_cycle_at=None)
    if not due:
        return None
    silent = CheckRecipient.objects.filter(
        safety_check=check, status=SafetyStatus.NO_ANSWER
    ).count()
    audit_record(
        actor=None,
        action="check.escalated",
        obj=check,
        details={"silent": silent, "after_cycles": check.cycles},
    )
    _enqueue_on_commit(lambda: _enqueue_escalation(check.pk))
    return "escalated"


def _heal(now: dt.datetime, released: set[int]) -> list[tuple[str, int]]:
    """Re-enqueue what should have been sent by now and was not (a lost message, a broker
    that was down, a dead worker): unasked recipients of the current cycle (at once for the
    checks whose dead claims were just ``released``), calls for help and escalations not
    sent. The claims make a duplicate harmless."""
    healed: list[tuple[str, int]] = []
    late = now - RESEND_GRACE
    for check in SafetyCheck.objects.filter(
        Q(cycle_started_at__lt=late) | Q(pk__in=released), status=CheckStatus.OPEN
    ):
        if not _unasked(check, check.cycle).exists():
            continue
        again = SafetyCheck.objects.filter(pk=check.pk, cycle=check.cycle)
        if check.pk not in released:
            again = again.filter(Q(resent_at__isnull=True) | Q(resent_at__lt=late))
        if again.update(resent_at=now):
            cycle = check.cycle
            _enqueue_on_commit(partial(_enqueue_ask, check.pk, cycle))
            healed.append(("ask", check.pk))
    for recipient_id in CheckRecipient.objects.filter(
        help_requested_at__lt=late, help_claimed_at__isnull=True, help_alerted_at__isnull=True
    ).values_list("pk", flat=True):
        _enqueue_on_commit(partial(_enqueue_help_alert, recipient_id))
        healed.append(("help", recipient_id))
    for check_id in SafetyCheck.objects.filter(
        escalation_due_at__lt=late, escalation_claimed_at__isnull=True, escalated_at__isnull=True
    ).values_list("pk", flat=True):
        _enqueue_on_commit(partial(_enqueue_escalation, check_id))
        healed.append(("escalation", check_id))
    return healed


def checks_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The beat task (every minute): ask the silent again when their interval is up, tell
    the managers who is still silent after the last cycle, and heal lost work. Safe to run
    any number of times, from any number of schedulers."""
    now = now or timezone.now()
    summary = {"asked_again": 0, "escalated": 0, "healed": 0}
    with transaction.atomic():
        released = _release_stale_claims(now)
        due = SafetyCheck.objects.filter(status=CheckStatus.OPEN, next_cycle_at__lte=now)
        for check in list(due):
            outcome = _advance(check, now)
            if outcome:
                summary[outcome] += 1
        summary["healed"] = len(_heal(now, released))
    return summary
