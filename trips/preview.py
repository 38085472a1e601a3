"""What a trip would need before it is submitted: the engine run over an itinerary (a draft's
stops, or what the form holds so far) without storing anything. Submitting runs the same
engine and stores its result, so the preview and the stored assessment agree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User

from trips import selectors, services
from trips.models import Stop, Trip
from trips.requirements import (
    IncidentRow,
    RequirementRow,
    incident_json,
    incident_rows,
    requirement_json,
    requirement_rows,
    with_ids,
)


@dataclass(frozen=True)
class Preview:
    risk_level: int | None
    known_level: int | None
    requires_approval: bool
    approval_reasons: tuple[str, ...]
    explanation: tuple[str, ...]
    requirements: list[RequirementRow]
    # The open warning and critical incidents where it goes, as the assessment would list them.
    incidents: list[IncidentRow]

    def as_json(self) -> dict[str, Any]:
        return {
            "preview": True,
            "risk_level": self.risk_level,
            "known_level": self.known_level,
            "requires_approval": self.requires_approval,
            "approval_reasons": list(self.approval_reasons),
            "explanation": list(self.explanation),
            "requirements": [row.as_json() for row in self.requirements],
            "incidents": [
                {**row.as_json(), "severity_label": row.severity_label} for row in self.incidents
            ],
        }


def _preview(trip: Trip, stops: list[Stop] | None, today: dt.date | None) -> Preview:
    result = selectors.trip_assess(trip, stops)
    stored = with_ids([requirement_json(r) for r in result.requirements])
    return Preview(
        risk_level=result.risk_level,
        known_level=getattr(result, "known_level", None),
        requires_approval=result.requires_approval,
        approval_reasons=tuple(result.approval_reasons),
        explanation=tuple(result.explanation),
        requirements=requirement_rows(requirements=stored, today=today),
        incidents=incident_rows(incident_json(i) for i in result.incidents),
    )


def trip_preview(*, by: User, data: services.TripInput, traveller: User | None = None) -> Preview:
    """The assessment `data` would get if filed and submitted by `by` for `traveller`: the
    same checks as trip_create (ItineraryInvalid), then the engine, and nothing stored."""
    traveller = traveller or by
    if not services.may_file_for(by, traveller):
        raise services.ItineraryInvalid({"traveller": [services.NOT_YOUR_TRAVELLER]})
    services.itinerary_validate(data)
    trip = Trip(traveller=traveller, created_by=by)
    services.trip_input_apply(trip, data)
    stops = [
        Stop(
            position=index,
            country_id=stop.country.upper(),
            place_text=stop.place.strip(),
            arrival=stop.arrival,
            departure=stop.departure,
            activities=list(stop.activities),
            transit=stop.transit,
        )
        for index, stop in enumerate(sorted(data.stops, key=lambda s: (s.arrival, s.departure)))
    ]
    return _preview(trip, stops, None)


def draft_preview(*, trip: Trip) -> Preview | None:
    """A draft's assessment as it stands (None for a draft without stops)."""
    if not trip.stops.exists():
        return None
    return _preview(trip, None, None)
