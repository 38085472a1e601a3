from __future__ import annotations

from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.lib.countries import is_country_code
from core.lib.dates import birth_dates
from core.lib.phones import international_phone_problem, personal_phone
from core.lib.text import text_problem
from core.lib.vocabulary import PassportType


def born_in_the_past(value) -> None:
    # The under-age exemptions read it: a date of birth to come would make anyone a child
    # (and one before 1900 is a typo; core.lib.dates.birth_dates).
    if problem := birth_dates(timezone.localdate()).problem(value):
        raise ValidationError(problem)


PASSPORT_TYPES = PassportType.choices()


class TravellerProfile(models.Model):
    """What the rules engine needs to know about a traveller, kept between trips so the trip
    form can prefill it. Created for every user (core.signals)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    nationality = models.CharField(
        max_length=2, blank=True, help_text="Passport nationality, ISO 3166-1 alpha-2 (GB, US, ...)"
    )
    passport_type = models.CharField(max_length=12, choices=PASSPORT_TYPES, default="ordinary")
    date_of_birth = models.DateField(null=True, blank=True, validators=[born_in_the_past])
    department = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    arrangers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="arranged_profiles",
        help_text="Travel arrangers who may file and view trips for this traveller.",
        db_table="portal_travellerprofile_arrangers",
    )

    class Meta:
        # The tables keep the names they had in `portal` (issue 24 moved the models, not the
        # rows; the audit trail's append-only trigger is on its table).
        db_table = "portal_travellerprofile"

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    # Typed by the traveller, printed in briefings, e-mails and CSV exports: one line each.
    TEXT_FIELDS = ("department", "phone", "emergency_contact_name", "emergency_contact_phone")

    def clean(self) -> None:
        problems = {
            name: problem
            for name in self.TEXT_FIELDS
            if (problem := text_problem(getattr(self, name) or ""))
        }
        if problems:
            raise ValidationError(problems)
        self._clean_phones()
        if self.nationality:
            self.nationality = self.nationality.upper()
            if not is_country_code(self.nationality):
                raise ValidationError(
                    {"nationality": f"Unknown country code {self.nationality!r}."}
                )

    PHONE_FIELDS = ("phone", "emergency_contact_phone")

    def _clean_phones(self) -> None:
        """Phones are stored in international form: a manager calls them from anywhere, and a
        number typed the way it is dialled at home ("07700 900123") is read in the plan of the
        traveller's nationality."""

        region = (self.nationality or "").upper() or None
        problems = {}
        for name in self.PHONE_FIELDS:
            value = getattr(self, name) or ""
            if not value.strip():
                continue
            try:
                setattr(self, name, personal_phone(value, region=region))
            except ValueError as problem:
                problems[name] = str(problem)
        if problems:
            raise ValidationError(problems)


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit trail is append-only: entries cannot be updated.")

    def delete(self):
        raise PermissionError("The audit trail is append-only: entries cannot be deleted.")


class AuditEntry(models.Model):
    """One thing that happened, recorded forever: approvals, acknowledgements, publications.

    Append-only: saving an existing entry or deleting one raises; the admin offers no change or
    delete; on PostgreSQL a trigger refuses UPDATE and DELETE too (migration 0002).
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True, db_index=True)
    object_repr = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        db_table = "portal_auditentry"
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        who = self.actor or "system"
        return f"{self.created_at:%Y-%m-%d %H:%M} {who} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only: entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only: entries cannot be deleted.")


class OutboxMessage(models.Model):
    """A Celery task recorded in the transaction of the state change that needs it, and sent to
    the broker after that transaction commits (core.outbox): at once when the broker answers,
    otherwise by the relay, with backoff, until it does. Nothing is lost while the broker is
    down, and nothing is sent for a change that was rolled back.
    """

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict, blank=True)
    # One piece of work, once: recording the same key again records nothing, and a task that
    # must not run twice (an e-mail) is run once per key (core.outbox.outbox_run_once).
    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The next send attempt; a sender leases the row by moving it forward (see the relay).
    due_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # For run-once tasks: a worker started the work (a lease), and finished it.
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "portal_outboxmessage"
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent_due",
            ),
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else f"waiting ({self.attempts} attempts)"
        return f"{self.task} [{self.key}] {state}"


def international_phone(value: str) -> None:
    if value and (problem := international_phone_problem(value)):
        raise ValidationError(problem)


class SingleRowModel(models.Model):
    """Settings a company has once (its approval policy, its security desk): one row, made
    with its defaults the first time it is read."""

    class Meta:
        abstract = True

    @classmethod
    def current(cls) -> Self:
        # The default manager (`objects` on every subclass): the stubs give an abstract
        # model no `objects`.
        row, _ = cls._default_manager.get_or_create(pk=1)
        return row


class CompanySettings(SingleRowModel):
    """The company's own facts printed for travellers: one row, changed by superusers in the
    admin (core.company reads it). Briefings, e-mails and the dashboard give the security
    desk's round-the-clock line; without one they say that none is set."""

    security_desk_phone = models.CharField(
        max_length=40,
        blank=True,
        validators=[international_phone],
        help_text="The security desk's 24/7 line, in international form (+44 20 7946 0000).",
    )
    security_desk_email = models.EmailField(
        blank=True, help_text="The security desk's address, read around the clock."
    )

    class Meta:
        db_table = "portal_companysettings"
        verbose_name = verbose_name_plural = "company settings"

    def __str__(self) -> str:
        return "Company settings"
