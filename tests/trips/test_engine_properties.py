"""Properties of the rules engine that must hold for every itinerary and catalogue, checked with
hypothesis over generated content (rules of every kind, places, sections) and itineraries.

The table-driven tests (test_engine.py) pin each rule's semantics on chosen cases; these look
for the case nobody chose: a due date after the traveller has left, before the lead time, an
answer that depends on the order the stops were typed in, a level below one of its reasons.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import os
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trips import engine

COUNTRIES = ("KZ", "MN", "UZ")
ACTIVITIES = ("driving", "nightlife", "drone")
START = dt.date(2027, 1, 4)
RULE_FIELDS = {f.name for f in dataclasses.fields(engine.Rule)}
ASSESS_PARAMETERS = set(inspect.signature(engine.assess).parameters)

# 60 examples per property in the suite; PROPERTY_EXAMPLES=1000 to look harder.
PROPERTIES = settings(
    max_examples=int(os.environ.get("PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _rule(**fields) -> engine.Rule:
    # Fields the engine does not have (yet) are left out, so the properties run against the
    # engine as it is; lead_days is generated only when rules carry it.
    return engine.Rule(**{name: value for name, value in fields.items() if name in RULE_FIELDS})


@st.composite
def places(draw, country: str) -> tuple[engine.PlaceRef, ...]:
    count = draw(st.integers(min_value=0, max_value=3))
    return tuple(
        engine.PlaceRef(
            name=f"{country} place {n}",
            country=country,
            kind=draw(st.sampled_from(("city", "region", "closed_area"))),
            level=draw(st.none() | st.integers(min_value=1, max_value=5)),
        )
        for n in range(count)
    )


@st.composite
def rules(draw, country: str, place_names: list[str]) -> tuple[engine.Rule, ...]:
    kinds = draw(
        st.lists(
            st.sampled_from(
                (
                    "registration",
                    "re_registration",
                    "visa_free",
                    "transit",
                    "permit",
                    "document",
                    "activity",
                    "stay_limit",
                )
            ),
            max_size=5,
        )
    )
    made = []
    for n, kind in enumerate(kinds):
        made.append(
            _rule(
                key=f"{country.lower()}-{kind}-{n}",
                kind=kind,
                country=country,
                title=f"{kind} in {country}",
                threshold_days=draw(st.none() | st.integers(min_value=0, max_value=10)),
                deadline_days=draw(st.integers(min_value=1, max_value=10)),
                deadline_unit=draw(st.sampled_from(("calendar", "working"))),
                nationalities=frozenset(draw(st.lists(st.sampled_from(("GB", "US", "FR"))))),
                max_days=draw(st.none() | st.integers(min_value=1, max_value=30)),
                places=frozenset(draw(st.lists(st.sampled_from(place_names or ["-"])))),
                activities=frozenset(draw(st.lists(st.sampled_from(ACTIVITIES), max_size=2))),
                lead_days=draw(st.integers(min_value=0, max_value=40)),
                window_days=draw(st.integers(min_value=5, max_value=60)),
            )
        )
    return tuple(made)


@st.composite
def catalogues(draw) -> engine.Content:
    advisories: dict[str, engine.Advisory] = {}
    all_rules: dict[str, tuple[engine.Rule, ...]] = {}
    all_places: dict[str, tuple[engine.PlaceRef, ...]] = {}
    for code in COUNTRIES:
        country_places = draw(places(code))
        names = [place.name for place in country_places]
        if draw(st.booleans()) or code == "KZ":
            sections = tuple(
                engine.Section(
                    key=f"{code}-s{n}",
                    country=code,
                    topic="crime",
                    heading=f"Heading {n}",
                    level=draw(st.none() | st.integers(min_value=1, max_value=5)),
                    places=frozenset(draw(st.lists(st.sampled_from(names or ["-"]), max_size=1))),
                    activities=frozenset(draw(st.lists(st.sampled_from(ACTIVITIES), max_size=1))),
                    months=frozenset(
                        draw(st.lists(st.integers(min_value=1, max_value=12), max_size=2))
                    ),
                )
                for n in range(draw(st.integers(min_value=0, max_value=3)))
            )
            advisories[code] = engine.Advisory(
                country=code,
                country_name=f"Country {code}",
                level=draw(st.integers(min_value=1, max_value=5)),
                version=1,
                sections=sections,
            )
            all_places[code] = country_places
        all_rules[code] = draw(rules(code, names))
    return engine.Content(advisories=advisories, rules=all_rules, places=all_places)


@st.composite
def itineraries(draw, content: engine.Content) -> list[engine.Stop]:
    """Stops in travel order: each arrives on or after the previous departure (a shared travel
    day or a gap), as trip validation requires."""
    stops = []
    day = START + dt.timedelta(days=draw(st.integers(min_value=0, max_value=300)))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        code = draw(st.sampled_from(COUNTRIES))
        known = list(content.places.get(code, ()))
        place = draw(st.none() | st.sampled_from(known)) if known else None
        length = draw(st.integers(min_value=0, max_value=20))
        stops.append(
            engine.Stop(
                country=code,
                arrival=day,
                departure=day + dt.timedelta(days=length),
                place=place,
                place_text="" if place else draw(st.sampled_from(("", "Somewhere new"))),
                activities=frozenset(draw(st.lists(st.sampled_from(ACTIVITIES), max_size=2))),
                transit=draw(st.booleans()),
            )
        )
        day += dt.timedelta(days=length + draw(st.integers(min_value=0, max_value=3)))
    return stops


travellers = st.builds(
    engine.Traveller,
    nationality=st.sampled_from((None, "GB", "US", "FR", "KZ")),
    passport_type=st.sampled_from(("ordinary", "diplomatic", "service")),
    visa_category=st.sampled_from(("", "official")),
    date_of_birth=st.none() | st.dates(dt.date(1950, 1, 1), dt.date(2020, 1, 1)),
)


@st.composite
def other_stays(draw) -> tuple:
    """The traveller's stays on their other trips going ahead (what a stay_limit counts)."""
    if not hasattr(engine, "OtherStay"):
        return ()
    stays = []
    for n in range(draw(st.integers(min_value=0, max_value=3))):
        arrival = START + dt.timedelta(days=draw(st.integers(min_value=-60, max_value=360)))
        length = dt.timedelta(days=draw(st.integers(min_value=0, max_value=40)))
        country = draw(st.sampled_from(COUNTRIES))
        stays.append(engine.OtherStay(100 + n, country, arrival, arrival + length))
    return tuple(stays)


@st.composite
def trips(draw):
    content = draw(catalogues())
    return content, draw(itineraries(content)), draw(travellers), draw(other_stays())


def assess(stops, traveller, content, stays=()) -> engine.Assessment:
    extra: dict = {}
    if "today" in ASSESS_PARAMETERS:
        extra["today"] = START - dt.timedelta(days=400)
    if "other_stays" in ASSESS_PARAMETERS:
        extra["other_stays"] = stays
    return engine.assess(stops=stops, traveller=traveller, content=content, **extra)


def _lead_days(content: engine.Content, requirement: engine.Requirement) -> int:
    for rule in content.rules.get(requirement.country, ()):
        if rule.key == requirement.rule:
            return getattr(rule, "lead_days", 0) or 0
    return 0


@PROPERTIES
@given(trips())
def test_no_requirement_is_due_after_the_traveller_has_left_the_visit(trip):
    content, stops, traveller, stays = trip
    result = assess(stops, traveller, content, stays)
    visits = engine.country_visits(stops)
    for requirement in result.requirements:
        if requirement.due_date is None:
            continue
        in_country = [s.departure for s in stops if s.country == requirement.country]
        assert requirement.due_date <= max(in_country), requirement
        if requirement.stop_index is not None:
            visit = next(v for v in visits if requirement.stop_index in v.stop_indexes)
            assert requirement.due_date <= visit.last_departure, requirement


@PROPERTIES
@given(trips())
def test_no_requirement_is_due_before_the_trips_lead_time(trip):
    content, stops, traveller, stays = trip
    result = assess(stops, traveller, content, stays)
    first_arrival = min(stop.arrival for stop in stops)
    for requirement in result.requirements:
        if requirement.due_date is None:
            continue
        earliest = first_arrival - dt.timedelta(days=_lead_days(content, requirement))
        assert requirement.due_date >= earliest, requirement


def _comparable(result: engine.Assessment, stops: list[engine.Stop]) -> dict:
    """The assessment without the positions of the stops in the input (they change when the
    input is reordered): what a person reads."""
    return {
        "risk_level": result.risk_level,
        "known_level": result.known_level,
        "requires_approval": result.requires_approval,
        "approvals_needed": result.approvals_needed,
        "approval_reasons": Counter(result.approval_reasons),
        "requirements": Counter(
            (r.kind, r.title, r.detail, r.due_date, r.country, r.place, r.rule)
            for r in result.requirements
        ),
        "sections": Counter(
            (s.country, s.place, s.key, s.level, stops[s.stop_index]) for s in result.sections
        ),
        "explanation": Counter(result.explanation),
    }


@PROPERTIES
@given(trips(), st.randoms(use_true_random=False))
def test_the_assessment_does_not_depend_on_the_order_the_stops_were_given(trip, random):
    content, stops, traveller, stays = trip
    shuffled = list(stops)
    random.shuffle(shuffled)
    in_order = assess(stops, traveller, content, stays)
    reordered = assess(shuffled, traveller, content, stays)
    assert _comparable(reordered, shuffled) == _comparable(in_order, stops)


@PROPERTIES
@given(trips())
def test_the_level_is_never_below_a_matched_contribution(trip):
    content, stops, traveller, stays = trip
    result = assess(stops, traveller, content, stays)
    level = result.risk_level if result.risk_level is not None else result.known_level
    contributions = [s.level for s in result.sections if s.level is not None]
    for stop in stops:
        advisory = content.advisories.get(stop.country)
        if advisory is None:
            continue
        place_level = stop.place.level if stop.place else None
        contributions.append(place_level if place_level is not None else advisory.level)
    if contributions:
        assert level is not None
        assert level >= max(contributions)
    if result.risk_level is not None:
        assert all(stop.country in content.advisories for stop in stops)
