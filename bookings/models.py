"""Bookings: reservations that arrive from a travel agency's feed, a booking e-mail or by hand,
and their segments (flights, hotels, rail, bus). A booking makes or joins a trip through
trips' services; the trip never knows about bookings."""

from __future__ import annotations

from django.conf import settings
from django.db import models

# The raw input kept beside a booking (the feed's JSON, the e-mail's text): enough to show a
# manager what arrived, bounded so a hostile sender cannot fill the database.
RAW_MAX_CHARS = 200_000


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"


class BookingState(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    UNASSIGNED = "unassigned", "Waiting to be assigned"
    DISMISSED = "dismissed", "Dismissed"


class Door(models.TextChoices):
    FEED = "feed", "Booking feed"
    EMAIL = "email", "Booking e-mail"
    MANUAL = "manual", "By hand"


class SegmentKind(models.TextChoices):
    FLIGHT = "flight", "Flight"
    HOTEL = "hotel", "Hotel"
    RAIL = "rail", "Rail"
    BUS = "bus", "Bus"


class BookingQuerySet(models.QuerySet["Booking"]):
    def unassigned(self) -> BookingQuerySet:
        return self.filter(state=BookingState.UNASSIGNED)


class Booking(models.Model):
    reference = models.CharField(max_length=64, blank=True)
    source = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=12, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    traveller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    trip = models.ForeignKey(
        "trips.Trip", null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings"
    )
    door = models.CharField(max_length=8, choices=Door.choices)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the input said the traveller was, kept for the unassigned queue ("for Eva Green").
    traveller_email = models.EmailField(max_length=254, blank=True)
    traveller_name = models.CharField(max_length=200, blank=True)
    # The booking as we understood it (our JSON, contracts.md): the same input again is
    # recognised by it, and an unassigned booking is assigned from it.
    payload = models.JSONField(default=dict, blank=True)
    # The SHA-256 of that JSON: a booking without a reference (an e-mail with no locator) is
    # recognised by it when it arrives again.
    digest = models.CharField(max_length=64, blank=True, db_index=True)
    # The stops this booking gave its trip when last derived (bookings.derive): an update or
    # a cancellation takes exactly these back out and leaves the trip's other stops alone.
    stops = models.JSONField(default=list, blank=True)
    raw = models.TextField(blank=True)
    sender_email = models.EmailField(max_length=254, blank=True)
    state = models.CharField(
        max_length=12, choices=BookingState.choices, default=BookingState.ASSIGNED, db_index=True
    )
    unassigned_reason = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "reference"],
                condition=~models.Q(reference=""),
                name="one_booking_per_source_reference",
            )
        ]

    def __str__(self) -> str:
        return f"Booking {self.reference or '#' + str(self.pk)} ({self.source or self.door})"


class Segment(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="segments")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=SegmentKind.choices)
    carrier = models.CharField(max_length=3, blank=True, db_index=True)
    number = models.CharField(max_length=5, blank=True)
    # Flights, rail, bus: where from and to (an IATA code when there is one) and when.
    from_code = models.CharField(max_length=3, blank=True)
    from_city = models.CharField(max_length=120, blank=True)
    from_country = models.ForeignKey(
        "advisories.Country", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_tz = models.CharField(max_length=64, blank=True)
    from_latitude = models.FloatField(null=True, blank=True)
    from_longitude = models.FloatField(null=True, blank=True)
    to_code = models.CharField(max_length=3, blank=True)
    to_city = models.CharField(max_length=120, blank=True)
    to_country = models.ForeignKey(
        "advisories.Country", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_tz = models.CharField(max_length=64, blank=True)
    to_latitude = models.FloatField(null=True, blank=True)
    to_longitude = models.FloatField(null=True, blank=True)
    departs = models.DateTimeField(null=True, blank=True)
    arrives = models.DateTimeField(null=True, blank=True)
    # The local dates at each end (departs and arrives are stored in UTC): a flight that
    # lands "the day before" it left is only seen in these.
    departs_local = models.CharField(max_length=32, blank=True)
    arrives_local = models.CharField(max_length=32, blank=True)
    departs_on = models.DateField(null=True, blank=True, db_index=True)
    arrives_on = models.DateField(null=True, blank=True)
    # Hotels.
    name = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=120, blank=True)
    country = models.ForeignKey(
        "advisories.Country", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    check_in = models.DateField(null=True, blank=True)
    check_out = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["booking", "position"]
        constraints = [
            models.UniqueConstraint(fields=["booking", "position"], name="unique_segment_position")
        ]
        indexes = [
            models.Index(fields=["carrier", "number", "departs_on"], name="segment_flight_day")
        ]

    def __str__(self) -> str:
        if self.kind == SegmentKind.HOTEL:
            return f"{self.name} {self.check_in}..{self.check_out}"
        route = f"{self.from_code or self.from_city}-{self.to_code or self.to_city}"
        return f"{self.carrier}{self.number} {route}".strip()
