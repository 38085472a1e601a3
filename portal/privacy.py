"""Personal data that leaves: retention, "download my data", and erasing a leaving employee.

Every model column that can hold personal data is listed in PERSONAL_DATA below, with how rows
are found for one person (erasure of a leaver) and for one trip (retention), and what the column
becomes. Erasure and retention both work from that list; tests/portal/test_personal_data_fields.py
fails when a model gains a personal-looking column that is neither listed there nor declared not
personal, and checks every listed column after erasure and after retention.

What stays, so the company can still show who decided what: the trip row with its status and
risk level, each stop's country and dates (stay limits count days per country across trips),
decisions and transitions with their managers and outcomes (not their comments), whether and
when people answered safety checks and through which channel, the briefing rows (version,
SHA-256, acknowledged when and by whom), and every audit entry with its actor, action, time and
object. Audit entries are redacted, never deleted: an erased trip's purpose and notes leave their
``object_repr`` and ``details``, and an erased person is named there by a stable pseudonym
(``erased-user-<id>``), without what was written about them or the addresses they came from.
What a leaver wrote about other people's trips (a manager's comment, an arranger's tick note)
is about those people: it stays with their trips, under the leaver's pseudonym, until those
trips are erased in turn.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import storages
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from briefings.models import Briefing, BriefingStatus
from core import roles
from core.audit import (
    AUDIT_PERSON_KEYS,
    audit_record,
    audit_redact,
    details_names,
    details_pseudonymised,
    details_without_text,
    email_digest,
    text_names,
    text_pseudonymised,
)
from core.errors import NotAllowed
from core.models import AuditEntry, TravellerProfile
from incidents.models import CheckRecipient, SafetyCheck
from trips.models import (
    CalendarFeed,
    Decision,
    Stop,
    Transition,
    Trip,
    TripStatus,
)
from trips.services import trip_cancel

ERASED_PURPOSE = "(personal details erased)"
TRIP_ERASED = "privacy.trip_erased"
USER_ERASED = "privacy.user_erased"
DATA_EXPORTED = "privacy.data_exported"

# A leaver's trip in one of these states is cancelled when it has not started: nobody will go.
_LEAVER_CANCELS = (
    TripStatus.DRAFT,
    TripStatus.SUBMITTED,
    TripStatus.PENDING_APPROVAL,
    TripStatus.APPROVED,
    TripStatus.CLEARED,
)


# --- what is personal, and how it goes --------------------------------------------------------


class _Marker:
    def __init__(self, meaning: str) -> None:
        self.meaning = meaning

    def __repr__(self) -> str:
        return self.meaning


# The row itself goes (an assessment naming the places, a secret that opens a feed).
DELETE_ROW = _Marker("the row is deleted")
# Rewritten by code named in the entry's ``how``: the value depends on the row (a pseudonym,
# an audit entry's details).
BY_CODE = _Marker("rewritten by code")


@dataclass(frozen=True)
class PersonalData:
    """Columns of one model that hold personal data.

    ``erase`` maps each column to the value it takes when erased (or DELETE_ROW, BY_CODE).
    ``people`` are lookups from a row to the user it is about or who left it there: erasing a
    user erases the rows any of them reaches. ``trip`` is the lookup from a row to its trip:
    retention erases the rows of trips past the retention period (None: kept until the person
    is erased)."""

    model: str
    erase: Mapping[str, Any]
    people: tuple[str, ...]
    trip: str | None = None
    how: str = ""

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    def rows_of_person(self, user: User) -> models.QuerySet[Any]:
        reach = Q()
        for lookup in self.people:
            reach |= Q(**{lookup: user.pk})
        return self.model_class._default_manager.filter(reach) if self.people else _none(self)

    def rows_of_trips(self, trip_ids: Iterable[int]) -> models.QuerySet[Any]:
        if self.trip is None:
            return _none(self)
        return self.model_class._default_manager.filter(**{f"{self.trip}__in": list(trip_ids)})


def _none(entry: PersonalData) -> models.QuerySet[Any]:
    return entry.model_class._default_manager.none()


PERSONAL_DATA: tuple[PersonalData, ...] = (
    # The account and profile: erased with the person, never by retention.
    PersonalData(
        "auth.User",
        {"username": BY_CODE, "first_name": "", "last_name": "", "email": ""},
        people=("pk",),
        how="user_erase: renamed erased-user-<id>, no password, inactive, no groups",
    ),
    PersonalData(
        "core.TravellerProfile",
        {
            "nationality": "",
            "passport_type": "ordinary",
            "date_of_birth": None,
            "department": "",
            "phone": "",
            "emergency_contact_name": "",
            "emergency_contact_phone": "",
        },
        people=("user",),
        how="their arrangers and whom they arrange for are forgotten too",
    ),
    PersonalData("trips.CalendarFeed", {"token": DELETE_ROW}, people=("user",)),
    PersonalData("knox.AuthToken", {"digest": DELETE_ROW, "token_key": DELETE_ROW}, ("user",)),
    PersonalData(
        "axes.AccessAttempt",
        {"username": BY_CODE, "ip_address": BY_CODE, "user_agent": BY_CODE},
        people=(),
        how="_forget_sign_ins: rows under their username deleted; retention deletes old ones",
    ),
    PersonalData(
        "axes.AccessLog",
        {"username": BY_CODE, "ip_address": BY_CODE, "user_agent": BY_CODE},
        people=(),
        how="_forget_sign_ins: rows under their username deleted; retention deletes old ones",
    ),
    PersonalData(
        "axes.AccessFailureLog",
        {"username": BY_CODE, "ip_address": BY_CODE, "user_agent": BY_CODE},
        people=(),
        how="_forget_sign_ins: rows under their username deleted; retention deletes old ones",
    ),
    # Their trips: erased with the person, and by retention.
    PersonalData(
        "trips.Trip",
        {
            "purpose": ERASED_PURPOSE,
            "passport_nationality": "",
            "passport_type": "",
            "visa_category": "",
        },
        people=("traveller",),
        trip="pk",
    ),
    PersonalData(
        "trips.Stop",
        {"place": None, "place_text": "", "activities": []},
        people=("trip__traveller",),
        trip="trip",
        how="the country and dates stay: stay limits count them",
    ),
    PersonalData(
        "trips.Assessment",
        dict.fromkeys(("approval_reasons", "requirements", "sections", "explanation"), DELETE_ROW),
        people=("trip__traveller",),
        trip="trip",
        how="its requirements and explanation name the places",
    ),
    PersonalData("trips.Decision", {"comment": ""}, ("trip__traveller",), trip="trip"),
    PersonalData("trips.Transition", {"comment": ""}, ("trip__traveller",), trip="trip"),
    PersonalData("trips.RequirementTick", {"note": ""}, ("trip__traveller",), trip="trip"),
    PersonalData(
        "briefings.Briefing",
        {"file_name": "", "changes": {}, "error": "", "inputs": {}, "inputs_digest": ""},
        people=("trip__traveller",),
        trip="trip",
        how="trip_erase_personal_details deletes the PDF after the commit; the row is erased",
    ),
    PersonalData(
        "briefings.Acknowledgement",
        {"ip": None},
        people=("briefing__trip__traveller", "user"),
        trip="briefing__trip",
    ),
    # Bookings: who they were for and what arrived; the flights' numbers and dates stay with
    # the trip's countries and dates.
    PersonalData(
        "bookings.Booking",
        {
            "traveller_email": "",
            "traveller_name": "",
            "sender_email": "",
            "unassigned_reason": "",
            "raw": "",
            "payload": {},
            "digest": "",
            "stops": [],
        },
        people=("traveller",),
        trip="trip",
        how="the reference, source, status and dates stay",
    ),
    PersonalData(
        "bookings.Segment",
        {"name": "", "city": "", "latitude": None, "longitude": None},
        people=("booking__traveller",),
        trip="booking__trip",
        how="a hotel's name and address; airports and flight numbers are public",
    ),
    # Safety checks: what was said and from where; whether and when stays with the check.
    PersonalData(
        "incidents.CheckRecipient",
        {"note": "", "handled_note": ""},
        people=("traveller",),
        trip="trip",
    ),
    PersonalData(
        "incidents.CheckAnswer",
        {"note": "", "ip": None},
        people=("recipient__traveller",),
        trip="recipient__trip",
    ),
    # A manager's address on an answer they took by phone is the manager's own.
    PersonalData("incidents.CheckAnswer", {"ip": None}, people=("recorded_by",)),
    # The trails: redacted, never deleted.
    PersonalData(
        "core.AuditEntry",
        {"object_repr": BY_CODE, "details": BY_CODE, "ip": BY_CODE},
        people=("actor",),
        how="_pseudonymise_audit and _redact_trip_audit (see the module's docstring)",
    ),
    PersonalData(
        "admin.LogEntry",
        {"object_repr": BY_CODE, "change_message": BY_CODE},
        people=(),
        how="_redact_admin_log: the description of an erased user or trip is rewritten; "
        "the change message names only the fields changed",
    ),
)


def _erase_rows(entry: PersonalData, rows: models.QuerySet[Any]) -> None:
    """Apply one entry's plain erasures (BY_CODE columns are left to their code)."""
    if any(value is DELETE_ROW for value in entry.erase.values()):
        rows.delete()
        return
    values = {name: value for name, value in entry.erase.items() if value is not BY_CODE}
    if values:
        rows.update(**values)


# --- trips: erased after the retention period -----------------------------------------------


def _delete_files(names: list[str]) -> None:
    storage = storages["private"]
    for name in names:
        if name and storage.exists(name):
            storage.delete(name)


def trip_erase_personal_details(*, trip: Trip, by: User | None, reason: str) -> Trip:
    """Erase one trip's personal details: every PERSONAL_DATA entry's rows of this trip, the
    briefing PDFs, and what its audit entries say about it (see the module's docstring).

    The PDFs are deleted after the commit, so a rollback never leaves a briefing row whose file
    is gone; the briefing rows stay, marked erased. Audited as ``privacy.trip_erased``.
    """
    with transaction.atomic():
        locked: Trip = Trip.objects.select_for_update().get(pk=trip.pk)
        briefings = Briefing.objects.filter(trip=locked)
        files = [name for name in briefings.values_list("file_name", flat=True) if name]
        briefings.filter(status=BriefingStatus.READY).update(status=BriefingStatus.ERASED)
        for entry in PERSONAL_DATA:
            _erase_rows(entry, entry.rows_of_trips([locked.pk]))
        locked.refresh_from_db()
        _redact_trip_audit(locked)
        _redact_admin_log(Trip, {str(locked.pk): str(locked)})
        audit_record(
            actor=by,
            action=TRIP_ERASED,
            obj=locked,
            details={"reason": reason, "briefing_files": len(files)},
        )
        transaction.on_commit(lambda: _delete_files(files), robust=True)
    return locked


def _trip_audit_entries(trip_ids: list[int]) -> models.QuerySet[AuditEntry]:
    """The entries about some trips: the trips themselves, their briefings, and the safety-check
    answers and handling of their travellers there."""

    briefing_ids = Briefing.objects.filter(trip__in=trip_ids).values_list("pk", flat=True)
    recipient_ids = CheckRecipient.objects.filter(trip__in=trip_ids).values_list("pk", flat=True)
    return AuditEntry.objects.filter(
        Q(object_type=Trip._meta.label_lower, object_id__in=[str(pk) for pk in trip_ids])
        | Q(
            object_type=Briefing._meta.label_lower,
            object_id__in=[str(pk) for pk in briefing_ids],
        )
        | Q(
            object_type=SafetyCheck._meta.label_lower,
            details__recipient__in=list(recipient_ids),
        )
    )


def _redact_trip_audit(trip: Trip) -> None:
    """An erased trip's entries lose its purpose, what was written about it and from where."""
    about_trip = _trip_audit_entries([trip.pk])
    for entry in about_trip.only("pk", "object_type", "object_repr", "details"):
        is_trip = entry.object_type == Trip._meta.label_lower
        audit_redact(
            AuditEntry.objects.filter(pk=entry.pk),
            object_repr=str(trip) if is_trip else entry.object_repr,
            details=details_without_text(entry.details),
            ip=None,
        )


def _redact_admin_log(model: type[models.Model], reprs: dict[str, str]) -> None:
    """The admin's own log describes the objects it changed ("Trip #4: Clinic visit"): an
    erased object's description is rewritten; the change message names only fields."""

    kind = ContentType.objects.get_for_model(model)
    for object_id, text in reprs.items():
        LogEntry.objects.filter(content_type=kind, object_id=object_id).update(
            object_repr=text[:200]
        )


def _erased_trip_ids() -> set[int]:
    # The audit trail is the record of what was erased: no flag on the trip to keep in step.
    entries = AuditEntry.objects.filter(action=TRIP_ERASED, object_type=Trip._meta.label_lower)
    return {int(pk) for pk in entries.values_list("object_id", flat=True)}


def _retention_cutoff(today: dt.date) -> dt.date:
    return today - dt.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)


def trips_past_retention(*, today: dt.date | None = None) -> models.QuerySet[Trip]:
    """Trips that ended more than PERSONAL_DATA_RETENTION_DAYS ago (a trip without stops: was
    created that long ago) and are not erased yet, whatever their status: a cancelled or
    rejected trip's purpose is as personal as a completed one's."""
    cutoff = _retention_cutoff(today or timezone.localdate())
    over = Q(last_departure__lt=cutoff) | Q(
        last_departure__isnull=True,
        created_at__date__lt=cutoff,
    )
    return Trip.objects.filter(over).exclude(pk__in=_erased_trip_ids()).order_by("pk")


def trips_erase_expired(*, today: dt.date | None = None) -> list[int]:
    """The daily retention run (beat: portal.tasks.erase_expired_personal_data): the trips past
    the retention period, and the addresses older than it (audit entries, sign-in records).

    Idempotent: an erased trip has its ``privacy.trip_erased`` entry and is not taken again.
    """
    today = today or timezone.localdate()
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    erased = []
    for trip in trips_past_retention(today=today).iterator():
        trip_erase_personal_details(
            trip=trip, by=None, reason=f"Retention: ended more than {days} days ago"
        )
        erased.append(trip.pk)
    _redact_deleted_drafts(cutoff=_retention_cutoff(today))
    _forget_old_addresses(cutoff=_retention_cutoff(today))
    return erased


def _redact_deleted_drafts(*, cutoff: dt.date) -> None:
    """A deleted draft leaves only its audit entry, which carries the purpose typed into it:
    past the retention period the purpose goes from there too (who deleted what stays)."""
    deleted = AuditEntry.objects.filter(
        action="trip.deleted", created_at__date__lt=cutoff, details__has_key="purpose"
    )
    for entry in deleted.only("pk", "object_id", "details"):
        audit_redact(
            AuditEntry.objects.filter(pk=entry.pk),
            object_repr=f"Trip #{entry.object_id}: {ERASED_PURPOSE}",
            details=details_without_text(entry.details),
        )


def _forget_old_addresses(*, cutoff: dt.date) -> None:
    """Where people signed in and acted from is kept for the retention period, then goes: the
    audit entries keep the event without the address, the sign-in records go."""

    audit_redact(AuditEntry.objects.filter(created_at__date__lt=cutoff, ip__isnull=False), ip=None)
    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(attempt_time__date__lt=cutoff).delete()


# --- a leaving employee -------------------------------------------------------------------


def pseudonym(user: User) -> str:
    return f"erased-user-{user.pk}"


def user_erase(*, user: User, by: User) -> User:
    """Erase a leaving employee: their trips' personal details erased (the ones still to come
    cancelled first) and every other PERSONAL_DATA row about them or left by them, the account
    deactivated and renamed ``erased-user-<id>``, their API tokens, calendar feed and sign-in
    records deleted (their answer links stop working with the account), and their audit
    entries pseudonymised. Only superusers, and never themselves. Audited as
    ``privacy.user_erased``."""
    if not getattr(by, "is_superuser", False):
        raise NotAllowed("Only a superuser can erase a user.")
    if by.pk == user.pk:
        raise NotAllowed("You cannot erase your own account.")

    old_username = user.username
    old_email = user.email
    alias = pseudonym(user)
    with transaction.atomic():
        today = timezone.localdate()
        for trip in Trip.objects.filter(traveller=user, status__in=_LEAVER_CANCELS):
            not_started = trip.first_arrival is None or trip.first_arrival > today
            if trip.status == TripStatus.DRAFT or not_started:
                # In the traveller's name (a superuser need not be a manager, and only the
                # traveller, their arranger or a manager may cancel); the reason says who.
                trip_cancel(
                    trip=trip,
                    by=user,
                    reason=f"The traveller left the company (erased by {by.username}).",
                )
        # Gathered before the rows that lead to them are erased.
        about = _audit_about_person(user=user, names={old_username, old_email} - {""})
        for trip in Trip.objects.filter(traveller=user):
            trip_erase_personal_details(trip=trip, by=by, reason="The traveller left")

        TravellerProfile.objects.get_or_create(user=user)
        for entry in PERSONAL_DATA:
            _erase_rows(entry, entry.rows_of_person(user))
        user.profile.arrangers.clear()
        user.arranged_profiles.clear()

        user.username = alias
        user.first_name = ""
        user.last_name = ""
        user.email = ""
        user.is_active = False
        user.is_staff = False
        user.set_unusable_password()
        user.save()
        user.groups.clear()
        _forget_sign_ins(old_username)

        _pseudonymise_audit(
            user=user, about=about, names={old_username, old_email} - {""}, alias=alias
        )
        _redact_admin_log(User, {str(user.pk): alias})
        _redact_admin_log(TravellerProfile, {str(user.profile.pk): f"Profile of {alias}"})
        audit_record(actor=by, action=USER_ERASED, obj=user, details={"user_id": user.pk})
    return user


def _forget_sign_ins(username: str) -> None:
    """django-axes' records of sign-ins and failures under their username (with addresses
    and browsers)."""

    for model in (AccessAttempt, AccessLog, AccessFailureLog):
        model.objects.filter(username=username).delete()


def _audit_about_person(*, user: User, names: set[str]) -> set[int]:
    """The ids of the audit entries about ``user`` (not merely by them): about their account,
    their trips and briefings (deleted drafts too), their safety-check answers and handling,
    alerts and messages sent to them, sign-ins tried in their name, resets asked for their
    address."""

    trip_ids = list(Trip.objects.filter(traveller=user).values_list("pk", flat=True))
    recipient_ids = list(CheckRecipient.objects.filter(traveller=user).values_list("pk", flat=True))
    direct = _trip_audit_entries(trip_ids) | AuditEntry.objects.filter(
        Q(object_type=User._meta.label_lower, object_id=str(user.pk))
        | Q(object_type=SafetyCheck._meta.label_lower, details__recipient__in=recipient_ids)
    )
    about = set(direct.values_list("pk", flat=True))
    if user.email:
        about |= set(
            AuditEntry.objects.filter(details__email_sha256=email_digest(user.email)).values_list(
                "pk", flat=True
            )
        )
    # A name in the details: the JSON text is searched, then each candidate's person keys
    # are read, so "dana" names Dana and not a "Sudanese" anywhere in a note.
    mentions = Q()
    for name in names:
        mentions |= Q(details__icontains=name)
    if mentions:
        for entry in AuditEntry.objects.filter(mentions).only("pk", "details"):
            if details_names(entry.details) & names:
                about.add(entry.pk)
    return about


def _pseudonymise_audit(*, user: User, about: set[int], names: set[str], alias: str) -> None:
    """Entries about them lose what was written about them (AUDIT_TEXT_KEYS); entries about
    them, by them or naming them in their description name them by their pseudonym; their own
    addresses leave entirely (a manager's address on an entry about them is the manager's, and
    stays)."""
    # Entries that merely describe something of theirs by name ("Profile of dana") are renamed
    # too, and lose nothing else.
    described = Q()
    for name in names:
        described |= Q(object_repr__contains=name)
    candidates = AuditEntry.objects.filter(Q(actor=user) | Q(pk__in=about) | described)
    mine = [
        entry
        for entry in candidates.only("pk", "actor_id", "action", "object_repr", "details", "ip")
        if entry.actor_id == user.pk or entry.pk in about or text_names(entry.object_repr, names)
    ]
    for entry in mine:
        details = details_without_text(entry.details) if entry.pk in about else entry.details
        as_them = entry.actor_id == user.pk or entry.action == "auth.login_failed"
        audit_redact(
            AuditEntry.objects.filter(pk=entry.pk),
            object_repr=text_pseudonymised(entry.object_repr, names=names, alias=alias),
            details=details_pseudonymised(details, names=names, alias=alias),
            ip=None if as_them else entry.ip,
        )


# --- download my data ------------------------------------------------------------------------


def _day(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _moment(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _name(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.username


def personal_data_export(*, user: User) -> dict[str, Any]:
    """What the portal holds about ``user`` and what they did, as one JSON-ready document, and
    nothing else: the account, the profile, their trips with stops, assessments, decisions,
    transitions, ticks and briefings (metadata and acknowledgements: the PDFs themselves are
    downloaded from the trip page), their safety-check answers and how managers handled them,
    and the audit entries about them or by them.

    Other people's data stays out: the addresses others acted from on the subject's things (an
    arranger ticking, a manager taking an answer by phone), and, in entries of what the subject
    did to other people's things, those things' descriptions, notes and names. The same for the
    page and the API."""
    profile, _ = TravellerProfile.objects.get_or_create(user=user)
    trips = (
        Trip.objects.filter(traveller=user)
        .select_related("created_by")
        .prefetch_related(
            models.Prefetch("stops", queryset=Stop.objects.select_related("place")),
            "assessments",
            "requirement_ticks",
            models.Prefetch("decisions", queryset=Decision.objects.select_related("manager")),
            models.Prefetch("transitions", queryset=Transition.objects.select_related("actor")),
            models.Prefetch(
                "briefings", queryset=Briefing.objects.select_related("acknowledgement__user")
            ),
        )
        .order_by("pk")
    )
    return {
        "format": "travel-risk-portal-personal-data/1",
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "date_joined": _moment(user.date_joined),
            "last_login": _moment(user.last_login),
            "roles": sorted(roles.user_roles(user)),
        },
        "profile": {
            "nationality": profile.nationality,
            "passport_type": profile.passport_type,
            "date_of_birth": _day(profile.date_of_birth),
            "department": profile.department,
            "phone": profile.phone,
            "emergency_contact_name": profile.emergency_contact_name,
            "emergency_contact_phone": profile.emergency_contact_phone,
            "arrangers": sorted(a.username for a in profile.arrangers.all()),
        },
        "trips": [_trip_export(trip, user) for trip in trips],
        "calendar_feed": bool(CalendarFeed.objects.filter(user=user).exists()),
        "safety_checks": _safety_checks_export(user),
        "audit": _audit_export(user),
    }


def _audit_export(user: User) -> list[dict[str, Any]]:
    """Entries about the subject in full but for other actors' addresses and other people's
    names; entries of what the subject did elsewhere as the event alone (action, object, time,
    their address) with only the details that describe no one."""
    names = {user.username, user.email} - {""}
    about = _audit_about_person(user=user, names=names)
    entries = (
        AuditEntry.objects.filter(Q(actor=user) | Q(pk__in=about))
        .select_related("actor")
        .order_by("created_at", "id")
    )
    exported = []
    for entry in entries:
        is_about = entry.pk in about
        by_them = entry.actor_id == user.pk
        exported.append(
            {
                "time": entry.created_at.isoformat(),
                "actor": _audit_actor(entry, user),
                "action": entry.action,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "object": entry.object_repr if is_about else None,
                "ip": entry.ip if by_them else None,
                "details": (
                    _details_naming_only(entry.details, names)
                    if is_about
                    else _details_about_no_one(entry.details)
                ),
            }
        )
    return exported


def _audit_actor(entry: AuditEntry, user: User) -> str | None:
    if entry.actor is None:
        return None
    if entry.actor_id == user.pk:
        return user.username
    # Who acted on the subject's things is about them, as on a decision.
    return _name(entry.actor)


def _details_naming_only(details: dict[str, Any], names: set[str]) -> dict[str, Any]:
    """An entry about the subject, without the other people it names beside them."""
    out: dict[str, Any] = {}
    for key, value in details.items():
        if key in AUDIT_PERSON_KEYS and isinstance(value, list):
            out[key] = [item for item in value if item in names]
        elif key in AUDIT_PERSON_KEYS and value not in names:
            continue
        else:
            out[key] = value
    return out


def _details_about_no_one(details: dict[str, Any]) -> dict[str, Any]:
    """What the subject did to someone else's things: no names, notes, purposes or comments."""
    return {
        key: value
        for key, value in details_without_text(details).items()
        if key not in AUDIT_PERSON_KEYS
    }


def _trip_export(trip: Trip, user: User) -> dict[str, Any]:
    return {
        "id": trip.pk,
        "purpose": trip.purpose,
        "status": trip.status,
        "risk_level": trip.risk_level,
        "passport_nationality": trip.passport_nationality,
        "passport_type": trip.passport_type,
        "visa_category": trip.visa_category,
        "filed_by": trip.created_by.username,
        "created_at": _moment(trip.created_at),
        "updated_at": _moment(trip.updated_at),
        "stops": [
            {
                "country": stop.country_id,
                "place": stop.place_label,
                "arrival": _day(stop.arrival),
                "departure": _day(stop.departure),
                "activities": stop.activities,
                "transit": stop.transit,
            }
            for stop in trip.stops.all()
        ],
        "assessments": [
            {
                "created_at": _moment(assessment.created_at),
                "risk_level": assessment.risk_level,
                "requires_approval": assessment.requires_approval,
                "approval_reasons": assessment.approval_reasons,
                "requirements": assessment.requirements,
                "sections": assessment.sections,
                "explanation": assessment.explanation,
                "content_versions": assessment.content_versions,
            }
            for assessment in trip.assessments.all()
        ],
        "decisions": [
            {
                "time": _moment(decision.created_at),
                "manager": _name(decision.manager),
                "outcome": decision.outcome,
                "comment": decision.comment,
            }
            for decision in trip.decisions.all()
        ],
        "transitions": [
            {
                "time": _moment(step.created_at),
                "by": _name(step.actor),
                "from": step.from_status,
                "to": step.to_status,
                "comment": step.comment,
            }
            for step in trip.transitions.all()
        ],
        "briefings": [_briefing_export(briefing, user) for briefing in trip.briefings.all()],
        "requirements_ticked": [
            {
                "requirement": tick.requirement_id,
                "done_at": _moment(tick.done_at),
                "note": tick.note,
            }
            for tick in trip.requirement_ticks.all()
        ],
    }


def _safety_checks_export(user: User) -> list[dict[str, Any]]:
    recipients = (
        CheckRecipient.objects.filter(traveller=user)
        .select_related("safety_check__incident", "handled_by")
        .prefetch_related("answers__recorded_by")
        .order_by("pk")
    )
    return [
        {
            "incident": recipient.safety_check.incident.title,
            "trip": recipient.trip_id,
            "status": recipient.status,
            "answered_at": _moment(recipient.answered_at),
            "note": recipient.note,
            "handled": recipient.handled,
            "handled_by": _name(recipient.handled_by),
            "handled_at": _moment(recipient.handled_at),
            "handled_note": recipient.handled_note,
            "answers": [_answer_export(answer, user) for answer in recipient.answers.all()],
        }
        for recipient in recipients
    ]


def _answer_export(answer: Any, user: User) -> dict[str, Any]:
    # An answer from the link (nobody signed in) or the subject's own sign-in came from the
    # subject's address; one a manager took by phone came from the manager's.
    theirs = answer.recorded_by_id in (None, user.pk)
    return {
        "time": _moment(answer.created_at),
        "status": answer.status,
        "channel": answer.channel,
        "note": answer.note,
        "recorded_by": _name(answer.recorded_by),
        "ip": answer.ip if theirs else None,
    }


def _briefing_export(briefing: Briefing, user: User) -> dict[str, Any]:
    acknowledgement = getattr(briefing, "acknowledgement", None)
    return {
        "id": briefing.pk,
        "version": briefing.version,
        "status": briefing.status,
        "reason": briefing.reason,
        "sha256": briefing.sha256,
        "pages": briefing.page_count,
        "bytes": briefing.size,
        "created_at": _moment(briefing.created_at),
        "rendered_at": _moment(briefing.rendered_at),
        "acknowledgement": (
            {
                "time": _moment(acknowledgement.created_at),
                "by": _name(acknowledgement.user),
                # The address is the acknowledger's: the subject's own, or not theirs to have.
                "ip": acknowledgement.ip if acknowledgement.user_id == user.pk else None,
                "sha256": acknowledgement.sha256,
            }
            if acknowledgement is not None
            else None
        ),
    }


def personal_data_exported(*, user: User) -> None:
    """Record a download of one's own data (a copy of personal data left the portal)."""
    audit_record(actor=user, action=DATA_EXPORTED, obj=user)
