"""Reads for bookings: the unassigned queue as each user may see it, and flights."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet

from bookings.models import Booking, BookingState, BookingStatus, Segment, SegmentKind
from core import roles
from trips.models import Trip, TripStatus

GONE = (TripStatus.CANCELLED, TripStatus.REJECTED)


def bookings_waiting_for(user: User | AnonymousUser) -> QuerySet[Booking]:
    """The unassigned bookings this user may see and handle: a manager all of them; an
    arranger those they sent, and those sent by or naming one of their travellers."""
    waiting = Booking.objects.unassigned().prefetch_related("segments")
    if not user.is_authenticated:
        return waiting.none()
    if roles.is_manager(user):
        return waiting
    if not roles.is_arranger(user):
        return waiting.none()
    emails = [
        email
        for email in User.objects.filter(profile__arrangers=user).values_list("email", flat=True)
        if email
    ]
    if user.email:
        emails.append(user.email)
    reach = Q(received_by=user)
    for email in emails:
        reach |= Q(sender_email__iexact=email) | Q(traveller_email__iexact=email)
    return waiting.filter(reach)


def travellers_to_assign(user: User) -> QuerySet[User]:
    """Whom this user may give a waiting booking to: anyone active for a manager, their
    travellers for an arranger."""
    people = User.objects.filter(is_active=True).order_by("username")
    if roles.is_manager(user):
        return people
    if roles.is_arranger(user):
        return people.filter(profile__arrangers=user)
    return people.none()


def _flights() -> QuerySet[Segment]:
    return (
        Segment.objects.filter(
            kind=SegmentKind.FLIGHT,
            booking__state=BookingState.ASSIGNED,
            booking__status=BookingStatus.CONFIRMED,
            booking__trip__isnull=False,
        )
        .exclude(booking__trip__status__in=GONE)
        .select_related("booking__trip__traveller__profile")
    )


def flight_passengers(*, carrier: str, number: str, on: dt.date) -> QuerySet[Segment]:
    """Who is on a flight on the day it leaves (local date at its departure airport)."""
    return (
        _flights()
        .filter(
            carrier=carrier.strip().upper(),
            number=number.strip().upper().lstrip("0"),
            departs_on=on,
        )
        .order_by("booking__trip__traveller__username", "pk")
    )


def trip_flights(trip: Trip) -> list[Segment]:
    """A trip's booked flights, rail and bus legs, in time order."""
    return list(
        Segment.objects.filter(
            booking__trip=trip,
            booking__status=BookingStatus.CONFIRMED,
            booking__state=BookingState.ASSIGNED,
        )
        .exclude(kind=SegmentKind.HOTEL)
        .order_by("departs", "pk")
    )


def trip_flight_segments(*, trip: Trip) -> list[Segment]:
    """A trip's booked flights (confirmed, assigned bookings), by departure: one query."""
    return list(
        Segment.objects.filter(
            booking__trip=trip,
            booking__status=BookingStatus.CONFIRMED,
            booking__state=BookingState.ASSIGNED,
            kind=SegmentKind.FLIGHT,
        ).order_by("departs", "pk")
    )


def trip_bookings(trip: Trip) -> list[Booking]:
    return list(Booking.objects.filter(trip=trip).order_by("received_at", "pk"))


def flights_on(*, on: dt.date, traveller_ids: list[int]) -> dict[int, list[str]]:
    """Each of these travellers' flights that leave or land on a date: "KC 942 LHR 20:15 -
    ALA 06:30", for who-is-where."""
    lines: dict[int, list[str]] = {}
    segments = (
        _flights()
        .filter(booking__trip__traveller_id__in=traveller_ids)
        .filter(Q(departs_on=on) | Q(arrives_on=on))
        .order_by("departs", "pk")
    )
    for segment in segments:
        traveller = segment.booking.trip.traveller_id if segment.booking.trip else None
        if traveller is not None:
            lines.setdefault(traveller, []).append(flight_text(segment))
    return lines


def flight_text(segment: Segment) -> str:
    departs = segment.departs_local[11:16]
    arrives = segment.arrives_local[11:16]
    return (
        f"{segment.carrier} {segment.number} {segment.from_code or segment.from_city} {departs}"
        f" - {segment.to_code or segment.to_city} {arrives}"
    )
