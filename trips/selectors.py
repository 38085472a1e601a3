"""Reads for the trips app: the published content as engine input, and the lists managers
work from. Each runs a fixed number of queries whatever the catalogue's or the list's size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from advisories.models import AdvisoryVersion, Country, Place, match_key
from core import roles
from core.lib.dates import WorkingCalendar, stored_date
from core.lib.places import PlaceMatcher
from core.lib.vocabulary import RuleKind
from core.models import TravellerProfile
from trips import engine
from trips.filters import ApprovalQueueFilter, run_filters
from trips.hazards import hazards_for
from trips.models import ApprovalPolicy, Assessment, Decision, Stop, StopQuerySet, Trip, TripStatus
from trips.requirements import overdue_requirements


def _source(key: str | None, sources: dict[str, dict[str, Any]]) -> engine.SourceRef | None:
    source = sources.get(key or "")
    if source is None:
        return None
    return engine.SourceRef(
        key=source["key"],
        publisher=source.get("publisher", ""),
        title=source.get("title", ""),
        url=source.get("url", ""),
        retrieved=stored_date(source.get("retrieved")),
    )


def _rule(code: str, data: dict[str, Any], sources: dict[str, dict[str, Any]]) -> engine.Rule:
    exemptions = data.get("exemptions") or {}
    return engine.Rule(
        key=data["key"],
        kind=data["kind"],
        country=code,
        title=data.get("title", ""),
        detail=data.get("detail", ""),
        threshold_days=data.get("threshold_days"),
        deadline_days=data.get("deadline_days"),
        deadline_unit=data.get("deadline_unit") or "calendar",
        nationalities=frozenset(data.get("nationalities") or ()),
        max_days=data.get("max_days"),
        window_days=data.get("window_days"),
        lead_days=data.get("lead_days"),
        places=frozenset(data.get("places") or ()),
        activities=frozenset(data.get("activities") or ()),
        exemptions=engine.Exemptions(
            passport_types=frozenset(exemptions.get("passport_types") or ()),
            visa_categories=frozenset(exemptions.get("visa_categories") or ()),
            under_age=exemptions.get("under_age"),
        ),
        valid_from=stored_date(data.get("valid_from")),
        valid_until=stored_date(data.get("valid_until")),
        authority=data.get("authority", ""),
        citation=data.get("citation", ""),
        source=_source(data.get("source"), sources),
    )


def _advisory(code: str, name: str, number: int, snapshot: dict[str, Any]) -> engine.Advisory:
    sources = {source["key"]: source for source in snapshot.get("sources", [])}
    advisory = snapshot["advisory"]
    sections = tuple(
        engine.Section(
            key=section["key"],
            country=code,
            topic=section["topic"],
            heading=section["heading"],
            level=section.get("level"),
            places=frozenset(section.get("places") or ()),
            activities=frozenset(section.get("activities") or ()),
            months=frozenset(section.get("months") or ()),
            source=_source(section.get("source"), sources),
        )
        for section in advisory.get("sections", [])
    )
    return engine.Advisory(
        country=code, country_name=name, level=advisory["level"], version=number, sections=sections
    )


class PublishedContent:
    """The published content of some countries, loaded in one query: engine input, plus the
    curated places as published (so a stop's place carries the published kind and level).

    A stop is matched to a place by what the traveller typed, against the published names and
    aliases: a draft rename, or a place row recreated by a pack import, must not change what
    the rules see until it is published."""

    def __init__(
        self, country_codes: Iterable[str], drafts: Mapping[str, dict[str, Any]] | None = None
    ) -> None:
        # `drafts`: a country's draft snapshot standing in for its published version, as its
        # next version (the admin's publish step asks what publishing it would do).
        drafts = drafts or {}
        codes = sorted(set(country_codes))
        countries = Country.objects.filter(code__in=codes).select_related("published")
        advisories: dict[str, engine.Advisory] = {}
        rules: dict[str, tuple[engine.Rule, ...]] = {}
        self.matchers: dict[str, PlaceMatcher[engine.PlaceRef]] = {}
        places: dict[str, tuple[engine.PlaceRef, ...]] = {}
        calendars: dict[str, WorkingCalendar] = {}
        names: dict[str, str] = {}
        for country in countries:
            names[country.code] = country.name
            version = country.published
            if country.code in drafts:
                snapshot = drafts[country.code]
                number = (version.number if version is not None else 0) + 1
            elif version is None:
                continue
            else:
                snapshot, number = version.content, version.number
            advisories[country.code] = _advisory(country.code, country.name, number, snapshot)
            sources = {source["key"]: source for source in snapshot.get("sources", [])}
            rules[country.code] = tuple(
                _rule(country.code, rule, sources) for rule in snapshot.get("rules", [])
            )
            entries = [
                (
                    engine.PlaceRef(
                        name=place["name"],
                        country=country.code,
                        kind=place.get("kind") or "city",
                        level=place.get("level"),
                    ),
                    place["name"],
                    place.get("aliases", []),
                )
                for place in snapshot.get("places", [])
            ]
            places[country.code] = tuple(ref for ref, _, _ in entries)
            self.matchers[country.code] = PlaceMatcher(entries)
            calendars[country.code] = WorkingCalendar(
                country=country.code,
                non_working_days=frozenset(
                    map(dt.date.fromisoformat, snapshot.get("non_working_days") or [])
                ),
                working_days=frozenset(
                    map(dt.date.fromisoformat, snapshot.get("working_days") or [])
                ),
            )
        self.content = engine.Content(
            advisories=advisories,
            rules=rules,
            country_names=names,
            places=places,
            calendars=calendars,
        )

    def place(self, country: str, text: str) -> engine.PlaceRef | None:
        """The published place a stop's place text names (core.lib.places), if any."""
        matcher = self.matchers.get(country)
        return matcher.match(text) if matcher is not None else None


def stops_with_places() -> Prefetch[str, QuerySet[Stop], str]:
    return Prefetch(
        "stops", queryset=Stop.objects.select_related("place", "country").order_by("position")
    )


def trip_traveller(trip: Trip) -> engine.Traveller:
    """The traveller as the rules see them: the trip's overrides, else the profile."""
    profile = TravellerProfile.objects.get(user_id=trip.traveller_id)
    return engine.Traveller(
        nationality=(trip.passport_nationality or profile.nationality or None),
        passport_type=trip.passport_type or profile.passport_type or "ordinary",
        visa_category=trip.visa_category,
        date_of_birth=profile.date_of_birth,
    )


def trip_engine_stops(stops: Iterable[Stop], published: PublishedContent) -> list[engine.Stop]:
    return [
        engine.Stop(
            country=stop.country_id,
            arrival=stop.arrival,
            departure=stop.departure,
            place=published.place(
                stop.country_id, stop.place_text or (stop.place.name if stop.place else "")
            ),
            place_text=stop.place_text,
            activities=frozenset(stop.activities or ()),
            transit=stop.transit,
        )
        for stop in stops
    ]


def policy_for_engine() -> engine.Policy:
    policy = ApprovalPolicy.current()
    return engine.Policy(
        threshold_level=policy.threshold_level,
        closed_area_needs_approval=policy.closed_area_needs_approval,
        permit_needs_approval=policy.permit_needs_approval,
        unknown_risk_needs_approval=policy.unknown_risk_needs_approval,
        dual_approval_level=policy.dual_approval_level,
    )


def trip_assess(trip: Trip, stops: Iterable[Stop] | None = None) -> engine.Assessment:
    """Run the engine over a trip: one query for its stops, one for the profile, one for the
    content of its countries, one for the policy and one for the open incidents where it goes
    (trips.hazards: two more for a country's places when an incident there names places and a
    stop's place is free text), whatever the catalogue's size or the number of incidents.
    Given `stops` (unsaved, for a preview), the engine runs on those instead of the stored
    ones."""
    if stops is None:
        stops = trip.stops.select_related("place").order_by("position")
    stops = list(stops)
    published = PublishedContent(stop.country_id for stop in stops)
    today = timezone.localdate()
    return engine.assess(
        stops=trip_engine_stops(stops, published),
        traveller=trip_traveller(trip),
        content=published.content,
        policy=policy_for_engine(),
        today=today,
        other_stays=other_stays(trip, stops, published.content),
        hazards=hazards_for(stops, today=today),
    )


def other_stays(
    trip: Trip, stops: Sequence[Stop], content: engine.Content
) -> list[engine.OtherStay]:
    """The traveller's stays on their other trips going ahead (not draft, cancelled or
    rejected) in the countries of this trip that limit days in a period, within the longest
    such period of this trip's dates: what a stay_limit counts. One query, none when no
    country of the trip has a stay limit."""
    windows = [
        rule.window_days
        for stop in stops
        for rule in content.rules.get(stop.country_id, ())
        if rule.kind == RuleKind.STAY_LIMIT and rule.window_days
    ]
    if not windows or not stops:
        return []
    reach = dt.timedelta(days=max(windows))
    countries = {
        stop.country_id
        for stop in stops
        if any(rule.kind == RuleKind.STAY_LIMIT for rule in content.rules.get(stop.country_id, ()))
    }
    rows = (
        Stop.objects.filter(
            trip__traveller_id=trip.traveller_id,
            country_id__in=countries,
            departure__gte=min(stop.arrival for stop in stops) - reach,
            arrival__lte=max(stop.departure for stop in stops) + reach,
        )
        .exclude(trip_id=trip.pk)
        .exclude(trip__status__in=[TripStatus.DRAFT, TripStatus.CANCELLED, TripStatus.REJECTED])
        .values_list("trip_id", "country_id", "arrival", "departure")
    )
    return [
        engine.OtherStay(trip=trip_id, country=country, arrival=arrival, departure=departure)
        for trip_id, country, arrival, departure in rows
    ]


def trips_for_list(user: User | AnonymousUser) -> QuerySet[Trip]:
    return (
        Trip.objects.visible_to(user)
        .select_related("traveller")
        .prefetch_related(stops_with_places())
    )


# The columns of a trip and of each of its stops that GET /api/trips/ shows.
_TRIP_LIST_COLUMNS = (
    "id",
    "traveller__username",
    "purpose",
    "status",
    "risk_level",
    "approvals_needed",
    "passport_nationality",
    "passport_type",
    "visa_category",
    "first_arrival",
    "last_departure",
    "created_at",
    "updated_at",
)
_STOP_LIST_COLUMNS = (
    "country_id",
    "place_id",
    "place__name",
    "place_text",
    "arrival",
    "departure",
    "activities",
    "transit",
)


def trip_list_rows(*, page: QuerySet[Trip]) -> list[dict[str, Any]]:
    """The trips of one list page, as plain rows with their stops (in itinerary order) under
    "stops", for GET /api/trips/ (serializers.TripListSerializer). `page` is the page's query
    (ordered and sliced, not yet read).

    One query, the page as a subquery, a row per stop (the trip's columns repeated), and no
    model instances: a page's trips are read in one round trip, in the page's order."""
    trips: dict[int, dict[str, Any]] = {}
    for row in (
        Trip.objects.filter(pk__in=page.values("pk"))
        .order_by(*page.query.order_by, "stops__position")
        .values(
            *_TRIP_LIST_COLUMNS,
            "stops__position",
            *(f"stops__{column}" for column in _STOP_LIST_COLUMNS),
        )
    ):
        trip = trips.get(row["id"])
        if trip is None:
            trip = trips[row["id"]] = {column: row[column] for column in _TRIP_LIST_COLUMNS}
            trip["stops"] = []
        if row["stops__position"] is not None:
            trip["stops"].append({column: row[f"stops__{column}"] for column in _STOP_LIST_COLUMNS})
    return list(trips.values())


def approval_queue(*, filters: Mapping[str, Any] | None = None) -> QuerySet[Trip]:
    """Trips awaiting a decision, the soonest departure first, filtered by
    `trips.filters.ApprovalQueueFilter` (InvalidInput for a refused filter)."""
    pending = (
        Trip.objects.filter(status=TripStatus.PENDING_APPROVAL)
        .select_related("traveller", "traveller__profile")
        .prefetch_related(stops_with_places(), "decisions")
        .order_by("first_arrival", "id")
    )
    return run_filters(ApprovalQueueFilter, filters, pending)


def round_approvals(trip: Trip) -> list[Decision]:
    """The approvals given in the trip's current approval round (from prefetched decisions)."""
    return [
        decision
        for decision in trip.decisions.all()
        if decision.approval_round == trip.approval_round
        and decision.outcome == Decision.Outcome.APPROVE
    ]


@dataclass(frozen=True)
class ApprovalProgress:
    approvals_had: int
    needs_second: bool  # one approval given, a second (different) manager must add theirs
    stuck: bool  # fewer managers other than the traveller and past approvers than approvals missing


def approval_progress(trip: Trip, manager_ids: set[int]) -> ApprovalProgress:
    """Where a pending trip stands; `manager_ids` from active_manager_ids(), read once for a
    whole queue."""
    approvers = {decision.manager_id for decision in round_approvals(trip)}
    missing = max(trip.approvals_needed, 1) - len(approvers)
    return ApprovalProgress(
        approvals_had=len(approvers),
        needs_second=trip.approvals_needed >= 2 and len(approvers) >= 1,
        stuck=len(manager_ids - approvers - {trip.traveller_id}) < missing,
    )


@dataclass(frozen=True)
class QueueRow:
    trip: Trip
    progress: ApprovalProgress


def approval_queue_rows(*, filters: Mapping[str, Any] | None = None) -> list[QueueRow]:
    """The approval queue with where each trip stands; `second=1` keeps the trips that wait
    for a second manager's approval. A fixed number of queries whatever the queue's length."""
    queue = approval_queue(filters=filters)
    flags = ApprovalQueueFilter(data=filters or {}).form
    only_second = flags.is_valid() and bool(flags.cleaned_data.get("second"))
    managers = active_manager_ids()
    rows = [QueueRow(trip=trip, progress=approval_progress(trip, managers)) for trip in queue]
    return [row for row in rows if row.progress.needs_second or not only_second]


def _stop_rows(stops: StopQuerySet) -> StopQuerySet:
    """Who-is-where's rows: with what a row shows, by country, traveller and arrival."""
    return stops.select_related(
        "trip", "trip__traveller", "trip__traveller__profile", "place", "country"
    ).order_by("country__name", "trip__traveller__username", "arrival")


def travellers_at(
    *, on: dt.date, country: str | None = None, place: str | None = None
) -> StopQuerySet:
    """Who is where: the stops that cover a date, of trips that are going ahead."""
    stops = _stop_rows(
        Stop.objects.filter(arrival__lte=on, departure__gte=on).exclude(
            trip__status__in=[TripStatus.DRAFT, TripStatus.CANCELLED, TripStatus.REJECTED]
        )
    )
    if country:
        stops = stops.filter(country_id=country.upper())
    if place:
        # By the curated place (its name or an alias), or by what was typed when the stop
        # names no curated place.
        key = match_key(place)
        curated = Place.objects.filter(Q(key=key) | Q(aliases__key=key)).values("pk")
        stops = stops.filter(Q(place__in=curated) | Q(place__isnull=True, place_text__iexact=place))
    return stops


def whereabouts(
    *, on: dt.date, country: str | None = None, place: str | None = None
) -> QuerySet[Stop]:
    """Who is where, one row per traveller: of the stops `travellers_at` finds, each
    traveller's last one that day (a travel day covers the stop they leave and the one they
    reach; they end the day at the second). Counting these rows counts people, not stops."""
    stops = travellers_at(on=on, country=country, place=place)
    if country:
        # The stops covering the date through the Stop index alone first, then only those
        # joined to their trips (StopQuerySet.overlapping says why).
        stops = stops.overlapping(country=country, first=on, last=on)
    # Each traveller's last stop is picked here, from the few stops that cover the date: as a
    # correlated subquery PostgreSQL ran it for every candidate stop, and one country's list
    # took 7 s at 300,000 stops against 56 ms at 3,000 (make bench: locations_growth).
    last: dict[int, tuple[dt.date, int, int, int]] = {}
    for pk, traveller, arrival, trip_id, position in stops.order_by().values_list(
        "pk", "trip__traveller_id", "arrival", "trip_id", "position"
    ):
        rank = (arrival, trip_id, position, pk)
        if traveller not in last or rank > last[traveller]:
            last[traveller] = rank
    # A fresh query over the chosen ids only: filtered again by the conditions above,
    # PostgreSQL read the country's covering stops once more instead of these ids.
    return _stop_rows(Stop.objects.filter(pk__in=[rank[3] for rank in last.values()]))


def _stop_place_label(stop: Stop) -> str:
    return stop.place.name if stop.place is not None else stop.place_text


def map_travellers(
    *,
    on: dt.date,
    country: str | None = None,
    place: str | None = None,
    url_for: Callable[[str], str] = str,
) -> dict[str, Any]:
    """Who is where on a date as GeoJSON (RFC 7946): a Point per traveller located that day,
    one per traveller as who-is-where counts them (``whereabouts``: their last stop that
    day), with the same filters. The travellers whose stop has no coordinates are listed in
    ``unlocated`` (with their count), so a map can say who it cannot show. ``url_for`` makes
    a path absolute (the API's request). The queries of ``whereabouts``, whatever the number
    of travellers."""
    features: list[dict[str, Any]] = []
    unlocated: list[dict[str, Any]] = []
    for stop in whereabouts(on=on, country=country, place=place):
        traveller = stop.trip.traveller
        properties = {
            "traveller": traveller.get_username(),
            "name": traveller.get_full_name() or traveller.get_username(),
            "trip": stop.trip_id,
            "trip_url": url_for(reverse("trip-detail", args=[stop.trip_id])),
            "place": _stop_place_label(stop),
            "country": stop.country_id,
            "country_name": stop.country.name,
            "arrival": stop.arrival.isoformat(),
            "departure": stop.departure.isoformat(),
            "approximate": stop.location_approximate,
            "location_source": stop.location_source or None,
        }
        if stop.latitude is None or stop.longitude is None:
            unlocated.append(properties)
            continue
        features.append(
            {
                "type": "Feature",
                # GeoJSON's order: longitude first.
                "geometry": {"type": "Point", "coordinates": [stop.longitude, stop.latitude]},
                "properties": properties,
            }
        )
    return {
        "type": "FeatureCollection",
        "date": on.isoformat(),
        "features": features,
        "unlocated_count": len(unlocated),
        "unlocated": unlocated,
    }


COMPLIANCE_GAPS = {
    TripStatus.SUBMITTED: "assessment",
    TripStatus.PENDING_APPROVAL: "approval",
    TripStatus.REJECTED: "rejected: must not travel",
    TripStatus.APPROVED: "briefing acknowledgement",
}


def compliance_report(
    *, today: dt.date, days: int, country: str | None = None
) -> list[dict[str, Any]]:
    """Departures within `days` that are not cleared to travel, and trips going ahead or
    under way with a requirement still open after its due date, with what is missing (a
    fixed number of queries); with `country`, only trips with a stop there."""
    going_ahead = [*COMPLIANCE_GAPS, TripStatus.CLEARED]
    trips = (
        Trip.objects.filter(
            Q(first_arrival__gte=today, status__in=list(COMPLIANCE_GAPS))
            | Q(last_departure__gte=today, status__in=going_ahead)
        )
        .filter(first_arrival__lte=today + dt.timedelta(days=days))
        .exclude(status=TripStatus.REJECTED, first_arrival__lt=today)
        .select_related("traveller", "traveller__profile")
        .prefetch_related(
            stops_with_places(),
            "requirement_ticks",
            Prefetch("assessments", queryset=Assessment.objects.order_by("-created_at", "-id")),
        )
        .order_by("first_arrival", "id")
    )
    if country:
        trips = trips.filter(
            Exists(Stop.objects.filter(trip=OuterRef("pk"), country_id=country.upper()))
        )
    rows = []
    for trip in trips:
        missing = []
        if trip.status in COMPLIANCE_GAPS and trip.first_arrival and trip.first_arrival >= today:
            missing.append(COMPLIANCE_GAPS[TripStatus(trip.status)])
        overdue = overdue_requirements(trip=trip, today=today)
        missing.extend(f"overdue: {row.title} (due {row.due:%Y-%m-%d})" for row in overdue)
        if missing:
            rows.append(
                {
                    "trip": trip,
                    "missing": missing,
                    "overdue": overdue,
                    "countries": sorted({stop.country_id for stop in trip.stops.all()}),
                }
            )
    return rows


def active_manager_ids() -> set[int]:
    """The security managers who can decide on trips (one query)."""
    return set(roles.managers().values_list("pk", flat=True))


def overlapping_trips(
    trip: Trip, *, including_drafts: bool = True, including_completed: bool = False
) -> QuerySet[Trip]:
    """The traveller's other trips whose dates overlap this one's, cancelled and rejected ones
    aside: someone cannot be in two places at once. One rule for the trip page's warning and
    for the refusal on submit (clashing_trips): a travel day shared by the last departure of
    one and the first arrival of the other is no overlap (product.md)."""
    if trip.first_arrival is None or trip.last_departure is None:
        return Trip.objects.none()
    left_aside = [TripStatus.CANCELLED, TripStatus.REJECTED]
    if not including_drafts:
        left_aside.append(TripStatus.DRAFT)
    if not including_completed:
        left_aside.append(TripStatus.COMPLETED)
    return (
        Trip.objects.filter(
            traveller_id=trip.traveller_id,
            first_arrival__lt=trip.last_departure,
            last_departure__gt=trip.first_arrival,
        )
        .exclude(pk=trip.pk)
        .exclude(status__in=left_aside)
        .order_by("first_arrival", "id")
    )


def clashing_trips(trip: Trip) -> QuerySet[Trip]:
    """The traveller's other trips going ahead or done (not draft, cancelled or rejected) that
    overlap this one: a traveller cannot hold two (product.md), so submitting it is refused. A
    draft is only an intention, so it warns (the page) but does not block."""
    return overlapping_trips(trip, including_drafts=False, including_completed=True)


def countries_with_trips_on_older_content(
    *, today: dt.date, published_before: dt.datetime
) -> dict[str, int]:
    """{country code: latest material version} for the countries where an upcoming trip
    (one a content change re-assesses: trips.services.trips_touching) was last assessed
    against an older version than the country's latest material one published before
    `published_before`: its re-assessment was lost or failed. A few queries, whatever the
    number of trips."""
    latest = dict(
        AdvisoryVersion.objects.filter(material=True, published_at__lt=published_before)
        .values("country_id")
        .annotate(newest=Max("number"))
        .values_list("country_id", "newest")
    )
    if not latest:
        return {}
    # The trips a re-assessment of these countries would touch, and each one's latest
    # assessment (a correlated subquery: one row per trip, not every assessment it had).
    trips = Trip.objects.upcoming(today).exclude(status=TripStatus.DRAFT)
    countries_of: dict[int, set[str]] = {}
    for trip_id, code in (
        Stop.objects.filter(trip__in=trips, country_id__in=latest)
        .values_list("trip_id", "country_id")
        .distinct()
    ):
        countries_of.setdefault(trip_id, set()).add(code)
    newest = (
        Assessment.objects.filter(trip_id=OuterRef("trip_id"))
        .order_by("-created_at", "-id")
        .values("pk")[:1]
    )
    assessed: dict[int, dict[str, int]] = dict(
        Assessment.objects.filter(trip__in=trips, pk=Subquery(newest)).values_list(
            "trip_id", "content_versions"
        )
    )
    outdated: dict[str, int] = {}
    for trip_id, codes in countries_of.items():
        versions = assessed.get(trip_id) or {}
        for code in codes:
            if int(versions.get(code, 0)) < latest[code]:
                outdated[code] = latest[code]
    return outdated


@dataclass(frozen=True)
class ManagerOverview:
    """The security manager's figures on the dashboard."""

    pending_count: int
    abroad_count: int
    gaps_count: int
    soon_days: int


def manager_overview(*, today: dt.date, soon_days: int = 14) -> ManagerOverview:
    """Trips awaiting a decision, travellers abroad today, and departures within `soon_days`
    that are not cleared to travel."""
    return ManagerOverview(
        pending_count=approval_queue().count(),
        abroad_count=travellers_at(on=today).values("trip__traveller").distinct().count(),
        gaps_count=len(compliance_report(today=today, days=soon_days)),
        soon_days=soon_days,
    )
