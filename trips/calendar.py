"""Trips and their deadlines in the traveller's own calendar (iCalendar, RFC 5545, written
with the `icalendar` library): a personal feed at a secret URL that calendar apps poll without
signing in, and a one-trip `.ics` download from the trip page.

The feed's token is the only key to it, so it is long and random, shown only to its owner,
and the owner can revoke it or take a new one (the old URL stops working at once); a password
change ends it too, as it ends API tokens. Those writes are services
(trips.services.calendar_feed_renew and calendar_feed_revoke); this module reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from core.lib.dates import add_days
from trips.models import CalendarFeed, RequirementTick, Trip, TripStatus
from trips.notes import assessments_prefetch
from trips.requirements import requirement_rows

PRODUCT_ID = "-//Travel risk portal//Trips and deadlines//EN"
# Trips that ended longer ago than this drop out of the feed.
FEED_PAST_DAYS = 90
NOT_IN_CALENDAR = [TripStatus.CANCELLED, TripStatus.REJECTED]


# --- the feed's secret ---------------------------------------------------------------------


def calendar_feed_of(*, user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_user(*, token: str) -> User | None:
    """The active user whose feed `token` opens, if any."""
    if not token or len(token) > 64:
        return None
    feed = CalendarFeed.objects.filter(token=token, user__is_active=True).select_related("user")
    found = feed.first()
    return found.user if found is not None else None


# --- what goes in ------------------------------------------------------------------------


def feed_trips(*, user: User, today: dt.date | None = None) -> QuerySet[Trip]:
    """The trips in `user`'s feed: those they travel on or file for, not cancelled or
    rejected, and not over for more than FEED_PAST_DAYS."""
    today = today or timezone.localdate()
    return (
        Trip.objects.editable_by(user)
        .exclude(status__in=NOT_IN_CALENDAR)
        .filter(last_departure__gte=today - dt.timedelta(days=FEED_PAST_DAYS))
        .select_related("traveller")
        .prefetch_related("requirement_ticks", assessments_prefetch())
        .order_by("first_arrival", "id")
    )


def _base_url() -> str:
    return str(getattr(settings, "PORTAL_BASE_URL", "")).rstrip("/")


def _host() -> str:
    return _base_url().split("://", 1)[-1].split("/", 1)[0] or "travel-risk-portal"


def _trip_events(trip: Trip, ticks: Iterable[RequirementTick], stamp: dt.datetime) -> list[Event]:
    events: list[Event] = []
    url = _base_url() + reverse("trip-detail", args=[trip.pk])
    traveller = trip.traveller.get_full_name() or trip.traveller.username
    if trip.first_arrival and trip.last_departure:
        event = Event()
        event.add("uid", f"trip-{trip.pk}@{_host()}")
        event.add("dtstamp", stamp)
        event.add("summary", f"Trip: {trip.purpose}")
        event.add("dtstart", trip.first_arrival)
        # All-day events end on the day after (the end date is exclusive).
        event.add("dtend", add_days(trip.last_departure, 1))
        event.add("description", f"{traveller} · {trip.get_status_display()}\n{url}")
        event.add("url", url)
        event.add("transp", "OPAQUE")
        events.append(event)
    assessment = trip.assessments.first()
    if assessment is None:
        return events
    for row in requirement_rows(requirements=assessment.requirements or [], ticks=ticks):
        if row.due is None:
            continue
        event = Event()
        event.add("uid", f"trip-{trip.pk}-requirement-{row.id}@{_host()}")
        event.add("dtstamp", stamp)
        event.add("summary", f"{'Done: ' if row.done else 'Due: '}{row.title}")
        event.add("dtstart", row.due)
        event.add("dtend", add_days(row.due, 1))
        where = row.country_name + (f", {row.place}" if row.place else "")
        event.add("description", f"{row.detail}\n{where} · {trip.purpose}\n{url}".strip())
        event.add("url", url)
        event.add("transp", "TRANSPARENT")
        events.append(event)
    return events


def calendar_for(*, trips: Iterable[Trip], name: str) -> bytes:
    """An iCalendar document of `trips`' dates and their requirements' due dates."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    for trip in trips:
        for event in _trip_events(trip, trip.requirement_ticks.all(), stamp):
            calendar.add_component(event)
    return calendar.to_ical()
