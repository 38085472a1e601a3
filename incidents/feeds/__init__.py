"""Incidents from public hazard feeds (product.md, "Incidents from public feeds"; contracts.md,
``import_incidents``): one parser per format, pure (bytes in, ``FeedItem`` out, no database, no
network), the HTTP fetcher the poll and the command share (``fetch``), and the services that
turn items into incidents (``services``).

Every item carries the feed's own event id as ``source`` and ``external_id``, so reading a feed
twice changes nothing and a corrected item updates its incident
(incidents.services.incident_declare updates by source and external id)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.lib.vocabulary import Topic
from incidents.models import RADIUS_MAX_KM, RADIUS_MIN_KM, Severity
from incidents.services import IncidentInput

# Feed incidents are natural hazards (earthquakes, floods, cyclones, storms).
CATEGORY = Topic.NATURAL_HAZARDS.value


class FeedError(ValueError):
    """The document is not what its format says (not JSON, not XML, no alert in it)."""


@dataclass
class FeedItem:
    """One event of a feed, as the incident it becomes.

    ``references``: for a CAP Update or Cancel, the external ids of the earlier messages it
    refers to (newest last); the incident of the first one found is the one changed.
    ``cancel``: a CAP Cancel closes the incident it references. ``skipped``: why an event is
    not an incident (an exercise, no area), said by the command and kept off the database."""

    incident: IncidentInput
    references: list[str] = field(default_factory=list)
    cancel: bool = False
    skipped: str = ""

    @property
    def external_id(self) -> str:
        return self.incident.external_id


def earthquake_radius_km(magnitude: float | None) -> float:
    """The area an earthquake touches when the feed gives none (contracts.md): 50 km below
    magnitude 6, 100 km from 6 to 6.9, 200 km from 7."""
    if magnitude is not None and magnitude >= 7:
        return 200.0
    if magnitude is not None and magnitude >= 6:
        return 100.0
    return 50.0


def radius_in_range(radius_km: float) -> float:
    """A feed's radius within what an incident may carry (a 200 m circle is 1 km)."""
    return float(min(max(radius_km, RADIUS_MIN_KM), RADIUS_MAX_KM))


def severity_at_least(severity: str, minimum: str) -> bool:
    order = Severity.values
    return order.index(severity) >= order.index(minimum)
