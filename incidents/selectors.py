"""Reads for incidents: who an incident touches, and which incidents touch a trip.

Impacted travellers are computed on demand, never stored: a trip filed a minute after the
incident is declared is on the list the next time anyone looks (product.md, "Incidents and
safety checks")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from advisories.models import Place
from advisories.selectors import place_matcher, places_for
from incidents.models import Incident, IncidentQuerySet
from portal.lib.dates import add_days
from portal.lib.places import PlaceMatcher
from portal.models import TravellerProfile
from trips.models import Stop, Trip, TripStatus

# The trips going ahead: a draft is not a plan yet, a cancelled or rejected trip will not
# happen, a completed one is over.
IMPACTED_STATUSES = (
    TripStatus.SUBMITTED,
    TripStatus.PENDING_APPROVAL,
    TripStatus.APPROVED,
    TripStatus.CLEARED,
)

Presence = Literal["there", "arriving", "left"]
Match = Literal["place", "country", "possibly"]
PRESENCE_ORDER: tuple[Presence, ...] = ("there", "arriving", "left")
PRESENCE_LABELS = {"there": "There now", "arriving": "Arriving", "left": "Left"}
MATCH_LABELS = {
    "place": "In a place it names",
    "country": "In the country",
    "possibly": "Possibly (place not recognised)",
}


@dataclass
class ImpactedRow:
    """One stop of one trip that an incident touches. ``check_status`` is the traveller's
    answer to the incident's safety check, when one runs (null otherwise)."""

    traveller: User
    trip: Trip
    stop: Stop
    presence: Presence
    match: Match
    phone: str
    emergency_contact: str
    check_status: str | None = None

    @property
    def place_label(self) -> str:
        if self.stop.place is not None:
            return self.stop.place.name
        return self.stop.place_text

    @property
    def match_label(self) -> str:
        return MATCH_LABELS[self.match]


def incident_window(incident: Incident) -> tuple[dt.date, dt.date]:
    """The dates a stop must overlap to be touched: from the start to the end (or the start
    when still open) plus the lookahead, both ends included."""
    last = add_days(incident.ends_on or incident.starts_on, incident.lookahead_days)
    return incident.starts_on, last


def stop_presence(stop: Stop, on: dt.date) -> Presence:
    if on < stop.arrival:
        return "arriving"
    if stop.departure < on:
        return "left"
    return "there"


def _emergency_contact(profile: TravellerProfile | None) -> str:
    if profile is None:
        return ""
    return " ".join(
        part for part in (profile.emergency_contact_name, profile.emergency_contact_phone) if part
    )


def _candidate_stops(incident: Incident) -> QuerySet[Stop]:
    """The stops of trips going ahead in the incident's country that overlap its window
    (departure >= first and arrival <= last), with what a row shows.

    Two queries on purpose. The first finds the overlapping stops through the Stop index
    (country, departure, arrival) alone: a few hundred among 300,000 in a millisecond. Joined
    in one query, PostgreSQL cannot tell how few there are (it multiplies the two date
    ranges' selectivities, off by a factor of 40 in bench/bench_impacted.py) and reads every
    trip going ahead to hash-join them; given the ids, it looks up just those trips.
    """
    first, last = incident_window(incident)
    overlapping = list(
        Stop.objects.filter(country_id=incident.country_id, departure__gte=first, arrival__lte=last)
        # No ordering: Stop's default (by trip) would join every trip back in.
        .order_by()
        .values_list("pk", flat=True)
    )
    return (
        Stop.objects.filter(pk__in=overlapping, trip__status__in=IMPACTED_STATUSES)
        .select_related("trip", "trip__traveller", "trip__traveller__profile", "place", "country")
        .order_by("arrival", "trip__traveller__username", "trip_id", "position")
    )


class _FreeTextMatcher:
    """Resolves a stop's free-text place with the project's place matcher (whole words, name
    or alias, as stops are matched when saved), over the country's curated places loaded once:
    two queries at the first free text, none after, whatever the number of trips."""

    def __init__(self, country_code: str) -> None:
        self.country_code = country_code
        self.matcher: PlaceMatcher[Place] | None = None

    def __call__(self, text: str) -> Place | None:
        if self.matcher is None:
            self.matcher = place_matcher(places_for([self.country_code]))
        return self.matcher.match(text)


def stop_match(
    stop: Stop, *, place_ids: frozenset[int], resolve: _FreeTextMatcher | None = None
) -> Match | None:
    """How a stop in the incident's country is touched, or None when it is not.

    No places on the incident: the whole country, so every stop there is a country match. With
    places: a curated place among them is a place match, another curated place is not touched,
    and a stop whose place is unknown or free text is *possibly* touched (never dropped), unless
    the matcher now recognises its text as a curated place.
    """
    if not place_ids:
        return "country"
    place = stop.place
    if place is None and stop.place_text.strip() and resolve is not None:
        place = resolve(stop.place_text)
    if place is None:
        return "possibly"
    return "place" if place.pk in place_ids else None


def incident_impacted(*, incident: Incident, on: dt.date | None = None) -> list[ImpactedRow]:
    """Every stop an incident touches as of ``on`` (default today), ``there`` first, then
    ``arriving``, then ``left``; within each, by arrival and traveller.

    Three queries (the incident's places, the overlapping stops' ids, then those stops with
    their trip, traveller, profile and place), and two more for the country's curated places
    when some stop's place is free text, whatever the number of trips.
    """
    on = on or timezone.localdate()
    place_ids = frozenset(incident.places.values_list("pk", flat=True))
    resolve = _FreeTextMatcher(incident.country_id)
    rows: list[ImpactedRow] = []
    for stop in _candidate_stops(incident):
        match = stop_match(stop, place_ids=place_ids, resolve=resolve)
        if match is None:
            continue
        traveller = stop.trip.traveller
        profile = getattr(traveller, "profile", None)
        rows.append(
            ImpactedRow(
                traveller=traveller,
                trip=stop.trip,
                stop=stop,
                presence=stop_presence(stop, on),
                match=match,
                phone=profile.phone if profile else "",
                emergency_contact=_emergency_contact(profile),
            )
        )
    order = {presence: position for position, presence in enumerate(PRESENCE_ORDER)}
    rows.sort(key=lambda row: order[row.presence])  # stable: keeps arrival order within
    return rows


def impacted_counts(rows: Iterable[ImpactedRow]) -> dict[str, int]:
    counts: dict[str, int] = dict.fromkeys(PRESENCE_ORDER, 0)
    for row in rows:
        counts[row.presence] += 1
    return counts


def incidents_visible_to(user: User | AnonymousUser) -> IncidentQuerySet:
    """Incidents are read by security managers and declared by content admins too."""
    from portal.roles import is_content_admin, is_manager

    if is_manager(user) or is_content_admin(user):
        return Incident.objects.all()
    return Incident.objects.none()


def incidents_list(*, user: User | AnonymousUser, search: str = "") -> IncidentQuerySet:
    incidents = incidents_visible_to(user).select_related("country").prefetch_related("places")
    search = search.strip()
    if search:
        incidents = incidents.filter(
            Q(title__icontains=search)
            | Q(country__name__icontains=search)
            | Q(country__code__iexact=search)
            | Q(places__name__icontains=search)
        ).distinct()
    return incidents


@dataclass
class OpenIncidentRow:
    incident: Incident
    counts: dict[str, int]


def incidents_open_with_counts(*, user: User | AnonymousUser, on: dt.date) -> list[OpenIncidentRow]:
    """The open incidents, most severe first, then the latest, each with how many of ours are
    there and arriving (for managers; content admins see the incidents without people).

    Two queries for the list, and two per open incident: open incidents are few at a time."""
    from portal.roles import is_manager

    incidents = sorted(
        incidents_list(user=user).open_on(on),
        key=lambda incident: (
            -incident.severity_rank,
            -incident.starts_on.toordinal(),
            -incident.pk,
        ),
    )
    counting = is_manager(user)
    return [
        OpenIncidentRow(
            incident=incident,
            counts=impacted_counts(incident_impacted(incident=incident, on=on)) if counting else {},
        )
        for incident in incidents
    ]


@dataclass
class TripIncident:
    """An open incident touching one stop of a trip, as the traveller sees it."""

    incident: Incident
    stop: Stop
    match: Match


# Trips a traveller may still be on or go on: a draft is a plan worth warning about too.
TRAVELLER_STATUSES = (TripStatus.DRAFT, *IMPACTED_STATUSES)


def incidents_for_stops(
    *, stops: Iterable[Stop], today: dt.date, in_window: bool = True
) -> list[TripIncident]:
    """The open incidents touching these stops where they are current or still to come
    (departure today or later), by the semantics of incident_impacted: same window, same
    place matching. With ``in_window`` false, any open incident for a stop's place or country
    counts, whatever its dates (a briefing names every incident still going on where the
    traveller goes). Two queries (incidents with their places), and two per country with an
    open incident where some stop's place is free text."""
    stops = [stop for stop in stops if stop.departure >= today]
    countries = {stop.country_id for stop in stops}
    if not countries:
        return []
    incidents = list(
        Incident.objects.open_on(today)
        .filter(country_id__in=countries)
        .select_related("country")
        .prefetch_related("places")
        .order_by("-starts_on", "-pk")
    )
    found: list[TripIncident] = []
    resolvers: dict[str, _FreeTextMatcher] = {}
    for incident in incidents:
        first, last = incident_window(incident)
        place_ids = frozenset(place.pk for place in incident.places.all())
        resolve = resolvers.setdefault(incident.country_id, _FreeTextMatcher(incident.country_id))
        for stop in stops:
            if stop.country_id != incident.country_id:
                continue
            if in_window and (stop.departure < first or stop.arrival > last):
                continue
            match = stop_match(stop, place_ids=place_ids, resolve=resolve)
            if match is not None:
                found.append(TripIncident(incident=incident, stop=stop, match=match))
    found.sort(key=lambda item: (-item.incident.severity_rank, item.stop.arrival))
    return found


def incidents_for_trip(*, trip: Trip, today: dt.date | None = None) -> list[TripIncident]:
    today = today or timezone.localdate()
    if trip.status not in TRAVELLER_STATUSES:
        return []
    stops = trip.stops.select_related("place", "country").order_by("position")
    return incidents_for_stops(stops=stops, today=today)


def incidents_for_traveller(*, user: User, today: dt.date | None = None) -> list[TripIncident]:
    """The open incidents touching the current or upcoming stops of a traveller's own trips
    (for the dashboard): a fixed number of queries."""
    today = today or timezone.localdate()
    stops = (
        Stop.objects.filter(
            trip__traveller=user, trip__status__in=TRAVELLER_STATUSES, departure__gte=today
        )
        .select_related("trip", "place", "country")
        .order_by("arrival")
    )
    return incidents_for_stops(stops=stops, today=today)


# The best match first when a traveller has several stops there.
_MATCH_RANK = {"place": 0, "country": 1, "possibly": 2}


def travellers_there(incident: Incident, on: dt.date | None = None) -> list[dict[str, Any]]:
    """The travellers there now (curated place, whole country or possibly), one per person,
    with the stop that matches best. Those arriving get the incident alert, not a check.

    For a safety check's start: the rows of ``incident_impacted`` that are *there*, read
    lean (a 5,000-person check reads 5,000 stops): the stops overlapping both the incident's
    window and ``on``, with their ids and place only, matched by the same ``stop_match``.
    """
    on = on or timezone.localdate()
    first, last = incident_window(incident)
    # Ids first, through the Stop index alone, as incident_impacted does (its docstring says
    # why joining the trips in the same query makes PostgreSQL read every trip).
    there = list(
        Stop.objects.filter(
            country_id=incident.country_id,
            departure__gte=max(first, on),
            arrival__lte=min(last, on),
        )
        .order_by()
        .values_list("pk", flat=True)
    )
    stops = (
        Stop.objects.filter(pk__in=there, trip__status__in=IMPACTED_STATUSES)
        .select_related("place")
        .only("trip", "place", "place__id", "place_text")
        .annotate(traveller_id=F("trip__traveller_id"))
        .order_by("arrival", "trip_id", "position")
    )
    place_ids = frozenset(incident.places.values_list("pk", flat=True))
    resolve = _FreeTextMatcher(incident.country_id)
    chosen: dict[int, dict[str, Any]] = {}
    for stop in stops:
        match = stop_match(stop, place_ids=place_ids, resolve=resolve)
        if match is None:
            continue
        best = chosen.get(stop.traveller_id)
        if best is None or _MATCH_RANK[match] < _MATCH_RANK[best["match"]]:
            chosen[stop.traveller_id] = {
                "traveller_id": stop.traveller_id,
                "trip_id": stop.trip_id,
                "stop_id": stop.pk,
                "match": match,
            }
    return list(chosen.values())
