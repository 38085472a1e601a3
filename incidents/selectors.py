"""Reads for incidents: who an incident touches, and which incidents touch a trip.

Impacted travellers are computed on demand, never stored: a trip filed a minute after the
incident is declared is on the list the next time anyone looks (product.md, "Incidents and
safety checks")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from advisories.models import Country, Place
from advisories.selectors import (
    contacts_for_traveller,
    place_matcher,
    places_for,
    published_version,
)
from incidents.models import (
    CheckRecipient,
    CheckStatus,
    Incident,
    IncidentAllClear,
    IncidentQuerySet,
    SafetyCheck,
    SafetyStatus,
)
from portal.lib.phones import PhoneDisplay, phone_display
from portal.lib.places import PlaceMatcher, match_key
from portal.lib.timezones import PlaceZone, place_time_zone
from portal.models import TravellerProfile
from portal.roles import is_content_admin, is_manager
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


def _candidate_stops(incident: Incident, on: dt.date | None = None) -> QuerySet[Stop]:
    """The stops of trips going ahead in the incident's country that overlap its window
    (departure >= first and arrival <= last), with what a row shows (two queries: see
    StopQuerySet.overlapping).
    """
    first, last = incident_window(incident, on)
    return (
        Stop.objects.overlapping(country=incident.country_id, first=first, last=last)
        .filter(trip__status__in=IMPACTED_STATUSES)
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
    for stop in _candidate_stops(incident, on):
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
    """The incidents open on ``today`` in the stops' countries, each with the stops in its area
    and how (``stop_match``, the impacted list's own matching; dates are left to the caller).
    One query for the incidents and one for their places (none when there are none), and two
    per country where an incident names places and some stop's place is free text."""
    countries = {stop.country_id for stop in stops}
    if not countries:
        return []
    incidents = list(
        Incident.objects.open_on(today)
        .filter(country_id__in=countries, starts_on__lte=max(stop.departure for stop in stops))
        .select_related("country")
        .prefetch_related("places")
        .order_by("-starts_on", "-pk")
    )
    resolvers: dict[str, _FreeTextMatcher] = {}
    found = []
    for incident in incidents:
        place_ids = frozenset(place.pk for place in incident.places.all())
        resolve = resolvers.setdefault(incident.country_id, _FreeTextMatcher(incident.country_id))
        touches = []
        for index, stop in enumerate(stops):
            if stop.country_id != incident.country_id:
                continue
            match = stop_match(stop, place_ids=place_ids, resolve=resolve)
            if match is not None:
                touches.append(engine.HazardTouch(stop_index=index, match=match))
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
    stops = Stop.objects.filter(
        country_id=incident.country_id,
        departure__gte=max(incident.starts_on, today),
        trip__last_departure__gte=today,
    ).exclude(trip__status__in=[TripStatus.DRAFT, TripStatus.CANCELLED, TripStatus.COMPLETED])
    if last is not None:
        stops = stops.filter(arrival__lte=last)
    place_ids = frozenset(incident.places.values_list("pk", flat=True))
    resolve = _FreeTextMatcher(incident.country_id)
    return {
        stop.trip_id
        for stop in stops.select_related("place").only("trip", "place", "place_text")
        if stop_match(stop, place_ids=place_ids, resolve=resolve) is not None
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
    first, last = incident_window(incident, on)
    # Ids first, through the Stop index alone, as incident_impacted does (its docstring says
    # why joining the trips in the same query makes PostgreSQL read every trip).
    stops = (
        Stop.objects.overlapping(
            country=incident.country_id, first=max(first, on), last=min(last, on)
        )
        .filter(trip__status__in=IMPACTED_STATUSES)
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
        overlapping |= Q(country_id=incident.country_id, departure__gte=first, arrival__lte=last)
    stop_ids = list(Stop.objects.filter(overlapping).order_by().values_list("pk", flat=True))
    stops = list(
        Stop.objects.filter(pk__in=stop_ids, trip__status__in=IMPACTED_STATUSES)
        .select_related("place")
        .annotate(traveller_id=F("trip__traveller_id"))
        .order_by()
    )
    free_text = {stop.country_id for stop in stops if stop.place is None and stop.place_text}
    # The curated places of every country where a stop is free text, loaded at once.
    resolvers = {code: _FreeTextMatcher(code) for code in free_text}
    if free_text:
        by_country: dict[str, list[Place]] = {code: [] for code in free_text}
        for place in places_for(free_text):
            by_country[place.country_id].append(place)
        for code, resolver in resolvers.items():
            resolver.matcher = place_matcher(by_country[code])
    checks = _crisis_checks([incident.pk for incident in incidents])
    rows: list[CrisisRow] = []
    for incident in incidents:
        first, last = windows[incident.pk]
        place_ids = frozenset(place.pk for place in incident.places.all())
        resolve = resolvers.get(incident.country_id)
        there: set[int] = set()
        arriving: set[int] = set()
        for stop in stops:
            if stop.country_id != incident.country_id or not (
                stop.departure >= first and stop.arrival <= last
            ):
                continue
            if stop_match(stop, place_ids=place_ids, resolve=resolve) is None:
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
    them) and the time zone of their place (portal.lib.timezones)."""

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
    code = stop.country_id if stop is not None else incident.country_id
    country_name = (
        incident.country.name
        if code == incident.country_id
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
