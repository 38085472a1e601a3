"""What publishing a country's draft would do to each upcoming trip there, for the editor to
read before publishing (the admin's publish step asks through advisories.signals.
content_impact): the same engine over the draft standing in for the published version, and
the same comparison of what each trip's briefing would say (briefings.inputs) that the
publication's re-assessment makes (trips.services.trip_reassess, briefings.services.
briefing_recheck). Nothing is written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from advisories.models import AdvisoryVersion, Country
from briefings.inputs import briefing_inputs, inputs_changes, inputs_digest, trip_nationality
from briefings.models import Briefing
from briefings.services import STANDING, briefing_digest
from trips import engine
from trips.models import Decision, Trip, TripStatus
from trips.selectors import (
    PublishedContent,
    other_stays,
    policy_for_engine,
    stops_with_places,
    trip_engine_stops,
    trip_traveller,
)
from trips.services import assessment_unsaved, trips_touching

REBRIEF, DECISION, CHECKED = "rebrief", "decision", "checked"
BRIEFED = {TripStatus.APPROVED, TripStatus.CLEARED}


@dataclass(frozen=True)
class TripImpact:
    """One upcoming trip and what the publication would do to it."""

    trip: int
    traveller: str
    purpose: str
    status: str
    first_arrival: dt.date | None
    last_departure: dt.date | None
    outcome: str  # REBRIEF, DECISION or CHECKED
    why: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "trip": self.trip,
            "traveller": self.traveller,
            "purpose": self.purpose,
            "status": self.status,
            "first_arrival": self.first_arrival,
            "last_departure": self.last_departure,
            "outcome": self.outcome,
            "why": list(self.why),
        }


def content_change_impact(
    *, country_code: str, snapshot: dict[str, Any], today: dt.date
) -> list[TripImpact]:
    """Each upcoming trip touching `country_code` (soonest first) and what publishing
    `snapshot` as the country's next version would do to it. The content is loaded once; each
    trip costs the traveller's profile and, for a stay limit, their other stays."""
    code = country_code.upper()
    trips = list(
        trips_touching(code, today=today)
        .select_related("traveller__profile")
        .prefetch_related(
            stops_with_places(),
            Prefetch(
                "briefings",
                queryset=Briefing.objects.current().select_related("assessment"),
                to_attr="current_briefings",
            ),
            Prefetch(
                "decisions",
                queryset=Decision.objects.filter(outcome=Decision.Outcome.APPROVE),
                to_attr="approvals",
            ),
        )
        .order_by("first_arrival", "pk")
    )
    codes = {code} | {stop.country_id for trip in trips for stop in trip.stops.all()}
    content = PublishedContent(codes, drafts={code: snapshot})
    versions = _versions(codes, code=code, snapshot=snapshot)
    policy = policy_for_engine()
    return [
        _impact(trip, content=content, versions=versions, policy=policy, today=today)
        for trip in trips
    ]


def _versions(
    codes: set[str], *, code: str, snapshot: dict[str, Any]
) -> dict[str, AdvisoryVersion]:
    """The published versions of the trips' countries, the draft standing in for `code`'s."""
    versions: dict[str, AdvisoryVersion] = {}
    for country in Country.objects.filter(code__in=codes).select_related("published"):
        if country.code == code:
            published = country.published
            versions[code] = AdvisoryVersion(
                country=country,
                number=(published.number if published else 0) + 1,
                level=(snapshot.get("advisory") or {}).get("level") or 0,
                content=snapshot,
            )
        elif country.published is not None:
            versions[country.code] = country.published
    return versions


def _impact(
    trip: Trip,
    *,
    content: PublishedContent,
    versions: dict[str, AdvisoryVersion],
    policy: engine.Policy,
    today: dt.date,
) -> TripImpact:
    stops = list(trip.stops.all())
    result = engine.assess(
        stops=trip_engine_stops(stops, content),
        traveller=trip_traveller(trip),
        content=content.content,
        policy=policy,
        today=today,
        other_stays=other_stays(trip, stops, content.content),
    )
    approvals = [
        d for d in getattr(trip, "approvals", []) if d.approval_round == trip.approval_round
    ]
    decided = not result.requires_approval or len(approvals) >= result.approvals_needed
    outcome, why = CHECKED, ["It is re-assessed; it awaits a decision, then its briefing."]
    if trip.status in BRIEFED and not decided:
        outcome, why = DECISION, list(result.approval_reasons)
    elif trip.status == TripStatus.PENDING_APPROVAL and decided:
        outcome, why = REBRIEF, ["No decision is needed any more: approved and briefed."]
    elif trip.status in BRIEFED:
        outcome, why = _briefing_outcome(trip, result=result, stops=stops, versions=versions)
    name = trip.traveller.get_full_name() or trip.traveller.username
    return TripImpact(
        trip=trip.pk,
        traveller=name,
        purpose=trip.purpose,
        status=trip.get_status_display(),
        first_arrival=trip.first_arrival,
        last_departure=trip.last_departure,
        outcome=outcome,
        why=tuple(why),
    )


def _briefing_outcome(
    trip: Trip,
    *,
    result: engine.Assessment,
    stops: list[Any],
    versions: dict[str, AdvisoryVersion],
) -> tuple[str, list[str]]:
    current_briefings: list[Briefing] = getattr(trip, "current_briefings", [])
    current = current_briefings[0] if current_briefings else None
    inputs = briefing_inputs(
        assessment=assessment_unsaved(trip=trip, result=result),
        stops=stops,
        nationality=trip_nationality(trip),
        versions={code: versions[code] for code in result.content_versions if code in versions},
    )
    if current is None or current.status not in STANDING:
        return REBRIEF, ["It has no briefing to keep yet."]
    if briefing_digest(current, trip=trip) == inputs_digest(inputs):
        return CHECKED, ["Its briefing says the same: it stands."]
    changes = inputs_changes(current.inputs, inputs) if current.inputs else []
    return REBRIEF, changes or ["What its briefing says changed."]
