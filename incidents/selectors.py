"""Reads for incidents: who an incident touches, and which incidents touch a trip.

Impacted travellers are computed on demand, never stored: a trip filed a minute after the
incident is declared is on the list the next time anyone looks (product.md, "Incidents and
safety checks")."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, FloatField, Q, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import ASin, Cos, Least, Power, Radians, Sin, Sqrt
from django.urls import reverse
from django.utils import timezone

from advisories.models import Country, Place
from advisories.selectors import (
    contacts_for_traveller,
    place_matcher,
    places_for,
    published_version,
)
from core.lib.geo import EARTH_RADIUS_KM, bounding_box, distance_km
from core.lib.phones import PhoneDisplay, phone_display
from core.lib.places import PlaceMatcher, match_key
from core.lib.timezones import PlaceZone, place_time_zone
from core.models import TravellerProfile
from core.roles import is_content_admin, is_manager
from incidents.models import (
    CheckRecipient,
    CheckStatus,
    Incident,
    IncidentAllClear,
    IncidentQuerySet,
    SafetyCheck,
    SafetyStatus,
)
from trips import engine
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
Match = Literal["place", "nearby", "country", "possibly"]
PRESENCE_ORDER: tuple[Presence, ...] = ("there", "arriving", "left")
PRESENCE_LABELS = {"there": "There now", "arriving": "Arriving", "left": "Left"}
MATCH_LABELS = {
    "place": "In a place it names",
    "nearby": "Within its radius",
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
    # How far the stop is from the incident's point (km, to 0.1), for a ``nearby`` match.
    distance_km: float | None = None

    @property
    def place_label(self) -> str:
        return self.stop.place_label

    @property
    def match_label(self) -> str:
        return MATCH_LABELS[self.match]


def incident_window(incident: Incident, on: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The dates a stop must overlap to be on the impacted list as of ``on`` (default today),
    both ends included: from the start to the end plus the lookahead. An open incident stays
    open (product.md, "Refined after the first release"): its window runs to the day asked
    about plus the lookahead, so a traveller arriving next week into a crisis that began last
    month is ``arriving``. Clamped to the last date there is, never an OverflowError."""
    if incident.ends_on is not None:
        end = incident.ends_on
    else:
        end = max(on or timezone.localdate(), incident.starts_on)
    return incident.starts_on, engine.days_after(end, incident.lookahead_days)


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


_Stops = TypeVar("_Stops", bound=QuerySet[Any])


def great_circle_km(latitude: float, longitude: float) -> Combinable:
    """The haversine distance from a point to a stop's coordinates, in km, as a database
    expression (Django's math functions: SQLite and PostgreSQL alike); null when the stop has
    no coordinates. core.lib.geo.distance_km is the same formula in Python."""
    half_dlat = Radians(F("latitude") - Value(latitude)) / Value(2.0)
    half_dlon = Radians(F("longitude") - Value(longitude)) / Value(2.0)
    a = Power(Sin(half_dlat), 2) + Value(math.cos(math.radians(latitude))) * Cos(
        Radians(F("latitude"))
    ) * Power(Sin(half_dlon), 2)
    return Value(2 * EARTH_RADIUS_KM) * ASin(Least(Sqrt(a), Value(1.0)), output_field=FloatField())


def _within_box(incident: Incident) -> Q:
    """The stops inside the bounding box of the incident's circle (core.lib.geo): what the
    Stop index (departure, arrival, latitude, longitude) narrows before the exact distance."""
    assert incident.latitude is not None and incident.longitude is not None
    assert incident.radius_km is not None
    box = bounding_box(incident.latitude, incident.longitude, incident.radius_km)
    longitude = Q(longitude__gte=box.min_lon) | Q(longitude__lte=box.max_lon)
    if not box.wraps:
        longitude = Q(longitude__gte=box.min_lon, longitude__lte=box.max_lon)
    return Q(latitude__gte=box.min_lat, latitude__lte=box.max_lat) & longitude


def _within_radius_ids(incident: Incident, dates: Q) -> list[int]:
    """The ids of the stops within the incident's radius among those matching ``dates``: the
    bounding box first (index), then the exact great-circle distance (computed in the
    database on the few stops left)."""
    assert incident.latitude is not None and incident.longitude is not None
    return list(
        Stop.objects.filter(dates, _within_box(incident))
        .annotate(distance=great_circle_km(incident.latitude, incident.longitude))
        .filter(distance__lte=incident.radius_km)
        .order_by()
        .values_list("pk", flat=True)
    )


def _area_stop_ids(incident: Incident, dates: Q) -> set[int]:
    """The ids of the stops matching ``dates`` in the incident's area: its country's stops,
    and the stops within its radius in any country. One query per kind of area, each through
    its own Stop index (an OR of the two would be read in full by PostgreSQL)."""
    ids: set[int] = set()
    if incident.country_id is not None:
        ids.update(
            Stop.objects.filter(dates, country_id=incident.country_id)
            .order_by()
            .values_list("pk", flat=True)
        )
    if incident.has_point:
        ids.update(_within_radius_ids(incident, dates))
    return ids


def _with_distance(stops: _Stops, incident: Incident) -> _Stops:
    """``distance`` on each stop (km; None without a point or coordinates)."""
    if not incident.has_point:
        return stops.annotate(distance=Value(None, output_field=FloatField()))
    assert incident.latitude is not None and incident.longitude is not None
    return stops.annotate(distance=great_circle_km(incident.latitude, incident.longitude))


def _candidate_stops(incident: Incident, on: dt.date | None = None) -> QuerySet[Stop]:
    """The stops of trips going ahead in the incident's area (its country, its radius) that
    overlap its window (departure >= first and arrival <= last), with what a row shows and
    their distance to the incident's point.

    Ids first on purpose. The first queries find the overlapping stops through the Stop
    indexes alone: a few hundred among 300,000 in a millisecond. Joined in one query,
    PostgreSQL cannot tell how few there are (it multiplies the two date ranges'
    selectivities, off by a factor of 40 in bench/bench_impacted.py) and reads every trip
    going ahead to hash-join them; given the ids, it looks up just those trips.
    """
    first, last = incident_window(incident, on)
    overlapping = _area_stop_ids(incident, Q(departure__gte=first, arrival__lte=last))
    stops = (
        Stop.objects.filter(pk__in=overlapping, trip__status__in=IMPACTED_STATUSES)
        .select_related("trip", "trip__traveller", "trip__traveller__profile", "place", "country")
        .order_by("arrival", "trip__traveller__username", "trip_id", "position")
    )
    return _with_distance(stops, incident)


class _FreeTextMatcher:
    """Resolves a stop's free-text place with the project's place matcher (whole words, name
    or alias, as stops are matched when saved), over the country's curated places loaded once:
    two queries at the first free text, none after, whatever the number of trips."""

    def __init__(self, country_code: str | None) -> None:
        self.country_code = country_code
        self.matcher: PlaceMatcher[Place] | None = None

    def __call__(self, text: str) -> Place | None:
        if self.country_code is None:
            return None  # an incident with a point only names no country's places
        if self.matcher is None:
            self.matcher = place_matcher(places_for([self.country_code]))
        return self.matcher.match(text)


# The best match first when an incident touches a stop several ways, or a traveller has
# several stops in its area: a place it names, then within its radius, then its country.
_MATCH_RANK = {"place": 0, "nearby": 1, "country": 2, "possibly": 3}


@dataclass(frozen=True)
class StopTouch:
    match: Match
    distance_km: float | None = None  # for ``nearby``: to 0.1 km


@dataclass
class IncidentArea:
    """What an incident covers, for ``stop_match``: its country, the curated places it names
    and its point and radius. Built once per incident (``area_of``)."""

    country: str | None
    place_ids: frozenset[int]
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None
    resolve: _FreeTextMatcher | None = None

    @property
    def has_point(self) -> bool:
        return self.radius_km is not None

    def distance_to(self, stop: Stop) -> float | None:
        """The distance from the point to the stop, in Python, for a trip's few stops (lists
        compute it in the database: ``great_circle_km``)."""
        if not self.has_point or stop.latitude is None or stop.longitude is None:
            return None
        assert self.latitude is not None and self.longitude is not None
        return distance_km(self.latitude, self.longitude, stop.latitude, stop.longitude)


def area_of(
    incident: Incident, *, place_ids: Iterable[int], resolve: _FreeTextMatcher | None = None
) -> IncidentArea:
    return IncidentArea(
        country=incident.country_id,
        place_ids=frozenset(place_ids),
        latitude=incident.latitude,
        longitude=incident.longitude,
        radius_km=incident.radius_km if incident.has_point else None,
        resolve=resolve,
    )


def _place_match(stop: Stop, area: IncidentArea) -> Match | None:
    """The place rule, for a stop in the incident's country. No places on the incident: the
    whole country (unless it has a point: then the radius says where it is). With places: a
    curated place among them is a place match, another curated place is not touched, and a
    stop whose place is unknown or free text is *possibly* touched (never dropped), unless the
    matcher now recognises its text as a curated place."""
    if not area.place_ids:
        return None if area.has_point else "country"
    place = stop.place
    if place is None and stop.place_text.strip() and area.resolve is not None:
        place = area.resolve(stop.place_text)
    if place is None:
        return "possibly"
    return "place" if place.pk in area.place_ids else None


def _point_match(stop: Stop, area: IncidentArea, distance: float | None) -> StopTouch | None:
    """The radius rule: a stop within the radius is nearby, whatever its country; a stop of
    the incident's country without coordinates is possibly touched (we cannot tell)."""
    if not area.has_point:
        return None
    assert area.radius_km is not None
    if stop.latitude is None or stop.longitude is None:
        return StopTouch("possibly") if stop.country_id == area.country else None
    if distance is not None and distance <= area.radius_km:
        return StopTouch("nearby", round(distance, 1))
    return None


def stop_match(
    stop: Stop, *, area: IncidentArea, distance: float | None = None
) -> StopTouch | None:
    """How an incident touches a stop, or None when it does not: the one rule of the impacted
    list, the safety check's recipients, the crisis summary, the alerts and the assessment.

    An incident with both places and a point touches a stop either way, the better match
    winning: a place it names, then within its radius, then its country, then possibly.
    ``distance`` is the stop's distance to the point (km) when the caller computed it in the
    database; else it is computed here.
    """
    touches: list[StopTouch] = []
    if area.country is not None and stop.country_id == area.country:
        by_place = _place_match(stop, area)
        if by_place is not None:
            touches.append(StopTouch(by_place))
    if area.has_point:
        if distance is None:
            distance = area.distance_to(stop)
        by_point = _point_match(stop, area, distance)
        if by_point is not None:
            touches.append(by_point)
    if not touches:
        return None
    return min(touches, key=lambda touch: _MATCH_RANK[touch.match])


def incident_impacted(*, incident: Incident, on: dt.date | None = None) -> list[ImpactedRow]:
    """Every stop an incident touches as of ``on`` (default today), ``there`` first, then
    ``arriving``, then ``left``; within each, by arrival and traveller.

    Three queries (the incident's places, the overlapping stops' ids, then those stops with
    their trip, traveller, profile and place), and two more for the country's curated places
    when some stop's place is free text, whatever the number of trips.
    """
    on = on or timezone.localdate()
    area = area_of(
        incident,
        place_ids=incident.places.values_list("pk", flat=True),
        resolve=_FreeTextMatcher(incident.country_id),
    )
    rows: list[ImpactedRow] = []
    for stop in _candidate_stops(incident, on):
        touch = stop_match(stop, area=area, distance=getattr(stop, "distance", None))
        if touch is None:
            continue
        traveller = stop.trip.traveller
        profile = getattr(traveller, "profile", None)
        rows.append(
            ImpactedRow(
                traveller=traveller,
                trip=stop.trip,
                stop=stop,
                presence=stop_presence(stop, on),
                match=touch.match,
                phone=profile.phone if profile else "",
                emergency_contact=_emergency_contact(profile),
                distance_km=touch.distance_km,
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


def _open_incidents_touching(
    stops: Sequence[Stop], today: dt.date
) -> list[tuple[Incident, tuple[engine.HazardTouch, ...]]]:
    """The incidents open on ``today`` in the stops' countries or with a point and a radius
    (few at a time), each with the stops in its area and how (``stop_match``, the impacted
    list's own matching; dates are left to the caller). One query for the incidents and one
    for their places (none when there are none), and two per country where an incident names
    places and some stop's place is free text."""
    countries = {stop.country_id for stop in stops}
    if not countries:
        return []
    incidents = list(
        Incident.objects.open_on(today)
        .filter(Q(country_id__in=countries) | Q(radius_km__isnull=False))
        .filter(starts_on__lte=max(stop.departure for stop in stops))
        .select_related("country")
        .prefetch_related("places")
        .order_by("-starts_on", "-pk")
    )
    resolvers: dict[str | None, _FreeTextMatcher] = {}
    found = []
    for incident in incidents:
        area = area_of(
            incident,
            place_ids=(place.pk for place in incident.places.all()),
            resolve=resolvers.setdefault(
                incident.country_id, _FreeTextMatcher(incident.country_id)
            ),
        )
        touches = []
        for index, stop in enumerate(stops):
            touch = stop_match(stop, area=area)
            if touch is not None:
                touches.append(engine.HazardTouch(stop_index=index, match=touch.match))
        if touches:
            found.append((incident, tuple(touches)))
    return found


def _hazard(incident: Incident, touches: tuple[engine.HazardTouch, ...]) -> engine.Hazard:
    return engine.Hazard(
        id=incident.pk,
        title=incident.title,
        severity=incident.severity,
        starts_on=incident.starts_on,
        ends_on=incident.ends_on,
        lookahead_days=incident.lookahead_days,
        touches=touches,
    )


def incident_hazards(stops: Sequence[Stop], today: dt.date) -> list[engine.Hazard]:
    """What open incidents touch these stops, as the rules engine takes them: the provider the
    incidents app registers with trips.hazards (see incidents.apps). The engine keeps the
    warning and critical ones whose window meets a stop."""
    touching = _open_incidents_touching(stops, today)
    return [_hazard(incident, touches) for incident, touches in touching]


def incident_trips_touched(incident: Incident, *, today: dt.date | None = None) -> set[int]:
    """The upcoming trips (filed, not over) whose assessment this incident is part of as it
    stands: open, warning or critical, and touching a stop by the assessment's semantics
    (trips.engine: every stop from its start on while it has no end). What an incident's
    change re-assesses, taken before and after it. Two queries, and two more for the country's
    places when it names places and some stop's place is free text."""
    today = today or timezone.localdate()
    if incident.pk is None or incident.severity not in engine.ASSESSED_SEVERITIES:
        return set()
    if incident.ends_on is not None and incident.ends_on <= today:
        return set()  # closed (IncidentQuerySet.open_on): part of no assessment any more
    hazard = _hazard(incident, ())
    last = engine.hazard_last_day(hazard)
    dates = Q(departure__gte=max(incident.starts_on, today))
    if last is not None:
        dates &= Q(arrival__lte=last)
    stops = (
        Stop.objects.filter(pk__in=_area_stop_ids(incident, dates), trip__last_departure__gte=today)
        .exclude(trip__status__in=[TripStatus.DRAFT, TripStatus.CANCELLED, TripStatus.COMPLETED])
        .select_related("place")
        .only("trip", "country", "place", "place_text", "latitude", "longitude")
    )
    area = area_of(
        incident,
        place_ids=incident.places.values_list("pk", flat=True),
        resolve=_FreeTextMatcher(incident.country_id),
    )
    return {
        stop.trip_id
        for stop in _with_distance(stops, incident)
        if stop_match(stop, area=area, distance=getattr(stop, "distance", None)) is not None
    }


def incidents_for_stops(
    *,
    stops: Iterable[Stop],
    today: dt.date,
    severities: Iterable[str] | None = None,
) -> list[TripIncident]:
    """The open incidents touching these stops where they are current or still to come
    (departure today or later), stop by stop, by the assessment's semantics (trips.engine):
    the impacted list's place matching, and an incident with no end touches every stop from
    its start on (it goes on until it is closed); one that ends touches stops arriving up to
    its end plus the lookahead. ``severities`` keeps only those (the briefing: the assessed
    ones, as the assessment lists them). Two queries (incidents with their places), and two
    per country with an open incident where some stop's place is free text."""
    current = [stop for stop in stops if stop.departure >= today]
    kept = frozenset(severities) if severities is not None else None
    found: list[TripIncident] = []
    for incident, touches in _open_incidents_touching(current, today):
        if kept is not None and incident.severity not in kept:
            continue
        hazard = _hazard(incident, touches)
        for touch in touches:
            stop = current[touch.stop_index]
            if engine.hazard_meets(hazard, _engine_dates(stop)):
                found.append(
                    TripIncident(incident=incident, stop=stop, match=cast(Match, touch.match))
                )
    found.sort(key=lambda item: (-item.incident.severity_rank, item.stop.arrival))
    return found


def _engine_dates(stop: Stop) -> engine.Stop:
    # The engine's window test reads only the country and dates.
    return engine.Stop(country=stop.country_id, arrival=stop.arrival, departure=stop.departure)


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


def travellers_there(incident: Incident, on: dt.date | None = None) -> list[dict[str, Any]]:
    """The travellers there now (curated place, whole country or possibly), one per person,
    with the stop that matches best. Those arriving get the incident alert, not a check.

    For a safety check's start: the rows of ``incident_impacted`` that are *there*, read
    lean (a 5,000-person check reads 5,000 stops): the stops overlapping both the incident's
    window and ``on``, with their ids and place only, matched by the same ``stop_match``.
    """
    on = on or timezone.localdate()
    first, last = incident_window(incident, on)
    # Ids first, through the Stop index alone, as incident_impacted does (its docstring says
    # why joining the trips in the same query makes PostgreSQL read every trip).
    there = _area_stop_ids(incident, Q(departure__gte=max(first, on), arrival__lte=min(last, on)))
    stops = _with_distance(
        Stop.objects.filter(pk__in=there, trip__status__in=IMPACTED_STATUSES)
        .select_related("place")
        .only("trip", "country", "place", "place__id", "place_text", "latitude", "longitude")
        .annotate(traveller_id=F("trip__traveller_id"))
        .order_by("arrival", "trip_id", "position"),
        incident,
    )
    area = area_of(
        incident,
        place_ids=incident.places.values_list("pk", flat=True),
        resolve=_FreeTextMatcher(incident.country_id),
    )
    chosen: dict[int, dict[str, Any]] = {}
    for stop in stops:
        touch = stop_match(stop, area=area, distance=getattr(stop, "distance", None))
        if touch is None:
            continue
        match = touch.match
        best = chosen.get(stop.traveller_id)
        if best is None or _MATCH_RANK[match] < _MATCH_RANK[best["match"]]:
            chosen[stop.traveller_id] = {
                "traveller_id": stop.traveller_id,
                "trip_id": stop.trip_id,
                "stop_id": stop.pk,
                "match": match,
            }
    return list(chosen.values())


# --- the map ---------------------------------------------------------------------------


def map_incidents(
    *, on: dt.date | None = None, url_for: Callable[[str], str] = str
) -> dict[str, Any]:
    """The incidents open on ``on`` (default today) as GeoJSON (RFC 7946), for the map page
    and a company's GIS tools: a Point with its ``radius_km`` for an incident with a point
    (its places, if any, are in ``places``); else a MultiPoint of its located places; else no
    geometry (the whole country, or places not on the map yet: ``country`` says where). Two
    queries (the incidents, their places)."""
    on = on or timezone.localdate()
    incidents = (
        Incident.objects.open_on(on)
        .select_related("country")
        .prefetch_related("places")
        .order_by("-starts_on", "-pk")
    )
    features = []
    for incident in sorted(incidents, key=lambda incident: -incident.severity_rank):
        places = sorted(incident.places.all(), key=lambda place: place.name)
        located = [place for place in places if place.located]
        geometry: dict[str, Any] | None = None
        if incident.has_point:
            geometry = {"type": "Point", "coordinates": [incident.longitude, incident.latitude]}
            area = "radius"
        elif located:
            geometry = {
                "type": "MultiPoint",
                "coordinates": [[place.longitude, place.latitude] for place in located],
            }
            area = "places"
        else:
            area = "places" if places else "country"
        features.append(
            {
                "type": "Feature",
                "id": incident.pk,
                "geometry": geometry,
                "properties": {
                    "id": incident.pk,
                    "title": incident.title,
                    "severity": incident.severity,
                    "category": incident.category,
                    "url": url_for(reverse("incident-detail", args=[incident.pk])),
                    "starts_on": incident.starts_on.isoformat(),
                    "ends_on": incident.ends_on.isoformat() if incident.ends_on else None,
                    "country": incident.country_id,
                    "area": area,
                    "radius_km": incident.radius_km if incident.has_point else None,
                    "places": [place.name for place in places],
                    "unlocated_places": [place.name for place in places if not place.located],
                },
            }
        )
    return {"type": "FeatureCollection", "date": on.isoformat(), "features": features}


# --- the manager's dashboard in a crisis ---------------------------------------------------


@dataclass
class CrisisRow:
    """An open incident that touches travellers, as the manager's dashboard shows it: how
    many people are there and arriving (each counted once, ``there`` first), and the answers
    to its open safety check, if one runs."""

    incident: Incident
    there: int = 0
    arriving: int = 0
    check_id: int | None = None
    safe: int = 0
    need_help: int = 0
    need_help_unhandled: int = 0
    no_answer: int = 0

    @property
    def needs_attention(self) -> bool:
        return bool(self.there or self.arriving or self.need_help_unhandled or self.no_answer)


def _crisis_checks(incident_ids: list[int]) -> dict[int, dict[str, int]]:
    """Each incident's open check with its counts (one query)."""

    need_help = Q(recipients__status=SafetyStatus.NEED_HELP)
    rows = (
        SafetyCheck.objects.filter(incident_id__in=incident_ids, status=CheckStatus.OPEN)
        .order_by()
        .values("pk", "incident_id")
        .annotate(
            safe=Count("recipients", filter=Q(recipients__status=SafetyStatus.SAFE)),
            need_help=Count("recipients", filter=need_help),
            need_help_unhandled=Count(
                "recipients", filter=need_help & Q(recipients__handled=False)
            ),
            no_answer=Count("recipients", filter=Q(recipients__status=SafetyStatus.NO_ANSWER)),
        )
    )
    return {
        row["incident_id"]: {
            "pk": row["pk"],
            "safe": row["safe"],
            "need_help": row["need_help"],
            "need_help_unhandled": row["need_help_unhandled"],
            "no_answer": row["no_answer"],
        }
        for row in rows
    }


def _free_text_resolvers(stops: Iterable[Stop]) -> dict[str, _FreeTextMatcher]:
    """A matcher for each country where a stop's place is free text, their curated places
    loaded at once (one query, or none)."""
    free_text = {stop.country_id for stop in stops if stop.place is None and stop.place_text}
    resolvers = {code: _FreeTextMatcher(code) for code in free_text}
    if free_text:
        by_country: dict[str, list[Place]] = {code: [] for code in free_text}
        for place in places_for(free_text):
            by_country[place.country_id].append(place)
        for code, resolver in resolvers.items():
            resolver.matcher = place_matcher(by_country[code])
    return resolvers


def incidents_crisis_summary(*, on: dt.date | None = None) -> list[CrisisRow]:
    """The open incidents that touch travellers as of ``on`` (default today): someone there
    or arriving, or an open safety check with a call for help not handled or someone silent.
    Most severe first, then the most calls for help, then the most people there.

    By the semantics of ``incident_impacted`` (same window, same place matching), for every
    open incident at once: a fixed number of queries (the incidents and their places, the
    overlapping stops' ids, those stops, the curated places of countries where a stop is free
    text, the open checks' counts), whatever the number of incidents and travellers.
    """
    on = on or timezone.localdate()
    incidents = list(
        Incident.objects.open_on(on)
        .select_related("country")
        .prefetch_related("places")
        .order_by("-starts_on", "-pk")
    )
    if not incidents:
        return []
    windows = {incident.pk: incident_window(incident, on) for incident in incidents}
    overlapping = Q(pk__in=[])
    for incident in incidents:
        first, last = windows[incident.pk]
        dates = Q(departure__gte=first, arrival__lte=last)
        if incident.country_id is not None:
            overlapping |= dates & Q(country_id=incident.country_id)
        if incident.has_point:
            # The box only: the exact distance is stop_match's, on these few stops.
            overlapping |= dates & _within_box(incident)
    stop_ids = list(Stop.objects.filter(overlapping).order_by().values_list("pk", flat=True))
    stops = list(
        Stop.objects.filter(pk__in=stop_ids, trip__status__in=IMPACTED_STATUSES)
        .select_related("place")
        .annotate(traveller_id=F("trip__traveller_id"))
        .order_by()
    )
    resolvers = _free_text_resolvers(stops)
    checks = _crisis_checks([incident.pk for incident in incidents])
    rows: list[CrisisRow] = []
    for incident in incidents:
        first, last = windows[incident.pk]
        area = area_of(
            incident,
            place_ids=(place.pk for place in incident.places.all()),
            resolve=resolvers.get(incident.country_id or ""),
        )
        there: set[int] = set()
        arriving: set[int] = set()
        for stop in stops:
            if not (stop.departure >= first and stop.arrival <= last):
                continue
            if stop_match(stop, area=area) is None:
                continue
            presence = stop_presence(stop, on)
            if presence == "there":
                there.add(stop.traveller_id)
            elif presence == "arriving":
                arriving.add(stop.traveller_id)
        check = checks.get(incident.pk, {})
        row = CrisisRow(
            incident=incident,
            there=len(there),
            arriving=len(arriving - there),
            check_id=check.get("pk"),
            safe=check.get("safe", 0),
            need_help=check.get("need_help", 0),
            need_help_unhandled=check.get("need_help_unhandled", 0),
            no_answer=check.get("no_answer", 0),
        )
        if row.needs_attention:
            rows.append(row)
    rows.sort(key=lambda row: (-row.incident.severity_rank, -row.need_help_unhandled, -row.there))
    return rows


# --- the answer page: help where the traveller is ------------------------------------------


@dataclass
class LocalContact:
    label: str
    phone: PhoneDisplay
    place: str | None
    for_nationals: bool  # an embassy or consulate: shown to its own nationals only


@dataclass
class LocalHelp:
    """What the answer page of a safety check shows a traveller about where they are: the
    country's emergency numbers (for their place and nationality, as their briefing lists
    them) and the time zone of their place (core.lib.timezones)."""

    country_code: str
    country_name: str
    place: str
    contacts: list[LocalContact]
    zone: PlaceZone


def recipient_local_help(*, recipient: CheckRecipient) -> LocalHelp:
    """Where a check's recipient is (their matching stop, else the incident's country) and
    the help there: the published emergency contacts of that country, a contact limited to a
    place only for that place, an embassy only for its nationals and before the others."""

    incident = recipient.safety_check.incident
    stop = recipient.stop
    code = stop.country_id if stop is not None else (incident.country_id or "")
    country_name = (
        incident.country.name
        if incident.country is not None and code == incident.country_id
        else Country.objects.filter(code=code).values_list("name", flat=True).first() or code
    )
    names: list[str] = []
    if stop is not None and stop.place is not None:
        names += [stop.place.name, *stop.place.aliases.values_list("name", flat=True)]
    if stop is not None and stop.place_text.strip():
        names.append(stop.place_text)
    profile = TravellerProfile.objects.filter(user_id=recipient.traveller_id).first()
    nationality = (
        (recipient.trip.passport_nationality if recipient.trip is not None else "")
        or (profile.nationality if profile is not None else "")
        or ""
    ).upper()
    version = published_version(code)
    snapshot = version.content if version is not None else {}
    here = {match_key(name) for name in names}
    contacts = [
        LocalContact(
            label=contact.get("label", ""),
            phone=phone_display(contact.get("number", ""), region=code),
            place=contact.get("place"),
            for_nationals=bool(contact.get("nationalities")),
        )
        for contact in contacts_for_traveller(
            snapshot.get("emergency_contacts", []), nationality=nationality
        )
        if not contact.get("place") or match_key(contact["place"]) in here
    ]
    # Their embassy first, then the numbers of their own place, then the country's.
    contacts.sort(key=lambda contact: (not contact.for_nationals, contact.place is None))
    return LocalHelp(
        country_code=code,
        country_name=country_name,
        place=names[0] if names else "",
        contacts=contacts,
        zone=place_time_zone(code, names),
    )


def incident_all_clear_count(*, incident: Incident) -> int:
    """How many travellers have been sent the incident's all-clear so far (one query)."""
    return IncidentAllClear.objects.filter(incident=incident).count()
