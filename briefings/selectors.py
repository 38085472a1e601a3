"""Reads for briefings: what a briefing PDF says, assembled from the trip, its assessment and
the advisory versions that assessment used (fetched in one query), and the lists the API
and reminders work from."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Model, Prefetch, QuerySet

from advisories.models import (
    LEVEL_NAMES,
    AdvisoryVersion,
    Country,
    match_key,
)
from advisories.selectors import activity_labels, contacts_for_traveller
from bookings.models import Segment
from bookings.selectors import trip_flight_segments
from briefings.models import Briefing, BriefingStatus
from core.company import SecurityDesk, security_desk
from core.lib.countries import country_name
from core.lib.dates import day_text, stored_date
from core.lib.phones import phone_display
from core.lib.topics import TopicGroup
from incidents.selectors import TripIncident, incidents_for_stops
from trips import engine
from trips.models import Assessment, Stop, Trip, TripStatus
from trips.notes import transitions_prefetch, trip_status_note
from trips.requirements import (
    RequirementRow,
    SectionRow,
    advisory_versions,
    country_sections,
    matched_keys,
    open_rows,
    requirement_rows,
)
from trips.selectors import stops_with_places

# A chapter's sections and topics are the trips read model's (trips.requirements): one way to
# pick, render and group the matched sections for the trip page and the PDF.
SectionView = SectionRow
TopicView = TopicGroup


@dataclass(frozen=True)
class Chapter:
    """One country's advisory chapter: the same for every traveller who matched the same
    sections of the same content version, so it is laid out once and reused (see rendering)."""

    country: str
    country_name: str
    version: int | None
    published_on: dt.date | None
    level: int | None
    summary: str
    topics: tuple[TopicGroup[SectionRow], ...]

    @property
    def anchor(self) -> str:
        return f"chapter-{self.country}"

    @property
    def title(self) -> str:
        return f"{self.country_name}: travel advice"

    @property
    def section_keys(self) -> tuple[str, ...]:
        return tuple(section.key for topic in self.topics for section in topic.sections)

    def cache_key(self, revision: str) -> str:
        """Same key, same pages: country, content version, matched sections, renderer."""
        material = "|".join(
            [revision, self.country, str(self.version or 0), ",".join(self.section_keys)]
        )
        digest = hashlib.sha256(material.encode()).hexdigest()[:20]
        return f"{self.country}-v{self.version or 0}-{digest}"


@dataclass
class BriefingDocument:
    """Everything the personal pages say."""

    briefing_id: int | None
    version: int
    reason: str
    changes: list[str]
    trip: Trip
    traveller_name: str
    traveller: dict[str, Any]
    risk_level: int | None
    risk_name: str
    explanation: list[str]
    approval_reasons: list[str]
    destinations: list[str]
    stops: list[dict[str, Any]]
    requirements: list[RequirementRow]
    contacts: list[dict[str, Any]]
    chapters: list[Chapter]
    sources: list[dict[str, Any]]
    content_versions: list[dict[str, Any]]
    generated_on: dt.date
    extra: dict[str, Any] = field(default_factory=dict)
    # The open warning and critical incidents touching a stop still to come when the briefing
    # was rendered: those its assessment lists (incidents.selectors.incidents_for_stops).
    incidents: list[TripIncident] = field(default_factory=list)
    # The company's 24/7 security desk, printed on the cover and the contacts page.
    security_desk: SecurityDesk | None = None
    # The trip's booked flights (bookings), for its own itinerary page: never in a chapter,
    # which is shared between travellers.
    flights: list[dict[str, str]] = field(default_factory=list)


def briefing_document(*, briefing: Briefing, today: dt.date | None = None) -> BriefingDocument:
    """Assemble what `briefing` says (a fixed number of queries)."""
    trip = (
        Trip.objects.select_related("traveller", "traveller__profile")
        .prefetch_related("stops__place", "stops__country")
        .get(pk=briefing.trip_id)
    )
    assessment = briefing.assessment or trip.assessments.first()
    content_versions: dict[str, int] = dict(
        briefing.content_versions or (assessment.content_versions if assessment else {})
    )
    return document_for(
        trip=trip,
        assessment=assessment,
        content_versions=content_versions,
        briefing_id=briefing.pk,
        version=briefing.version,
        reason=briefing.reason,
        changes=list(briefing.changes or []),
        today=today,
    )


def _traveller_facts(trip: Trip) -> dict[str, Any]:
    """Who travels, as the briefing's cover prints them (the trip's passport details first,
    else the profile's)."""
    user = trip.traveller
    profile = user.profile
    return {
        "name": user.get_full_name() or user.username,
        "email": user.email,
        "department": profile.department,
        "phone": profile.phone,
        "nationality": trip.passport_nationality or profile.nationality,
        "passport_type": trip.get_passport_type_display()
        if trip.passport_type
        else profile.get_passport_type_display(),
        "visa_category": trip.visa_category,
        "emergency_contact_name": profile.emergency_contact_name,
        "emergency_contact_phone": profile.emergency_contact_phone,
    }


def _stop_rows(
    stops: list[Stop], names: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, set[str]]]:
    """The itinerary as the briefing prints it, and the places visited per country (as
    matching keys: the contacts of a place are shown only to those who go there)."""
    # The curated labels ("Driving a vehicle") of every activity on the trip, in one query;
    # a code no longer curated is shown as it is.
    labels = activity_labels(code for stop in stops for code in stop.activities or [])
    stop_rows = []
    places_by_country: dict[str, set[str]] = {}
    for stop in stops:
        place = stop.place_label
        if place:
            places_by_country.setdefault(stop.country_id, set()).add(match_key(place))
        stop_rows.append(
            {
                "country": stop.country_id,
                "country_name": names.get(stop.country_id, stop.country_id),
                "place": place,
                "arrival": stop.arrival,
                "departure": stop.departure,
                "nights": (stop.departure - stop.arrival).days,
                "activities": list(stop.activities or []),
                "activity_labels": [labels.get(code, code) for code in stop.activities or []],
                "transit": stop.transit,
                # For the itinerary page's map (briefings/itinerary_map.py).
                "latitude": stop.latitude,
                "longitude": stop.longitude,
                "approximate": stop.location_approximate,
            }
        )
    return stop_rows, places_by_country


def _country_parts(
    country_codes: list[str],
    *,
    names: dict[str, str],
    versions: dict[str, AdvisoryVersion],
    matched: dict[str, list[str]],
    places_by_country: dict[str, set[str]],
    nationality: str,
) -> tuple[list[Chapter], list[dict[str, Any]], dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Per country visited: its chapter, the emergency contacts shown to this traveller, the
    sources its matched sections cite, and the advisory version the briefing read."""
    chapters: list[Chapter] = []
    contacts: list[dict[str, Any]] = []
    sources: dict[str, dict[str, Any]] = {}
    version_rows: list[dict[str, Any]] = []
    for code in country_codes:
        advisory_version = versions.get(code)
        name = names.get(code, code)
        snapshot = advisory_version.content if advisory_version else {}
        snapshot_sources = {s["key"]: s for s in snapshot.get("sources", [])}
        if advisory_version is not None:
            version_rows.append(
                {
                    "country": code,
                    "country_name": name,
                    "number": advisory_version.number,
                    "published_at": advisory_version.published_at,
                    "level": advisory_version.level,
                }
            )
        chapters.append(_chapter(code, name, advisory_version, matched.get(code, [])))
        visited = places_by_country.get(code, set())
        # An embassy helps its own nationals only: shown to them, and before the rest.
        for contact in contacts_for_traveller(
            snapshot.get("emergency_contacts", []), nationality=nationality
        ):
            contact_place = contact.get("place")
            if contact_place and match_key(contact_place) not in visited:
                continue
            contacts.append(
                {
                    **contact,
                    "country": code,
                    "country_name": name,
                    "phone": phone_display(contact.get("number", ""), region=code),
                }
            )
        for key in matched.get(code, []):
            section = _snapshot_section(snapshot, key)
            if section and section.get("source") in snapshot_sources:
                _cite(sources, snapshot_sources[section["source"]], name, advisory_version)
    return chapters, contacts, sources, version_rows


def _destinations(stop_rows: list[dict[str, Any]]) -> list[str]:
    """The places the trip goes to, each once, in order ("Almaty, Kazakhstan")."""
    return list(
        OrderedDict.fromkeys(
            str(f"{row['place']}, {row['country_name']}" if row["place"] else row["country_name"])
            for row in stop_rows
        )
    )


def document_for(
    *,
    trip: Trip,
    assessment: Assessment | None,
    content_versions: dict[str, int],
    briefing_id: int | None = None,
    version: int = 1,
    reason: str = "approved",
    changes: list[str] | None = None,
    today: dt.date | None = None,
) -> BriefingDocument:
    stops = list(trip.stops.all())
    country_codes = list(OrderedDict.fromkeys(stop.country_id for stop in stops))
    versions = advisory_versions(content_versions)
    names = {
        code: name
        for code, name in Country.objects.filter(code__in=country_codes).values_list("code", "name")
    }
    traveller = _traveller_facts(trip)

    stop_rows, places_by_country = _stop_rows(stops, names)

    # The checklist as the trip page shows it (the PDF is the same for every reader, so no
    # ticks: it lists everything the trip requires).
    requirements = requirement_rows(
        requirements=(assessment.requirements if assessment else []) or [],
        today=today,
        country_names=names,
    )

    matched = matched_keys((assessment.sections if assessment else []) or [])

    chapters, contacts, sources, version_rows = _country_parts(
        country_codes,
        names=names,
        versions=versions,
        matched=matched,
        places_by_country=places_by_country,
        nationality=traveller["nationality"],
    )
    for requirement in requirements:
        source = requirement.source
        if source and source.get("key"):
            country = requirement.country
            _cite(sources, source, names.get(country, country), versions.get(country))
    risk_level = assessment.risk_level if assessment else trip.risk_level
    return BriefingDocument(
        briefing_id=briefing_id,
        version=version,
        reason=reason,
        changes=changes or [],
        trip=trip,
        traveller_name=traveller["name"],
        traveller=traveller,
        risk_level=risk_level,
        risk_name=LEVEL_NAMES.get(risk_level, "Unknown") if risk_level else "Unknown",
        explanation=list(assessment.explanation if assessment else []),
        approval_reasons=list(assessment.approval_reasons if assessment else []),
        destinations=_destinations(stop_rows),
        stops=stop_rows,
        requirements=requirements,
        contacts=contacts,
        chapters=chapters,
        sources=sorted(sources.values(), key=lambda s: (s["publisher"], s["title"])),
        content_versions=version_rows,
        generated_on=today or dt.date.today(),
        incidents=incidents_for_stops(
            stops=stops,
            today=today or dt.date.today(),
            severities=engine.ASSESSED_SEVERITIES,
        ),
        security_desk=security_desk(),
        flights=[_flight_row(segment) for segment in trip_flight_segments(trip=trip)],
    )


def _local_time(text: str, zone: str) -> str:
    """ "18 Dec 2026 20:15 (UTC+05:00, Asia/Almaty)": the time as it is at the airport."""
    if not text:
        return ""
    moment = dt.datetime.fromisoformat(text)
    offset = moment.strftime("%z")
    label = f"UTC{offset[:3]}:{offset[3:]}" if offset else ""
    where = ", ".join(part for part in (label, zone) if part)
    clock = f"{moment.day} {moment:%b %Y %H:%M}"
    return f"{clock} ({where})" if where else clock


def _flight_row(segment: Segment) -> dict[str, str]:
    return {
        "flight": f"{segment.carrier} {segment.number}".strip(),
        "origin": " ".join(p for p in (segment.from_code, segment.from_city) if p),
        "destination": " ".join(p for p in (segment.to_code, segment.to_city) if p),
        "departs": _local_time(segment.departs_local, segment.from_tz),
        "arrives": _local_time(segment.arrives_local, segment.to_tz),
    }


def _snapshot_section(snapshot: dict[str, Any], key: str) -> dict[str, Any] | None:
    section: dict[str, Any]
    for section in (snapshot.get("advisory") or {}).get("sections", []):
        if section.get("key") == key:
            return section
    return None


def _cite(
    sources: dict[str, dict[str, Any]],
    source: dict[str, Any],
    country_name: str,
    version: AdvisoryVersion | None,
) -> None:
    entry = sources.setdefault(
        source["key"],
        {
            "key": source["key"],
            "publisher": source.get("publisher", ""),
            "title": source.get("title", ""),
            "url": source.get("url", ""),
            "retrieved": stored_date(source.get("retrieved")),
            "licence": source.get("licence", ""),
            "used_in": [],
        },
    )
    label = f"{country_name}, version {version.number}" if version is not None else country_name
    if label and label not in entry["used_in"]:
        entry["used_in"].append(label)


def _chapter(code: str, name: str, version: AdvisoryVersion | None, keys: list[str]) -> Chapter:
    if version is None:
        return Chapter(code, name, None, None, None, "", ())
    advisory = version.content.get("advisory") or {}
    matched = country_sections(code=code, name=name, version=version, keys=keys)
    return Chapter(
        country=code,
        country_name=name,
        version=version.number,
        published_on=version.published_at.date() if version.published_at else None,
        level=advisory.get("level", version.level),
        summary=advisory.get("summary", ""),
        topics=matched.topics,
    )


# --- lists ---------------------------------------------------------------------------------


def briefings_for_trip(*, trip: Trip) -> QuerySet[Briefing]:
    return (
        Briefing.objects.filter(trip=trip)
        .select_related("acknowledgement")
        .order_by("-version", "-id")
    )


def briefings_failed() -> QuerySet[Briefing]:
    """Current briefings whose render failed, for trips still going ahead: the managers' list,
    soonest departure first, in one query."""
    return (
        Briefing.objects.current()
        .filter(status=BriefingStatus.FAILED)
        .exclude(trip__status__in=[TripStatus.CANCELLED, TripStatus.COMPLETED])
        .select_related("trip__traveller")
        .order_by("trip__first_arrival", "trip_id")
    )


def briefing_latest_ready(*, trip: Trip) -> Briefing | None:
    return (
        Briefing.objects.current()
        .filter(trip=trip, status=BriefingStatus.READY)
        .select_related("acknowledgement")
        .first()
    )


def trips_needing_acknowledgement(*, today: dt.date, within_days: int) -> QuerySet[Trip]:
    """Approved trips departing from today to today + within_days whose current briefing is
    not acknowledged yet."""
    return (
        Trip.objects.filter(
            status=TripStatus.APPROVED,
            first_arrival__gte=today,
            first_arrival__lte=today + dt.timedelta(days=within_days),
            briefings__superseded=False,
            briefings__acknowledgement__isnull=True,
        )
        .select_related("traveller")
        .distinct()
        .order_by("first_arrival", "id")
    )


# --- the dashboard ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TripNeeds:
    """One upcoming trip on someone's dashboard and what it still needs."""

    trip: Trip
    countries: list[str]
    needs: list[dict[str, str]]
    open_count: int
    next_open: RequirementRow | None
    for_someone_else: bool


def upcoming_trips_with_needs(*, user: User, today: dt.date) -> list[TripNeeds]:
    """The upcoming trips a user files (their own, or as arranger) with what each still
    needs, soonest first; a fixed number of queries whatever the number of trips."""
    trips = (
        Trip.objects.editable_by(user)
        .upcoming(today)
        .select_related("traveller")
        .prefetch_related(
            stops_with_places(),
            Prefetch(
                "briefings",
                queryset=Briefing.objects.current().select_related("acknowledgement"),
                to_attr="current_briefings",
            ),
            Prefetch(
                "assessments",
                queryset=Assessment.objects.order_by("-created_at", "-id"),
                to_attr="latest_assessments",
            ),
            "requirement_ticks",
            transitions_prefetch(),
        )
        .order_by("first_arrival", "id")
    )
    rows = []
    for trip in trips:
        requirements = _trip_requirements(trip, today)
        still_open = open_rows(requirements)
        rows.append(
            TripNeeds(
                trip=trip,
                countries=list(
                    dict.fromkeys(country_name(stop.country_id) for stop in trip.stops.all())
                ),
                needs=_trip_needs(trip, today, user, requirements),
                open_count=len(still_open),
                next_open=still_open[0] if still_open else None,
                for_someone_else=trip.traveller_id != user.pk,
            )
        )
    return rows


def _prefetched(obj: Model, to_attr: str) -> list[Any]:
    """The list a Prefetch(to_attr=...) left on `obj` (upcoming_trips_with_needs): the stubs
    cannot know an attribute named at run time."""
    found: list[Any] = getattr(obj, to_attr)
    return found


def _trip_needs(
    trip: Trip, today: dt.date, user: User, requirements: list[RequirementRow]
) -> list[dict[str, str]]:
    """What this trip still needs, in plain words, for whoever is looking: only the traveller
    can acknowledge their briefing, so their arranger is told whom it waits for."""
    needs: list[dict[str, str]] = []
    if trip.status == TripStatus.DRAFT:
        needs.append({"kind": "draft", "text": "Finish and submit the itinerary"})
    elif trip.status in (TripStatus.PENDING_APPROVAL, TripStatus.REJECTED):
        note = trip_status_note(trip=trip, with_changes=False)
        if note is not None and note.kind == "rejected":
            why = f": {note.reason.rstrip('.')}" if note.reason else ""
            text = f"Rejected{why}. Amend the trip or cancel it"
            needs.append({"kind": "rejected", "text": text})
        elif note is not None:
            needs.append({"kind": "approval", "text": note.headline})
        elif trip.status == TripStatus.REJECTED:
            needs.append({"kind": "rejected", "text": "Rejected: amend the trip or cancel it"})
        else:
            needs.append({"kind": "approval", "text": "Awaiting a security manager's approval"})
    current_briefings: list[Briefing] = _prefetched(trip, "current_briefings")
    briefing = current_briefings[0] if current_briefings else None
    # Only an approved trip's briefing is acknowledged: one of a trip sent back for a decision
    # no longer matches it (a new one follows the decision).
    if trip.status == TripStatus.APPROVED:
        if briefing is not None and briefing.status == BriefingStatus.READY:
            if getattr(briefing, "acknowledgement", None) is None:
                if trip.traveller_id == user.pk:
                    needs.append({"kind": "briefing", "text": "Read and acknowledge your briefing"})
                else:
                    traveller = trip.traveller.get_full_name() or trip.traveller.username
                    text = f"Waiting for {traveller} to acknowledge the briefing"
                    needs.append({"kind": "waiting", "text": text})
        elif briefing is not None and briefing.status == BriefingStatus.FAILED:
            needs.append(
                {
                    "kind": "failed",
                    "text": "The briefing could not be prepared; the security team has been told",
                }
            )
        else:
            needs.append({"kind": "waiting", "text": "Briefing being prepared"})
    if trip.status != TripStatus.CANCELLED:
        for row in requirements:
            if row.due_soon and row.due is not None:
                late = "overdue since" if row.overdue else "due"
                text = f"{row.title} ({late} {day_text(row.due)})"
                needs.append({"kind": "overdue" if row.overdue else "requirement", "text": text})
    return needs


def _trip_requirements(trip: Trip, today: dt.date) -> list[RequirementRow]:
    latest_assessments: list[Assessment] = _prefetched(trip, "latest_assessments")
    assessment = latest_assessments[0] if latest_assessments else None
    if assessment is None:
        return []
    return requirement_rows(
        requirements=assessment.requirements or [],
        ticks=trip.requirement_ticks.all(),
        today=today,
    )
