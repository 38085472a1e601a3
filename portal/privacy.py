"""Personal data that leaves: retention, "download my data", and erasing a leaving employee.

What counts as personal here (passport, birth date, phone, whereabouts, and what people wrote
about themselves):

- the profile: nationality, passport type, date of birth, department, phone, emergency contact;
- a trip's purpose (free text: "visiting my mother in hospital"), its passport and visa
  overrides, its stops' places (the typed text and the curated place) and activities, its
  assessments (requirements, matched sections and explanations name the places), the notes
  on ticked-off requirements, the briefing PDFs and what changed between briefings, and the IP
  addresses of acknowledgements.

What stays, so the company can still show who decided what: the trip row with its status and
risk level, each stop's country and dates (stay limits count days per country across trips),
decisions and transitions with their managers and comments, the briefing rows (version,
SHA-256, acknowledged when and by whom), and every audit entry with its actor, action, time and
object. Audit entries are redacted, never deleted: the trip's purpose leaves their
``object_repr`` and ``details``, and a leaving employee's name and addresses leave theirs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.storage import storages
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from briefings.models import Acknowledgement, Briefing, BriefingStatus
from portal import roles
from portal.audit import audit_record
from portal.errors import NotAllowed
from portal.models import AuditEntry, TravellerProfile
from trips.models import (
    Assessment,
    CalendarFeed,
    Decision,
    RequirementTick,
    Stop,
    Transition,
    Trip,
    TripStatus,
)

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


# --- the audit trail: redacted, never rewritten --------------------------------------------


def _audit_redact(entries: models.QuerySet[AuditEntry], **fields: Any) -> int:
    """Rewrite only the personal columns (object_repr, details, ip) of some audit entries.

    The trail is append-only (AuditQuerySet refuses update(); on PostgreSQL a trigger refuses
    UPDATE). Redaction is the one exception: the trigger lets an UPDATE through only inside a
    transaction that sets ``portal.audit_redaction`` and only when the actor, action, time and
    object stay as they were (migration 0005), so who did what survives every erasure.
    """
    allowed = {"object_repr", "details", "ip"}
    if set(fields) - allowed:
        raise ValueError(f"Only {sorted(allowed)} may be redacted, not {sorted(fields)}")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('portal.audit_redaction', 'on', true)")
        return models.QuerySet.update(entries, **fields)


def _without(details: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {key: value for key, value in details.items() if key not in names}


# --- trips: erased after the retention period -----------------------------------------------


def _delete_files(names: list[str]) -> None:
    storage = storages["private"]
    for name in names:
        if name and storage.exists(name):
            storage.delete(name)


def trip_erase_personal_details(*, trip: Trip, by: User | None, reason: str) -> Trip:
    """Erase one trip's personal details (see the module's docstring for what that means).

    The PDFs are deleted after the commit, so a rollback never leaves a briefing row whose file
    is gone; the briefing rows stay, marked erased. Audited as ``privacy.trip_erased``.
    """
    with transaction.atomic():
        locked: Trip = Trip.objects.select_for_update().get(pk=trip.pk)
        locked.purpose = ERASED_PURPOSE
        locked.passport_nationality = ""
        locked.passport_type = ""
        locked.visa_category = ""
        locked.save(
            update_fields=[
                "purpose",
                "passport_nationality",
                "passport_type",
                "visa_category",
                "updated_at",
            ]
        )
        Stop.objects.filter(trip=locked).update(place=None, place_text="", activities=[])
        Assessment.objects.filter(trip=locked).delete()
        RequirementTick.objects.filter(trip=locked).update(note="")
        briefings = Briefing.objects.filter(trip=locked)
        files = [name for name in briefings.values_list("file_name", flat=True) if name]
        briefings.filter(status=BriefingStatus.READY).update(status=BriefingStatus.ERASED)
        briefings.update(file_name="", changes={}, error="")
        Acknowledgement.objects.filter(briefing__trip=locked).update(ip=None)
        about_trip = AuditEntry.objects.filter(
            object_type=Trip._meta.label_lower, object_id=str(locked.pk)
        )
        for entry in about_trip.only("pk", "details"):
            _audit_redact(
                AuditEntry.objects.filter(pk=entry.pk),
                object_repr=str(locked),
                details=_without(entry.details, {"purpose"}),
            )
        audit_record(
            actor=by,
            action=TRIP_ERASED,
            obj=locked,
            details={"reason": reason, "briefing_files": len(files)},
        )
        transaction.on_commit(lambda: _delete_files(files), robust=True)
    return locked


def _erased_trip_ids() -> set[int]:
    # The audit trail is the record of what was erased: no flag on the trip to keep in step.
    entries = AuditEntry.objects.filter(action=TRIP_ERASED, object_type=Trip._meta.label_lower)
    return {int(pk) for pk in entries.values_list("object_id", flat=True)}


def trips_past_retention(*, today: dt.date | None = None) -> models.QuerySet[Trip]:
    """Trips that ended more than PERSONAL_DATA_RETENTION_DAYS ago (a trip without stops: was
    created that long ago) and are not erased yet, whatever their status: a cancelled or
    rejected trip's purpose is as personal as a completed one's."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=settings.PERSONAL_DATA_RETENTION_DAYS)
    over = Q(last_departure__lt=cutoff) | Q(
        last_departure__isnull=True,
        created_at__date__lt=cutoff,
    )
    return Trip.objects.filter(over).exclude(pk__in=_erased_trip_ids()).order_by("pk")


def trips_erase_expired(*, today: dt.date | None = None) -> list[int]:
    """The daily retention run (beat: portal.tasks.erase_expired_personal_data).

    Idempotent: an erased trip has its ``privacy.trip_erased`` entry and is not taken again.
    """
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    erased = []
    for trip in trips_past_retention(today=today).iterator():
        trip_erase_personal_details(
            trip=trip, by=None, reason=f"Retention: ended more than {days} days ago"
        )
        erased.append(trip.pk)
    _redact_deleted_drafts(today=today or timezone.localdate(), days=days)
    return erased


def _redact_deleted_drafts(*, today: dt.date, days: int) -> None:
    """A deleted draft leaves only its audit entry, which carries the purpose typed into it:
    past the retention period the purpose goes from there too (who deleted what stays)."""
    cutoff = today - dt.timedelta(days=days)
    deleted = AuditEntry.objects.filter(
        action="trip.deleted", created_at__date__lt=cutoff, details__has_key="purpose"
    )
    for entry in deleted.only("pk", "object_id", "details"):
        _audit_redact(
            AuditEntry.objects.filter(pk=entry.pk),
            object_repr=f"Trip #{entry.object_id}: {ERASED_PURPOSE}",
            details=_without(entry.details, {"purpose"}),
        )


# --- a leaving employee -------------------------------------------------------------------


def pseudonym(user: User) -> str:
    return f"erased-user-{user.pk}"


def user_erase(*, user: User, by: User) -> User:
    """Erase a leaving employee: profile blanked, their trips' personal details erased (the
    ones still to come cancelled first), PDFs deleted, the account deactivated and renamed,
    their API tokens and calendar feed deleted, what they wrote in safety-check answers and
    from where erased, and their audit entries pseudonymised. Only superusers, and never
    themselves. Audited as ``privacy.user_erased``."""
    if not getattr(by, "is_superuser", False):
        raise NotAllowed("Only a superuser can erase a user.")
    if by.pk == user.pk:
        raise NotAllowed("You cannot erase your own account.")
    from trips.services import trip_cancel

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
        for trip in Trip.objects.filter(traveller=user):
            trip_erase_personal_details(trip=trip, by=by, reason="The traveller left")

        profile, _ = TravellerProfile.objects.get_or_create(user=user)
        for name in (
            "nationality",
            "department",
            "phone",
            "emergency_contact_name",
            "emergency_contact_phone",
        ):
            setattr(profile, name, "")
        profile.passport_type = "ordinary"
        profile.date_of_birth = None
        profile.save()
        profile.arrangers.clear()
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
        _delete_tokens(user)
        # The feed's secret address would keep serving their whereabouts.
        CalendarFeed.objects.filter(user=user).delete()
        _erase_safety_answers(user)

        _pseudonymise_audit(user=user, names={old_username, old_email} - {""}, alias=alias)
        audit_record(actor=by, action=USER_ERASED, obj=user, details={"user_id": user.pk})
    return user


def _erase_safety_answers(user: User) -> None:
    """What they said in safety checks ("I need help: ...") and from where; whether they
    answered, when and through which channel stays with the check."""
    from incidents.models import CheckAnswer, CheckRecipient

    CheckRecipient.objects.filter(traveller=user).update(note="")
    CheckAnswer.objects.filter(recipient__traveller=user).update(note="", ip=None)


def _delete_tokens(user: User) -> None:
    # Whatever token scheme the API uses (DRF's or knox), a token row points at its user.
    for relation in user._meta.related_objects:
        model = relation.related_model
        if model._meta.app_label in {"authtoken", "knox"}:
            model._default_manager.filter(**{relation.field.name: user}).delete()


def _replace(value: Any, names: set[str], alias: str) -> Any:
    if isinstance(value, str):
        for name in names:
            value = value.replace(name, alias)
        return value
    if isinstance(value, list):
        return [_replace(item, names, alias) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, names, alias) for key, item in value.items()}
    return value


def _pseudonymise_audit(*, user: User, names: set[str], alias: str) -> None:
    """Their entries keep their (renamed) actor, action and time; their name and e-mail leave
    the object's description and the details, their IP addresses leave entirely."""
    tried_as_them = Q()
    for name in sorted(names):
        tried_as_them |= Q(action="auth.login_failed", details__username=name)
    mine = AuditEntry.objects.filter(
        Q(actor=user)
        | Q(object_type=User._meta.label_lower, object_id=str(user.pk))
        | tried_as_them
        | Q(object_type=Trip._meta.label_lower, object_id__in=_trip_ids_of(user))
    )
    for entry in mine.only("pk", "actor_id", "object_repr", "details", "ip"):
        mine_as_actor = entry.actor_id == user.pk or entry.action == "auth.login_failed"
        _audit_redact(
            AuditEntry.objects.filter(pk=entry.pk),
            object_repr=_replace(entry.object_repr, names, alias),
            details=_replace(entry.details, names, alias),
            ip=None if mine_as_actor else entry.ip,
        )


def _trip_ids_of(user: User) -> list[str]:
    return [str(pk) for pk in Trip.objects.filter(traveller=user).values_list("pk", flat=True)]


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
    """Everything the portal holds about ``user``, as one JSON-ready document: the account,
    the profile, their trips with stops, assessments, decisions, transitions and briefings
    (metadata and acknowledgements: the PDFs themselves are downloaded from the trip page),
    and the audit entries about them. The same for the page and the API."""
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
    trip_ids = [trip.pk for trip in trips]
    briefing_ids = [briefing.pk for trip in trips for briefing in trip.briefings.all()]
    audit = (
        AuditEntry.objects.filter(
            Q(actor=user)
            | Q(object_type=User._meta.label_lower, object_id=str(user.pk))
            | Q(object_type=Trip._meta.label_lower, object_id__in=[str(pk) for pk in trip_ids])
            | Q(
                object_type=Briefing._meta.label_lower,
                object_id__in=[str(pk) for pk in briefing_ids],
            )
            | Q(action="auth.login_failed", details__username=user.username)
        )
        .select_related("actor")
        .order_by("created_at", "id")
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
        "trips": [_trip_export(trip) for trip in trips],
        "calendar_feed": bool(CalendarFeed.objects.filter(user=user).exists()),
        "safety_checks": _safety_checks_export(user),
        "audit": [
            {
                "time": entry.created_at.isoformat(),
                "actor": entry.actor.username if entry.actor else None,
                "action": entry.action,
                "object_type": entry.object_type,
                "object_id": entry.object_id,
                "object": entry.object_repr,
                "ip": entry.ip,
                "details": entry.details,
            }
            for entry in audit
        ],
    }


def _trip_export(trip: Trip) -> dict[str, Any]:
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
                "place": stop.place.name if stop.place else stop.place_text,
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
        "briefings": [_briefing_export(briefing) for briefing in trip.briefings.all()],
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
    from incidents.models import CheckRecipient

    recipients = (
        CheckRecipient.objects.filter(traveller=user)
        .select_related("safety_check__incident")
        .prefetch_related("answers")
        .order_by("pk")
    )
    return [
        {
            "incident": recipient.safety_check.incident.title,
            "trip": recipient.trip_id,
            "status": recipient.status,
            "note": recipient.note,
            "answers": [
                {
                    "time": _moment(answer.created_at),
                    "status": answer.status,
                    "channel": answer.channel,
                    "note": answer.note,
                    "ip": answer.ip,
                }
                for answer in recipient.answers.all()
            ],
        }
        for recipient in recipients
    ]


def _briefing_export(briefing: Briefing) -> dict[str, Any]:
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
                "by": acknowledgement.user.username,
                "ip": acknowledgement.ip,
                "sha256": acknowledgement.sha256,
            }
            if acknowledgement is not None
            else None
        ),
    }


def personal_data_exported(*, user: User) -> None:
    """Record a download of one's own data (a copy of personal data left the portal)."""
    audit_record(actor=user, action=DATA_EXPORTED, obj=user)
