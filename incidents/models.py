"""Incidents: something that happened somewhere (an attack in Almaty, an earthquake), and who
of ours it touches. The app sits above trips: it reads trips and stops; nothing below imports
it (product.md, "Incidents and safety checks")."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from portal.lib.markdown import render_markdown
from portal.lib.vocabulary import Topic

LOOKAHEAD_MAX = 30


class Severity(models.TextChoices):
    # Declared from least to most severe: SEVERITY_RANK follows this order.
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {value: rank for rank, value in enumerate(Severity.values)}


class IncidentQuerySet(models.QuerySet):
    def open_on(self, day):
        """Not ended before ``day``: no end date yet, or one still to come. An incident
        announced for next week (a strike) is open already: people are arriving into it."""
        return self.filter(models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=day))


class Incident(models.Model):
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True, help_text="Markdown; sanitised when shown.")
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.WARNING)
    category = models.CharField(max_length=24, choices=Topic.choices())
    country = models.ForeignKey(
        "advisories.Country", on_delete=models.PROTECT, related_name="incidents"
    )
    places = models.ManyToManyField(
        "advisories.Place",
        blank=True,
        related_name="incidents",
        help_text="Curated places it touches; none means the whole country.",
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
        ]
        indexes = [models.Index(fields=["country", "ends_on"], name="incident_country_open")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "An incident cannot end before it starts."})

    @property
    def summary_html(self) -> str:
        return render_markdown(self.summary)

    @property
    def is_open(self) -> bool:
        return self.ends_on is None or self.ends_on >= timezone.localdate()

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
