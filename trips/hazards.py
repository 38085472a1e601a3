"""The one hook through which the trips app learns which open incidents touch a trip's stops.

Incidents live in an app above trips (portal <- advisories <- trips <- incidents <- briefings),
so trips must not import it. Yet every assessment includes the open warning and critical
incidents where the trip goes (product.md, "Assessment"). The incidents app registers, once,
in its ``AppConfig.ready()``, the provider that answers "what open incidents touch these
stops"; ``trips.selectors.trip_assess`` asks it and hands the answer to the pure engine.

A provider takes the stops in the order the engine is given them (saved stops, or a preview's
unsaved ones) and the day of the assessment, and returns ``engine.Hazard`` facts: each open
incident in a country of the trip, with the stops in its area and how each is touched. It must
run a fixed number of queries whatever the number of incidents (assessing is counted in
tests/trips/test_assessment_queries.py). With no provider registered (the incidents app not
installed), trips are assessed without incidents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from trips import engine

if TYPE_CHECKING:
    from trips.models import Stop

HazardProvider = Callable[[Sequence["Stop"], dt.date], Sequence[engine.Hazard]]

_provider: HazardProvider | None = None


def hazard_provider_register(provider: HazardProvider) -> None:
    """Register the provider of open incidents (the incidents app does, in its ready()).
    Registering again replaces it: ready() may run twice in tests."""
    global _provider
    _provider = provider


def hazards_for(stops: Sequence[Stop], *, today: dt.date) -> tuple[engine.Hazard, ...]:
    """The open incidents touching these stops, as engine facts (none without a provider)."""
    if _provider is None or not stops:
        return ()
    return tuple(_provider(stops, today))
