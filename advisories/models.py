"""Curated content. Content admins edit the *draft* (Advisory, Section, Rule, Place,
EmergencyContact rows); publishing freezes the country's whole content into an immutable
AdvisoryVersion snapshot, which is all that employees, the engine and briefings ever read."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from advisories.validation import (
    dates_errors,
    model_rule_errors,
    months_errors,
    nationalities_errors,
)

# match_key is imported from here by many modules: the one normalisation of place names.
from core.lib.phones import dialable_problem
from core.lib.places import match_key
from core.lib.vocabulary import (
    DeadlineUnit,
    PlaceKind,
    RequirementKind,
    RiskLevel,
    RuleKind,
    Topic,
)

# The shared vocabulary (core.lib.vocabulary) as model choices; aliases because many
# modules (views, briefings, validation) read them under these names.
TOPICS = Topic.choices()
PLACE_KINDS = PlaceKind.choices()
RULE_KINDS = RuleKind.choices()
DEADLINE_UNITS = DeadlineUnit.choices()
LEVELS = RiskLevel.choices()
level_validators = [MinValueValidator(1), MaxValueValidator(5)]

# Words for readers (pages and briefings), one place for all of them.
LEVEL_NAMES = RiskLevel.words()
TOPIC_LABELS = Topic.labels()
TOPIC_ORDER = Topic.order()
# Rules, as a destination guide groups them (plural headings, unlike the admin's labels).
RULE_KIND_LABELS = {
    RuleKind.REGISTRATION: "Registration",
    RuleKind.RE_REGISTRATION: "Re-registration",
    RuleKind.VISA_FREE: "Visa-free stays",
    RuleKind.TRANSIT: "Transit",
    RuleKind.PERMIT: "Permit",
    RuleKind.DOCUMENT: "Documents",
    RuleKind.ACTIVITY: "Activities",
    RuleKind.STAY_LIMIT: "Limits on days in the country",
}
# Requirements, as the engine names what a trip needs.
REQUIREMENT_KIND_LABELS = RequirementKind.labels()


class Country(models.Model):
    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=100)
    published = models.ForeignKey(
        "AdvisoryVersion",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The version employees and the engine see; set by publishing.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "countries"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Activity(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=100)

    class Meta:
        ordering = ["label"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.label


class Source(models.Model):
    key = models.SlugField(max_length=80, unique=True)
    publisher = models.CharField(max_length=200)
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)
    retrieved = models.DateField(null=True, blank=True)
    licence = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["publisher", "title"]

    def __str__(self) -> str:
        return f"{self.publisher}: {self.title}"


class Place(models.Model):
    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="places")
    name = models.CharField(max_length=120)
    key = models.CharField(max_length=120, editable=False, db_index=True)
    kind = models.CharField(max_length=12, choices=PLACE_KINDS, default="city")
    level = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=LEVELS,
        validators=level_validators,
        help_text="Leave empty to use the country's advisory level.",
    )
    # Where it is on the map (WGS 84 degrees); both or neither.
    latitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        help_text="Degrees north (negative: south), e.g. 43.2567. Empty: not on the map.",
    )
    longitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        help_text="Degrees east (negative: west), e.g. 76.9286.",
    )

    class Meta:
        ordering = ["country", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "key"], name="unique_place_name_per_country"
            ),
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True, longitude__isnull=True)
                | models.Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="place_coordinates_both_or_neither_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.key = match_key(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if (self.latitude is None) != (self.longitude is None):
            missing = "longitude" if self.longitude is None else "latitude"
            raise ValidationError(
                {missing: "Give both the latitude and the longitude, or neither."}
            )

    @property
    def located(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class PlaceAlias(models.Model):
    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=120)
    key = models.CharField(max_length=120, editable=False, db_index=True)

    class Meta:
        verbose_name_plural = "place aliases"
        constraints = [
            models.UniqueConstraint(fields=["place", "key"], name="unique_alias_per_place")
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.key = match_key(self.name)
        super().save(*args, **kwargs)


class Advisory(models.Model):
    """The editable draft of a country's advisory; see AdvisoryVersion for what is published."""

    country = models.OneToOneField(Country, on_delete=models.CASCADE, related_name="advisory")
    level = models.PositiveSmallIntegerField(choices=LEVELS, validators=level_validators)
    summary = models.TextField()
    # The country's calendar, where the holidays library gets it wrong: working-day deadlines
    # skip the library's public holidays, plus non_working_days, minus working_days.
    non_working_days = models.JSONField(
        default=list,
        blank=True,
        help_text="Dates (YYYY-MM-DD) that are not working days although the public-holiday "
        "calendar says they are (a bridge day, a holiday the calendar lacks).",
    )
    working_days = models.JSONField(
        default=list,
        blank=True,
        help_text="Dates (YYYY-MM-DD) that are working days although they fall on a weekend "
        "or a public holiday (a Saturday worked in exchange for a bridge day).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "advisories"
        permissions = [("publish_advisory", "Can publish an advisory version")]

    def __str__(self) -> str:
        return f"Advisory for {self.country.name}"

    def clean(self) -> None:
        errors = {
            name: f"Dates {message}."
            for name in ("non_working_days", "working_days")
            for message in dates_errors(getattr(self, name))[:1]
        }
        if errors:
            raise ValidationError(errors)


class Section(models.Model):
    advisory = models.ForeignKey(Advisory, on_delete=models.CASCADE, related_name="sections")
    key = models.SlugField(max_length=80, unique=True)
    topic = models.CharField(max_length=24, choices=TOPICS)
    heading = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown; sanitised when shown.")
    level = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=LEVELS, validators=level_validators
    )
    places = models.ManyToManyField(
        Place, blank=True, help_text="Empty: the section applies to the whole country."
    )
    activities = models.ManyToManyField(
        Activity, blank=True, help_text="Empty: applies whatever the traveller does."
    )
    months = models.JSONField(
        default=list, blank=True, help_text="Month numbers 1-12; empty: all year."
    )
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["advisory", "order", "id"]

    def __str__(self) -> str:
        return self.heading

    def clean(self) -> None:
        errors = months_errors(self.months)
        if errors:
            raise ValidationError({"months": f"Months {errors[0]}."})


class Rule(models.Model):
    """A data-driven entry or registration rule; which fields matter depends on `kind`
    (see advisories.validation.RULE_FIELDS)."""

    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="rules")
    key = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=16, choices=RULE_KINDS)
    title = models.CharField(max_length=200, blank=True)
    detail = models.TextField(blank=True)
    threshold_days = models.PositiveIntegerField(null=True, blank=True)
    deadline_days = models.PositiveIntegerField(null=True, blank=True)
    deadline_unit = models.CharField(max_length=8, choices=DEADLINE_UNITS, default="calendar")
    nationalities = models.JSONField(default=list, blank=True, help_text="ISO alpha-2 codes.")
    max_days = models.PositiveIntegerField(null=True, blank=True)
    window_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="stay_limit: the length of the rolling period in days."
    )
    lead_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Days before the trip's first arrival by which this must be in hand (it can "
        "only be had at home, or takes weeks); empty: the kind's own due date.",
    )
    places = models.ManyToManyField(Place, blank=True, related_name="rules")
    activities = models.ManyToManyField(Activity, blank=True, related_name="rules")
    exempt_passport_types = models.JSONField(default=list, blank=True)
    exempt_visa_categories = models.JSONField(default=list, blank=True)
    exempt_under_age = models.PositiveSmallIntegerField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    authority = models.CharField(max_length=200, blank=True)
    citation = models.CharField(max_length=300, blank=True)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        ordering = ["country", "kind", "key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_from__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="rule_valid_until_after_valid_from",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_kind_display()})"

    def clean(self) -> None:
        # One validator for the admin and content packs; places and activities (many-to-many)
        # are checked by the admin form, as they cannot be read here.

        errors = model_rule_errors(self)
        if errors:
            raise ValidationError(errors)


class EmergencyContact(models.Model):
    country = models.ForeignKey(
        Country, on_delete=models.CASCADE, related_name="emergency_contacts"
    )
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.CASCADE)
    label = models.CharField(max_length=120)
    number = models.CharField(max_length=60)
    # An embassy or consulate helps its own nationals: listed, a contact is shown only to
    # travellers with one of these passports (and before the country's other numbers).
    nationalities = models.JSONField(
        default=list,
        blank=True,
        help_text="ISO alpha-2 codes (GB for a British embassy); empty: shown to everyone.",
    )

    class Meta:
        ordering = ["country", "place", "label"]

    def __str__(self) -> str:
        return f"{self.label}: {self.number}"

    def clean(self) -> None:
        place = self.place if self.place_id else None
        if place is not None and self.country_id and place.country_id != self.country_id:
            raise ValidationError({"place": "Choose a place of the contact's country."})
        if problems := nationalities_errors(self.nationalities):
            raise ValidationError({"nationalities": problems})
        self.nationalities = [code.upper() for code in self.nationalities or []]
        if self.number and (problem := dialable_problem(self.number, region=self.country_id)):
            raise ValidationError({"number": problem})


class AdvisoryVersion(models.Model):
    """An immutable, numbered publication of a country's whole content (advisory, sections,
    places, rules, emergency contacts, cited sources) as a content-pack country entry."""

    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    change_note = models.TextField()
    material = models.BooleanField(
        default=False, help_text="Material changes re-assess and re-brief upcoming trips."
    )
    level = models.PositiveSmallIntegerField(choices=LEVELS)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["country", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["country", "number"], name="unique_version_per_country")
        ]

    def __str__(self) -> str:
        return f"{self.country_id} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("A published version is immutable.")
        super().save(*args, **kwargs)


class TopicKeyword(models.Model):
    """Extends the document importer's topic guessing: a heading or text containing `keyword`
    is filed under `topic`."""

    keyword = models.CharField(max_length=80, unique=True)
    topic = models.CharField(max_length=24, choices=TOPICS)

    class Meta:
        ordering = ["topic", "keyword"]

    def __str__(self) -> str:
        return f"{self.keyword} -> {self.topic}"


class WatchedSource(models.Model):
    """An official source a content admin watches for one country (product.md, "Watching
    official sources"): polled politely (conditional GET, a daily interval, backoff after
    failures); a change of its text becomes a draft, its own rating is kept beside ours."""

    class Kind(models.TextChoices):
        FCDO = "fcdo", "UK FCDO (GOV.UK content API)"
        US_STATE = "us_state", "US State Department (travel advisories RSS)"
        SMARTRAVELLER = "smartraveller", "Australia: Smartraveller"
        AUSWAERTIGES_AMT = "auswaertiges_amt", "Germany: Auswärtiges Amt"

    country = models.ForeignKey(Country, on_delete=models.CASCADE, related_name="watched_sources")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    url = models.URLField(max_length=500)
    enabled = models.BooleanField(default=True)
    poll_hours = models.PositiveIntegerField(
        default=24,
        validators=[MinValueValidator(1)],
        help_text="Hours between polls (daily by default; failures wait longer).",
    )
    # Conditional GET: what the source said last time, sent back so an unchanged page is a 304.
    etag = models.CharField(max_length=255, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # SHA-256 of the advisory text last read: a new digest is a change, whatever the headers say.
    content_digest = models.CharField(max_length=64, blank=True)
    # The last change read, until a content admin has looked at its draft.
    changed_at = models.DateTimeField(null=True, blank=True)
    change_note = models.TextField(blank=True)
    change_unreviewed = models.BooleanField(default=False)
    # What a content admin accepted when reviewing a disagreement: the flag stays cleared
    # while the source's rating and our level are still these.
    reviewed_rating = models.CharField(max_length=80, blank=True)
    reviewed_level = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["country", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["country", "kind"], name="one_watched_source_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.country_id}"


class SourceRating(models.Model):
    """A watched source's own rating of its country at one reading, mapped onto our 1-5 scale
    (advisories.watch.ratings)."""

    source = models.ForeignKey(WatchedSource, on_delete=models.CASCADE, related_name="ratings")
    code = models.CharField(max_length=80)
    rating = models.CharField(max_length=200)
    level = models.PositiveSmallIntegerField(choices=LEVELS, null=True, blank=True)
    against_all_travel = models.BooleanField(default=False)
    retrieved_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=500)

    class Meta:
        ordering = ["source", "-retrieved_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source}: {self.rating}"
