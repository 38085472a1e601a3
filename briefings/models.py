"""Briefings: the versioned PDF a traveller reads before going, and their acknowledgement of it.

A trip has one current briefing (``superseded=False``) and keeps its older ones. The PDF lives
in the "private" storage under ``file_name``; its SHA-256 is what the traveller confirms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from trips.models import Trip

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class BriefingStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RENDERING = "rendering", "Rendering"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    # Never rendered: superseded by a newer version while queued, or the trip stopped being
    # approved (cancelled, sent back for a decision) before a worker got to it.
    SKIPPED = "skipped", "Not rendered"
    # Rendered once; the PDF was deleted when the trip's personal data was erased
    # (portal.privacy). The row stays: version, SHA-256 and acknowledgement are the record.
    ERASED = "erased", "Erased"


class BriefingReason(models.TextChoices):
    APPROVED = "approved", "Trip approved"
    AMENDED = "amended", "Trip amended"
    CONTENT_CHANGED = "content_changed", "Advisory content changed"
    REQUESTED = "requested", "Requested by a security manager"


class BriefingQuerySet(models.QuerySet["Briefing"]):
    def visible_to(self, user: User | AnonymousUser) -> BriefingQuerySet:
        """The briefings of the trips this user may see (trips.Trip.objects.visible_to is the
        one access rule); anything else is simply absent, hence a 404."""
        return self.filter(trip__in=Trip.objects.visible_to(user).values("pk"))

    def current(self) -> BriefingQuerySet:
        return self.filter(superseded=False)


class Briefing(models.Model):
    trip = models.ForeignKey("trips.Trip", on_delete=models.CASCADE, related_name="briefings")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=BriefingStatus.choices, default=BriefingStatus.QUEUED
    )
    superseded = models.BooleanField(
        default=False, help_text="A newer version of this trip's briefing exists."
    )
    reason = models.CharField(max_length=20, choices=BriefingReason.choices)
    changes = models.JSONField(
        default=list, blank=True, help_text="What changed since the previous version."
    )
    assessment = models.ForeignKey(
        "trips.Assessment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_versions = models.JSONField(default=dict, blank=True)
    # What this version says, as labelled hashes (briefings.inputs): a content change re-briefs
    # the trip only when what its briefing would say differs from this.
    inputs = models.JSONField(default=dict, blank=True)
    inputs_digest = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was last (re-)enqueued."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Refreshed every few seconds while a worker renders: a stale one means the worker died.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)

    objects = BriefingQuerySet.as_manager()

    class Meta:
        ordering = ["-version", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["trip", "version"], name="unique_briefing_version"),
            models.UniqueConstraint(
                fields=["trip"],
                condition=Q(superseded=False),
                name="one_current_briefing_per_trip",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="briefing_version_positive"),
            models.CheckConstraint(
                condition=~Q(status=BriefingStatus.READY)
                | (~Q(sha256="") & ~Q(file_name="") & Q(rendered_at__isnull=False)),
                name="ready_briefing_has_file",
            ),
            models.CheckConstraint(
                condition=Q(status__in=BriefingStatus.values), name="briefing_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "superseded"], name="briefing_status_idx")]

    def __str__(self) -> str:
        return f"Briefing v{self.version} for trip #{self.trip_id}"

    @property
    def is_ready(self) -> bool:
        return self.status == BriefingStatus.READY

    @property
    def download_name(self) -> str:
        return f"briefing-trip-{self.trip_id}-v{self.version}.pdf"


class Acknowledgement(models.Model):
    """The traveller read this version: who, when, from where, and the digest they saw."""

    briefing = models.OneToOneField(
        Briefing, on_delete=models.PROTECT, related_name="acknowledgement"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(sha256=""), name="acknowledgement_has_sha256")
        ]

    def __str__(self) -> str:
        return f"{self.user} acknowledged {self.briefing}"
