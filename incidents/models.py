"""Incidents: something that happened somewhere (an attack in Almaty, an earthquake), and who
of ours it touches. The app sits above trips: it reads trips and stops; nothing below imports
it (product.md, "Incidents and safety checks")."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone

from core.lib.markdown import render_markdown
from core.lib.vocabulary import Topic

LOOKAHEAD_MAX = 30
# The radius of a point incident: a building to a region.
RADIUS_MIN_KM = 1
RADIUS_MAX_KM = 2000


class Severity(models.TextChoices):
    # Declared from least to most severe: SEVERITY_RANK follows this order.
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {value: rank for rank, value in enumerate(Severity.values)}


class IncidentQuerySet(models.QuerySet["Incident"]):
    def open_on(self, day: dt.date) -> IncidentQuerySet:
        """Still going on ``day``: no end date yet, or one still to come. Giving an end date of
        today closes it (contracts.md: "an ends_on closes it"); an incident announced to run
        until next week (a strike) stays open until then: people are arriving into it."""
        return self.filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gt=day))


class Incident(models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Markdown; sanitised when shown.")
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    category = models.CharField(max_length=24, choices=Topic.choices())
    country = models.ForeignKey(
        "advisories.Country",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        help_text="May be empty when the incident has a point and a radius.",
    )
    places = models.ManyToManyField(
        "advisories.Place",
        blank=True,
        related_name="incidents",
        help_text="Curated places it touches; none means the whole country.",
    )
    # A point and a radius (WGS 84 degrees, km): all three or none. Stops within the radius
    # are touched whatever their country (incidents.selectors).
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    radius_km = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(RADIUS_MIN_KM), MaxValueValidator(RADIUS_MAX_KM)],
        help_text="Stops within this distance of the point are touched, across borders.",
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True, help_text="Empty while it is ongoing.")
    lookahead_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(LOOKAHEAD_MAX)],
        help_text="Travellers arriving up to this many days after it ends are affected too.",
    )
    source = models.CharField(max_length=120, blank=True, help_text="The feed or publisher.")
    external_id = models.CharField(
        max_length=200, blank=True, help_text="The feed's id: posting it again updates this."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when a feed or the import command created it.",
    )

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints = [
            # A feed re-sending an incident updates it: one row per (source, external id).
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~models.Q(external_id=""),
                name="incident_external_id_unique_per_source",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="incident_ends_not_before_start",
            ),
            models.CheckConstraint(
                condition=models.Q(lookahead_days__lte=LOOKAHEAD_MAX),
                name="incident_lookahead_at_most_30",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    latitude__isnull=True, longitude__isnull=True, radius_km__isnull=True
                )
                | models.Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                    radius_km__gte=RADIUS_MIN_KM,
                    radius_km__lte=RADIUS_MAX_KM,
                ),
                name="incident_point_and_radius_all_or_none",
            ),
            models.CheckConstraint(
                condition=models.Q(country__isnull=False) | models.Q(latitude__isnull=False),
                name="incident_has_a_country_or_a_point",
            ),
        ]
        indexes = [models.Index(fields=["country", "ends_on"], name="incident_country_open")]

    def __str__(self) -> str:
        return self.title

    @property
    def area_name(self) -> str:
        """What messages call where it happened: its country, or its circle when it has none."""
        if self.country is not None:
            return self.country.name
        return f"the area within {self.radius_km:g} km of {self.latitude:.2f}, {self.longitude:.2f}"

    @property
    def where_label(self) -> str:
        """Where it is, as pages say it: its places (or the whole country), its radius."""
        parts = []
        places = [place.name for place in self.places.all()] if self.pk else []
        if self.country is not None:
            parts.append(
                f"{', '.join(places)}, {self.country.name}"
                if places
                else ("" if self.has_point else f"Whole country, {self.country.name}")
            )
        if self.has_point:
            parts.append(
                f"within {self.radius_km:g} km of {self.latitude:.4f}, {self.longitude:.4f}"
                + (f" ({self.country.name})" if self.country is not None and not places else "")
            )
        return "; ".join(part for part in parts if part)

    @property
    def has_point(self) -> bool:
        return (
            self.latitude is not None and self.longitude is not None and self.radius_km is not None
        )

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "An incident cannot end before it starts."})

    @property
    def summary_html(self) -> str:
        return render_markdown(self.summary)

    @property
    def is_open(self) -> bool:
        return self.ends_on is None or self.ends_on > timezone.localdate()

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, 0)


class IncidentAlert(models.Model):
    """The alert e-mail a traveller arriving into an incident was sent: one per traveller and
    incident, sent again only when the incident's severity rises above ``severity``."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="alerts")
    traveller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    severity = models.CharField(max_length=8, choices=Severity.choices)
    sent_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "traveller"], name="one_alert_row_per_incident_traveller"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} alert for {self.traveller} ({self.incident})"


class IncidentAllClear(models.Model):
    """The all-clear e-mail sent when an incident closed, to a traveller it alerted or its
    safety check asked: one per traveller and incident. The row is claimed before the e-mail
    goes (incidents.services.incident_all_clear_send), so a repeated task sends none twice."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="all_clears")
    traveller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "traveller"], name="one_all_clear_per_incident_traveller"
            )
        ]

    def __str__(self) -> str:
        return f"All clear for {self.traveller} ({self.incident})"


# --- safety checks ("Are you OK?") ---------------------------------------------------------
# Written by incidents/checks/services.py; read by incidents/checks/selectors.py.

CHECK_INTERVAL_LIMITS = (1, 24 * 60)  # minutes between asks
CHECK_CYCLES_LIMITS = (1, 10)  # how many times a silent traveller is asked


class CheckStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class SafetyStatus(models.TextChoices):
    SAFE = "safe", "Safe"
    NEED_HELP = "need_help", "Needs help"
    NO_ANSWER = "no_answer", "No answer"


class AnswerChannel(models.TextChoices):
    LINK = "link", "E-mail link"
    PORTAL = "portal", "Portal"
    API = "api", "API"
    MANAGER = "manager", "Recorded by a manager"


class SafetyCheck(models.Model):
    """One round of "Are you OK?" for the travellers an incident has where it happened.

    ``cycle`` is the ask under way (1 is the first e-mail); the beat task moves it on at
    ``next_cycle_at`` until ``cycles``, then claims the managers' escalation once. Each
    recipient's e-mail of a cycle is claimed on the recipient row before it is sent.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="checks")
    status = models.CharField(
        max_length=8, choices=CheckStatus.choices, default=CheckStatus.OPEN, db_index=True
    )
    interval_minutes = models.PositiveIntegerField(
        default=30,
        validators=[
            MinValueValidator(CHECK_INTERVAL_LIMITS[0]),
            MaxValueValidator(CHECK_INTERVAL_LIMITS[1]),
        ],
        help_text="Minutes between two asks of those who have not answered.",
    )
    cycles = models.PositiveSmallIntegerField(
        default=3,
        validators=[
            MinValueValidator(CHECK_CYCLES_LIMITS[0]),
            MaxValueValidator(CHECK_CYCLES_LIMITS[1]),
        ],
        help_text="How many times a silent traveller is asked before managers are told.",
    )
    cycle = models.PositiveSmallIntegerField(default=1)
    cycle_started_at = models.DateTimeField(default=timezone.now)
    next_cycle_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # The sweeper's last re-enqueue of asks nobody sent (a lost message, a dead worker).
    resent_at = models.DateTimeField(null=True, blank=True)
    # Escalation of the silent after the last cycle: due (the beat task decided), claimed
    # (a worker is sending it), sent.
    escalation_due_at = models.DateTimeField(null=True, blank=True)
    escalation_claimed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when a critical incident started it by itself.",
    )
    started_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # Two managers clicking "Start" at once get one check; the second gets a 409.
            models.UniqueConstraint(
                fields=["incident"],
                condition=models.Q(status="open"),
                name="one_open_check_per_incident",
            ),
            models.CheckConstraint(
                condition=models.Q(cycle__gte=1) & models.Q(cycle__lte=models.F("cycles")),
                name="check_cycle_within_cycles",
            ),
        ]

    def __str__(self) -> str:
        return f"Safety check #{self.pk} for {self.incident}"

    @property
    def is_open(self) -> bool:
        return self.status == CheckStatus.OPEN


class CheckRecipient(models.Model):
    """One traveller asked by one check (one row per person, whatever their stops), with
    their current answer; every answer is kept in CheckAnswer."""

    safety_check = models.ForeignKey(
        SafetyCheck, on_delete=models.CASCADE, related_name="recipients"
    )
    traveller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="safety_checks"
    )
    trip = models.ForeignKey(
        "trips.Trip", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stop = models.ForeignKey(
        "trips.Stop", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    match = models.CharField(max_length=8, blank=True)  # place / country / possibly
    status = models.CharField(
        max_length=10, choices=SafetyStatus.choices, default=SafetyStatus.NO_ANSWER
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=8, choices=AnswerChannel.choices, blank=True)
    note = models.TextField(blank=True, help_text="What the traveller said with their answer.")
    # The e-mail of cycle N: claimed (asked_cycle = N, at asked_at) before it is sent, then
    # delivered (delivered_cycle = N). A claim older than a task's hard limit that was never
    # delivered belongs to a dead worker and is released by the sweeper.
    asked_cycle = models.PositiveSmallIntegerField(default=0)
    asked_at = models.DateTimeField(null=True, blank=True)
    delivered_cycle = models.PositiveSmallIntegerField(default=0)
    # "I need help" reaches the managers once: asked for, claimed, sent.
    help_requested_at = models.DateTimeField(null=True, blank=True)
    help_claimed_at = models.DateTimeField(null=True, blank=True)
    help_alerted_at = models.DateTimeField(null=True, blank=True)
    handled = models.BooleanField(default=False)
    handled_note = models.TextField(blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["safety_check", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["safety_check", "traveller"], name="one_recipient_per_check_traveller"
            )
        ]
        indexes = [
            models.Index(fields=["safety_check", "status"], name="check_recipient_status"),
            models.Index(fields=["traveller", "safety_check"], name="check_recipient_traveller"),
        ]

    def __str__(self) -> str:
        return f"{self.traveller} in {self.safety_check}"

    @property
    def row_version(self) -> str:
        """What the check panel's row shows, in a few characters: the page's live update
        asks for the rows whose version changed (incidents/checks/views.py, check_rows).
        Reads the answers prefetched by check_selectors.check_recipients."""
        handled_at = int(self.handled_at.timestamp()) if self.handled_at else 0
        return (
            f"{self.status}.{len(self.answers.all())}h{int(self.handled)}"
            f"{handled_at}a{self.delivered_cycle}"
        )


class CheckAnswer(models.Model):
    """Every answer, as given: a change of mind is a new row, never an edit."""

    recipient = models.ForeignKey(CheckRecipient, on_delete=models.CASCADE, related_name="answers")
    status = models.CharField(
        max_length=10,
        choices=[(SafetyStatus.SAFE, "Safe"), (SafetyStatus.NEED_HELP, "Needs help")],
    )
    note = models.TextField(blank=True)
    channel = models.CharField(max_length=8, choices=AnswerChannel.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The manager who took it by phone, or the traveller (empty from a link).",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} from {self.recipient.traveller} ({self.channel})"


class FeedKind(models.TextChoices):
    USGS = "usgs", "USGS earthquakes (GeoJSON)"
    GDACS = "gdacs", "GDACS disasters (RSS)"
    CAP = "cap", "Common Alerting Protocol 1.2 (message or Atom/RSS feed)"


class HazardFeed(models.Model):
    """A public hazard feed polled by the scheduler (incidents.feeds.services.feed_poll): its
    items at or above ``min_severity`` become incidents. A failing feed keeps its last good
    state (ETag, Last-Modified, the incidents it made) and says why in ``last_error``; it is
    polled again later and later (doubling, capped) until it answers."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=8, choices=FeedKind.choices)
    url = models.URLField(
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="An http or https address of the feed.",
    )
    min_severity = models.CharField(
        max_length=8,
        choices=Severity.choices,
        default=Severity.WARNING,
        help_text="Items below this severity are not made incidents.",
    )
    enabled = models.BooleanField(default=True)
    poll_minutes = models.PositiveIntegerField(
        default=15, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_result = models.CharField(max_length=200, blank=True)
    etag = models.CharField(max_length=300, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def failing(self) -> bool:
        return self.consecutive_failures > 0


class FeedNotice(models.Model):
    """The e-mail telling the security managers that a feed incident touches travellers: one
    per incident and severity (claimed in the feed's transaction, before it is sent)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="feed_notices")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "severity"], name="one_feed_notice_per_incident_severity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} notice for {self.incident}"
