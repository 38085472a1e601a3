from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from core.models import PASSPORT_TYPES, SingleRowModel
from core.roles import is_arranger, is_manager

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class TripStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    PENDING_APPROVAL = "pending_approval", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CLEARED = "cleared", "Cleared to travel"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


# Free text a manager or traveller adds to a decision, a cancellation or a tick: one limit for
# the form, the serializer and the service.
NOTE_MAX_LENGTH = 2000

# What each lifecycle action expects of a trip (product.md, "Lifecycle").
EDITABLE = frozenset({TripStatus.DRAFT})
AMENDABLE = frozenset(
    {TripStatus.APPROVED, TripStatus.CLEARED, TripStatus.PENDING_APPROVAL, TripStatus.REJECTED}
)
CANCELLABLE = frozenset(
    {
        TripStatus.DRAFT,
        TripStatus.SUBMITTED,
        TripStatus.PENDING_APPROVAL,
        TripStatus.APPROVED,
        TripStatus.CLEARED,
        TripStatus.REJECTED,
    }
)


class TripQuerySet(models.QuerySet["Trip"]):
    def upcoming(self, today: dt.date) -> TripQuerySet:
        """Not over and not cancelled: the trips a content change or a reminder concerns."""
        return self.filter(last_departure__gte=today).exclude(
            status__in=[TripStatus.CANCELLED, TripStatus.COMPLETED]
        )

    def visible_to(self, user: User | AnonymousUser) -> TripQuerySet:
        """Every read starts here: what this user may see. Someone else's trip is simply not
        in the queryset, so it is a 404 by construction."""
        if not user.is_authenticated:
            return self.none()
        if is_manager(user):
            return self
        return self.editable_by(user)

    def editable_by(self, user: User | AnonymousUser) -> TripQuerySet:
        """Trips this user may file, edit, submit or cancel as traveller or arranger.

        Being named in a traveller's profile is not enough: the arranger role is checked on
        every request, so an arranger who loses the role loses the access with it."""
        if not user.is_authenticated:
            return self.none()
        if not is_arranger(user):
            return self.filter(traveller=user)
        return self.filter(
            models.Q(traveller=user) | models.Q(traveller__profile__arrangers=user)
        ).distinct()


class Trip(models.Model):
    traveller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trips"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(max_length=300)
    status = models.CharField(
        max_length=20, choices=TripStatus.choices, default=TripStatus.DRAFT, db_index=True
    )
    # Per-journey overrides of the traveller's profile; blank means "as in the profile".
    passport_nationality = models.CharField(max_length=2, blank=True)
    passport_type = models.CharField(max_length=12, choices=PASSPORT_TYPES, blank=True)
    visa_category = models.CharField(max_length=40, blank=True)
    # Denormalised from the stops so lists sort and filter without a join.
    first_arrival = models.DateField(null=True, blank=True, db_index=True)
    last_departure = models.DateField(null=True, blank=True, db_index=True)
    # The latest assessment's headline, for lists and filters.
    risk_level = models.PositiveSmallIntegerField(null=True, blank=True)
    approvals_needed = models.PositiveSmallIntegerField(default=0)
    approval_round = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The filing form's (or an API client's Idempotency-Key's) own key: the same form sent
    # twice (the back button, a double click, a retried request) files one trip, not two.
    submission_key = models.UUIDField(null=True, blank=True, editable=False)

    objects = TripQuerySet.as_manager()

    class Meta:
        ordering = ["first_arrival", "id"]
        permissions = [("decide_trip", "Can approve or reject trips")]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "submission_key"],
                condition=models.Q(submission_key__isnull=False),
                name="one_trip_per_submission_key",
            )
        ]

    def __str__(self) -> str:
        return f"Trip #{self.pk}: {self.purpose}"

    @property
    def recorded_after_start(self) -> bool:
        """Filed after its first day: a past trip a security manager recorded (only they may;
        trips.services.itinerary_earliest_start)."""
        if self.first_arrival is None or self.created_at is None:
            return False
        return self.first_arrival < timezone.localtime(self.created_at).date()

    # State predicates: the services enforce them, the pages read them to offer a button.
    @property
    def is_draft(self) -> bool:
        return self.status in EDITABLE

    @property
    def can_amend(self) -> bool:
        return self.status in AMENDABLE

    @property
    def can_edit(self) -> bool:
        """A draft is edited; a trip further on is amended (and re-assessed)."""
        return self.is_draft or self.can_amend

    @property
    def can_cancel(self) -> bool:
        return self.status in CANCELLABLE

    @property
    def is_awaiting_decision(self) -> bool:
        return self.status == TripStatus.PENDING_APPROVAL


class LocationSource(models.TextChoices):
    """Where a stop's coordinates come from (blank: it has none)."""

    PLACE = "place", "Curated place"
    BOOKING = "booking", "Booking (airport or hotel)"
    GAZETTEER = "gazetteer", "Gazetteer of cities (approximate)"


class StopQuerySet(models.QuerySet["Stop"]):
    def overlapping(self, *, country: str, first: dt.date, last: dt.date) -> StopQuerySet:
        """These stops, of those in `country` overlapping first..last (departure >= first and
        arrival <= last; a stop ending the day the window starts overlaps it).

        Two queries on purpose. The first finds the overlapping stops through the Stop index
        (country, departure, arrival) alone: a few hundred among 300,000 in a millisecond.
        Joined in one query, PostgreSQL cannot tell how few there are (it multiplies the two
        date ranges' selectivities, off by a factor of 40 in bench/bench_impacted.py) and reads
        every trip going ahead to hash-join them; given the ids, it looks up just those."""
        ids = list(
            self.model._default_manager.filter(
                country_id=country.upper(), departure__gte=first, arrival__lte=last
            )
            # No ordering: Stop's default (by trip) would join every trip back in.
            .order_by()
            .values_list("pk", flat=True)
        )
        return self.filter(pk__in=ids)


class Stop(models.Model):
    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="stops")
    position = models.PositiveSmallIntegerField()
    country = models.ForeignKey("advisories.Country", on_delete=models.PROTECT, related_name="+")
    place = models.ForeignKey(
        "advisories.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    place_text = models.CharField(max_length=120, blank=True)
    arrival = models.DateField()
    departure = models.DateField()
    activities = models.JSONField(default=list, blank=True)
    transit = models.BooleanField(default=False)
    # Where the stop is on the map (WGS 84 degrees), filled when the stop is written
    # (trips.services): from its curated place, its booking, or the gazetteer of cities.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    location_source = models.CharField(
        max_length=10, choices=LocationSource.choices, blank=True, default=""
    )
    # True when the point is a city's centre guessed from a typed name (the gazetteer).
    location_approximate = models.BooleanField(default=False)

    objects = StopQuerySet.as_manager()

    class Meta:
        ordering = ["trip", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(departure__gte=models.F("arrival")),
                name="stop_departure_not_before_arrival",
            ),
            models.UniqueConstraint(fields=["trip", "position"], name="unique_stop_position"),
            models.CheckConstraint(
                condition=models.Q(
                    latitude__isnull=True, longitude__isnull=True, location_source=""
                )
                | models.Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                )
                & ~models.Q(location_source=""),
                name="stop_coordinates_both_or_neither_with_source",
            ),
        ]
        indexes = [
            # Who an incident touches (incidents.selectors): stops of one country overlapping a
            # window, i.e. country = X and departure >= first and arrival <= last. Departure
            # leads the range: past stops (most of them, in time) are skipped by the index,
            # and arrival is checked from the index without reading the table.
            models.Index(fields=["country", "departure", "arrival"], name="stop_country_dates"),
            # Who a point-and-radius incident touches, in any country: stops overlapping the
            # window (departure leads, as above), then the bounding box on the coordinates,
            # read from the index; the exact distance is computed on what remains.
            models.Index(
                fields=["departure", "arrival", "latitude", "longitude"],
                name="stop_dates_coordinates",
            ),
            # The same, latitude first: the planner takes whichever reads less (a latitude
            # band of a 50 km circle is a small part of the world's stops; the stops not yet
            # departed may be most of them).
            models.Index(
                fields=["latitude", "longitude", "departure", "arrival"],
                name="stop_coordinates_dates",
            ),
        ]

    def __str__(self) -> str:
        where = self.place_label or self.country_id
        return f"{where} {self.arrival}..{self.departure}"

    @property
    def place_label(self) -> str:
        """Where the stop is, as every page, list, export and API shows it: the curated place's
        name when the typed text matched one (spelled as we spell it), else the text as typed
        (empty when none was given)."""
        return Stop.label_of(
            place_name=self.place.name if self.place_id and self.place else None,
            place_text=self.place_text,
        )

    @staticmethod
    def label_of(*, place_name: str | None, place_text: str) -> str:
        """place_label's rule, for code that reads stops as value rows (the trip list API)."""
        return place_name if place_name is not None else place_text


class Assessment(models.Model):
    """One run of the engine over a trip, kept as it was computed (the trip's current one is
    the newest)."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="assessments")
    created_at = models.DateTimeField(auto_now_add=True)
    risk_level = models.PositiveSmallIntegerField(null=True, blank=True)
    # The highest level known even when the risk is unknown ("unknown, at least 4").
    known_level = models.PositiveSmallIntegerField(null=True, blank=True)
    requires_approval = models.BooleanField()
    approvals_needed = models.PositiveSmallIntegerField(default=0)
    approval_reasons = models.JSONField(default=list)
    requirements = models.JSONField(default=list)
    sections = models.JSONField(default=list)
    explanation = models.JSONField(default=list)
    content_versions = models.JSONField(default=dict)
    # The open warning and critical incidents touching the trip's stops when it was assessed
    # (trips.hazards): {"id", "title", "severity", "starts_on", "ends_on", "match",
    # "stop_indexes", "where"}, the most severe first.
    incidents = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"Assessment of trip #{self.trip_id} at {self.created_at:%Y-%m-%d %H:%M}"


class Decision(models.Model):
    class Outcome(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="decisions")
    approval_round = models.PositiveIntegerField()
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One say per manager per round: the second of two clicks cannot count twice.
            models.UniqueConstraint(
                fields=["trip", "approval_round", "manager"], name="one_decision_per_manager_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} by {self.manager} (trip #{self.trip_id})"


class Transition(models.Model):
    """One step of the lifecycle: who moved the trip from which status to which, and why."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=TripStatus.choices)
    to_status = models.CharField(max_length=20, choices=TripStatus.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Trip #{self.trip_id}: {self.from_status} -> {self.to_status}"


class ApprovalPolicy(SingleRowModel):
    """The company's approval policy: one row, edited in the admin."""

    threshold_level = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Trips at or above this risk level need a security manager's approval.",
    )
    closed_area_needs_approval = models.BooleanField(default=True)
    permit_needs_approval = models.BooleanField(default=True)
    unknown_risk_needs_approval = models.BooleanField(
        default=True, help_text="A stop in a country with no published advisory."
    )
    dual_approval_level = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="At or above this level two different managers must approve.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "approval policy"

    def __str__(self) -> str:
        return "Company approval policy"


class RequirementTick(models.Model):
    """A requirement of a trip ticked off (or back on) by the traveller or their arranger.

    Kept apart from the assessment, keyed by the requirement's stable id (trips.requirements),
    so a tick survives every re-assessment that produces the same requirement again."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="requirement_ticks")
    requirement_id = models.CharField(max_length=24)
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=2000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "requirement_id"], name="one_tick_per_trip_requirement"
            )
        ]

    def __str__(self) -> str:
        state = "done" if self.done_at else "open"
        return f"Trip #{self.trip_id} requirement {self.requirement_id}: {state}"


class RequirementReminder(models.Model):
    """A "due tomorrow" e-mail sent for one requirement on one day: the row is claimed before
    the e-mail goes, so a second run of the daily task (or a second worker) sends nothing."""

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="+")
    requirement_id = models.CharField(max_length=24)
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trip", "requirement_id", "sent_on"], name="one_reminder_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"Reminder for trip #{self.trip_id} {self.requirement_id} on {self.sent_on}"


class CalendarFeed(models.Model):
    """A traveller's personal calendar feed: the secret in its URL is the only key (calendar
    apps cannot sign in), so the traveller can revoke it and take a new one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"
