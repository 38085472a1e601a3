"""Writes for bookings: one booking in our JSON (contracts.md), from any door, becomes or
updates a trip through trips' services. Everything a call does happens in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from bookings.models import Booking
from portal.errors import InvalidInput
from trips.models import Trip


class BookingInvalid(InvalidInput):
    """A booking that cannot be taken: `errors` maps a JSON path to its messages
    ({"segments[0].from": ['unknown airport "XXX"']})."""


@dataclass
class BookingResult:
    booking: Booking
    trip: Trip | None
    status: str  # "assigned" | "unassigned" | "dismissed"
    created: bool  # False: a known (reference, source) was updated (or the same input again)


def booking_receive(
    *, payload: dict[str, Any], by: User | None, door: str, raw: str = "", sender_email: str = ""
) -> BookingResult:
    """One booking in our JSON (contracts.md), from any door ("feed", "email", "manual").

    Validates it whole (BookingInvalid: a domain InvalidInput whose errors name the JSON path,
    'segments[0].from: unknown airport "XXX"'), then creates or updates the Booking by
    (reference, source), derives or updates its trip, and returns what it did. Nothing is
    half-written."""
    raise NotImplementedError  # filled in by the next commit on bookings-core


def booking_keep_unassigned(
    *, raw: str, door: str, by: User | None, sender_email: str, reason: str
) -> Booking:
    """An input with no reservation in it (an e-mail): kept, never dropped, for a manager or
    arranger."""
    raise NotImplementedError  # filled in by the next commit on bookings-core
