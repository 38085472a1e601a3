"""The matching engine: an itinerary and curated content in, an explainable assessment out.

Pure on purpose: plain dataclasses, the standard library and the framework-free date helpers of
``core.lib.dates``; no Django, no ORM. A selector loads the published content into
``Content`` once per assessment and a service stores the ``Assessment``.

The semantics are the contract of ``product.md`` ("Assessment: the matching engine", "Rule
semantics", "Approval policy"). Nothing about any real country belongs here: rules are data.

Decisions where ``product.md`` is silent (tests hold them too):

- Stops are judged in (arrival, departure) order, stops of the same dates by what they are
  (country, place, transit, activities), never by the order given; ``stop_index`` fields
  refer to the position of the stop in the sequence given to ``assess`` / ``country_visits``.
- A rule with ``nationalities`` applies only to those nationalities (for ``visa_free`` the list
  means "may enter without a visa"). An unknown nationality is never assumed to be on a list:
  nationality-filtered rules apply to it, and it is never visa-free.
- An exemption relieves a traveller of what a rule asks; it never withdraws a relief. An
  exempt traveller gets no ``document`` requirement from a ``transit`` rule, but the transit
  relief (no visa, no registration) still holds.
- ``threshold_days`` of None means every stay counts; ``max_days`` of None means no limit.
- At most one ``visa`` requirement per country visit: the first in-force rule that calls for one.
- Own nationals get no permit requirement, not even the generic one for a closed area.
- Requirements bound to a stop (registration, re-registration, permit, activity) name its place;
  country-wide ones (visa, document) name none.
- Requirements of the same due date and stop follow the order of ``REQUIREMENT_KINDS``.
- A risk level at or above the dual-approval level is an approval reason of its own, so a
  policy whose threshold lies above it still asks for the two approvals.
- Places (``core.lib.places``): between names of the same length a place's own name wins
  over another's alias, then the one typed first. A stop whose place matched nothing is said
  in ``explanation`` with the country's curated places (closed areas first) only when the
  country has a published advisory (otherwise its own "risk unknown" line says more); the
  approval reason for it follows the policy's ``closed_area_needs_approval``.
- Due dates: ``lead_days`` replaces the kind's own due date (even a registration's), counted
  in calendar days back from the trip's first arrival, not the country visit's; the due date
  stays the true one when it is already past ("apply now" is said, the date is not moved to
  today). 0 means "on the first arrival, before leaving home". A visa or permit without a
  lead time is due on the trip's first arrival too (a later visit's is applied for at home,
  and its detail says so). Bringing a deadline forward to
  the visit's last day applies to every kind but ``stay_limit``, whose due date is the first
  day over the limit wherever it falls. A working-day deadline names only the holidays that
  fall on weekdays (weekends are skipped anyway), a holiday's consecutive days once; a country
  the ``holidays`` library does not know has weekdays only.
- ``stay_limit``: a day is in the country when a stop there covers it (transit stops and
  travel days included); this trip's days are all its stops in the country, not only the
  visit's. The count is judged at each window's last day; the requirement reports the fullest
  window (its count and the trips with days in it, in date order) and is due on the first
  day over. A window that contains a day of this visit but is filled by a later trip still
  gives this trip the requirement (the other trip is named), so whichever trip is filed last
  is told. Two visits of one trip that see the same day over give one requirement.
- Incidents (``Hazard``): the engine does not match places or know what "open" is; it is told
  which stops lie in an incident's area and how (``place``, ``country``, ``possibly``), and
  keeps those whose dates meet the incident's window: from ``starts_on`` on with no end while
  it has no ``ends_on`` (it goes on until it is closed), else to ``ends_on`` plus the
  lookahead (clamped to the last date there is). ``info`` incidents are not part of an
  assessment. A ``critical`` one is a contribution of level 4 (so an unknown risk is "at least
  4" too) and an approval reason of its own, whatever the policy's threshold; a ``warning``
  one is said in the explanation and changes nothing else.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from core.lib.dates import (
    MONTH_NAMES,
    WorkingCalendar,
    WorkingDeadline,
    add_calendar_days,
    age_on,
    day_month,
    holidays_in_words,
    months_in_words,
    months_overlapped,
    working_deadline,
)
from core.lib.vocabulary import DeadlineUnit, PlaceKind, RequirementKind, RuleKind

RULE_KINDS = RuleKind.codes()
REQUIREMENT_KINDS = RequirementKind.codes()
PLACE_KINDS = PlaceKind.codes()
DEADLINE_UNITS = DeadlineUnit.codes()

ONE_DAY = timedelta(days=1)


# --- Content: what the selector loads once per assessment ------------------------------------


@dataclass(frozen=True)
class SourceRef:
    key: str
    publisher: str
    title: str
    url: str
    retrieved: date | None


@dataclass(frozen=True)
class Exemptions:
    passport_types: frozenset[str] = frozenset()
    visa_categories: frozenset[str] = frozenset()
    under_age: int | None = None


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    country: str
    title: str = ""
    detail: str = ""
    threshold_days: int | None = None
    deadline_days: int | None = None
    deadline_unit: str = "calendar"
    nationalities: frozenset[str] = frozenset()
    max_days: int | None = None
    window_days: int | None = None  # stay_limit: the rolling period
    lead_days: int | None = None  # due this many days before the trip's first arrival
    places: frozenset[str] = frozenset()
    activities: frozenset[str] = frozenset()
    exemptions: Exemptions = Exemptions()
    valid_from: date | None = None
    valid_until: date | None = None
    authority: str = ""
    citation: str = ""
    source: SourceRef | None = None


@dataclass(frozen=True)
class PlaceRef:
    name: str
    country: str
    kind: str = "city"  # one of PLACE_KINDS
    level: int | None = None


@dataclass(frozen=True)
class Section:
    key: str
    country: str
    topic: str
    heading: str
    level: int | None = None
    places: frozenset[str] = frozenset()
    activities: frozenset[str] = frozenset()
    months: frozenset[int] = frozenset()
    source: SourceRef | None = None


@dataclass(frozen=True)
class Advisory:
    country: str
    country_name: str
    level: int
    version: int
    sections: tuple[Section, ...] = ()


@dataclass(frozen=True)
class Content:
    # By country code; a country missing here has NO published advisory.
    advisories: dict[str, Advisory]
    rules: dict[str, tuple[Rule, ...]]
    country_names: dict[str, str] = field(default_factory=dict)
    # The curated places of each country with a published advisory, as published.
    places: dict[str, tuple[PlaceRef, ...]] = field(default_factory=dict)
    # Each country's working days: its public holidays corrected by the content's lists. A
    # country missing here has the holidays library's calendar uncorrected.
    calendars: dict[str, WorkingCalendar] = field(default_factory=dict)

    def calendar(self, code: str) -> WorkingCalendar:
        return self.calendars.get(code) or WorkingCalendar(country=code)

    def country_name(self, code: str) -> str:
        advisory = self.advisories.get(code)
        return self.country_names.get(code) or (advisory.country_name if advisory else "") or code


# --- The trip -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    country: str
    arrival: date
    departure: date
    place: PlaceRef | None = None  # the curated place, when the name or an alias matched one
    place_text: str = ""  # what the traveller typed, kept when no curated place matched
    activities: frozenset[str] = frozenset()
    transit: bool = False

    @property
    def place_name(self) -> str:
        """The place as a person reads it: the curated name, else the free text."""
        # The same precedence as trips.models.Stop.place_label (the engine stays ORM-free).
        return self.place.name if self.place else self.place_text


@dataclass(frozen=True)
class Traveller:
    nationality: str | None  # None: unknown
    passport_type: str = "ordinary"
    visa_category: str = ""
    date_of_birth: date | None = None


@dataclass(frozen=True)
class OtherStay:
    """A stay of the same traveller on another of their trips that is going ahead (not draft,
    cancelled or rejected): what a ``stay_limit`` counts besides this trip."""

    trip: int  # the other trip's number, as people read it ("trip #12")
    country: str
    arrival: date
    departure: date


# Incident severities, least severe first; only the last two are part of an assessment.
HAZARD_SEVERITIES = ("info", "warning", "critical")
ASSESSED_SEVERITIES = frozenset({"warning", "critical"})
# A critical incident raises the level to at least this.
CRITICAL_LEVEL = 4
# How an incident touches a stop, best first (incidents.selectors.stop_match).
HAZARD_MATCHES = ("place", "nearby", "country", "possibly")


@dataclass(frozen=True)
class HazardTouch:
    """A stop in an incident's area: its position in the sequence given to ``assess``, and how
    it is touched (``place``: a place the incident names; ``nearby``: within its radius;
    ``country``: the incident covers the
    whole country; ``possibly``: the stop's place is unknown or free text)."""

    stop_index: int
    match: str  # one of HAZARD_MATCHES


@dataclass(frozen=True)
class Hazard:
    """An open incident where the trip goes, as the incidents app tells the trips app through
    ``trips.hazards`` (the engine never matches places itself: impacted lists and assessments
    must agree on who is in an incident's area)."""

    id: int
    title: str
    severity: str  # one of HAZARD_SEVERITIES
    starts_on: date
    ends_on: date | None = None  # None: going on until it is closed
    lookahead_days: int = 0
    touches: tuple[HazardTouch, ...] = ()


@dataclass(frozen=True)
class Policy:
    threshold_level: int = 3
    closed_area_needs_approval: bool = True
    permit_needs_approval: bool = True
    unknown_risk_needs_approval: bool = True
    dual_approval_level: int = 5


@dataclass(frozen=True)
class CountryVisit:
    """A maximal run of consecutive stops in one country with no gap of a full day."""

    country: str
    stops: tuple[Stop, ...]
    # Positions of ``stops`` in the sequence given to ``country_visits``.
    stop_indexes: tuple[int, ...] = ()

    @property
    def first_arrival(self) -> date:
        return self.stops[0].arrival

    @property
    def last_departure(self) -> date:
        return max(stop.departure for stop in self.stops)

    @property
    def stay_days(self) -> int:
        # The arrival and departure days both count.
        return (self.last_departure - self.first_arrival).days + 1

    @property
    def is_transit_only(self) -> bool:
        return all(stop.transit for stop in self.stops)


# --- The assessment -------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    kind: str  # one of REQUIREMENT_KINDS
    title: str
    detail: str
    due_date: date | None
    country: str  # the country code
    place: str  # the place name, or ""
    rule: str | None  # the rule's key; None for the generic closed-area permit
    citation: str = ""
    source: SourceRef | None = None
    authority: str = ""
    # Position, in the sequence given to ``assess``, of the stop the requirement hangs on.
    stop_index: int | None = None


@dataclass(frozen=True)
class MatchedSection:
    stop_index: int
    country: str
    place: str
    key: str
    topic: str
    heading: str
    level: int | None


@dataclass(frozen=True)
class MatchedIncident:
    """An incident of the assessment: a ``warning`` or ``critical`` one whose window meets a
    stop in its area. ``match`` is the best of its stops' matches."""

    id: int
    title: str
    severity: str
    starts_on: date
    ends_on: date | None
    match: str
    stop_indexes: tuple[int, ...]
    # The touched stops' places as people read them (the country where a stop names none).
    where: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assessment:
    risk_level: int | None  # None: some stop's country has no published advisory
    requires_approval: bool
    approvals_needed: int
    approval_reasons: tuple[str, ...]
    requirements: tuple[Requirement, ...]
    sections: tuple[MatchedSection, ...]
    explanation: tuple[str, ...]
    content_versions: dict[str, int]
    # The highest level known, even when the risk is unknown: "unknown, but at least 4".
    known_level: int | None = None
    # The warning and critical incidents touching its stops, the most severe first.
    incidents: tuple[MatchedIncident, ...] = ()


# --- Itinerary ------------------------------------------------------------------------------


def ordered_stops(stops: Sequence[Stop]) -> list[tuple[int, Stop]]:
    """The stops with their positions, in trip order: by arrival, then departure.

    Stops of the same dates (several one-day stops on one day) have no order of their own: they
    are put in one by what they are (country, place, transit, activities), so the assessment
    never depends on the order they were typed in.
    """

    def key(item: tuple[int, Stop]) -> tuple[date, date, str, str, bool, tuple[str, ...]]:
        stop = item[1]
        return (
            stop.arrival,
            stop.departure,
            stop.country,
            stop.place_name,
            stop.transit,
            tuple(sorted(stop.activities)),
        )

    return sorted(enumerate(stops), key=key)


def country_visits(stops: Sequence[Stop]) -> list[CountryVisit]:
    """Group the trip's stops into country visits, in trip order.

    Consecutive stops in one country belong to the same visit when the next arrival is on or
    before the day after the previous departure: a night spent travelling inside the country is
    no exit from it.
    """
    visits: list[CountryVisit] = []
    for index, stop in ordered_stops(stops):
        current = visits[-1] if visits else None
        if (
            current is not None
            and current.country == stop.country
            and stop.arrival <= current.last_departure + ONE_DAY
        ):
            visits[-1] = CountryVisit(
                country=current.country,
                stops=(*current.stops, stop),
                stop_indexes=(*current.stop_indexes, index),
            )
        else:
            visits.append(CountryVisit(country=stop.country, stops=(stop,), stop_indexes=(index,)))
    return visits


def check_stops(stops: Sequence[Stop]) -> None:
    """Refuse what trip validation refuses long before a trip reaches the engine."""
    if not stops:
        raise ValueError("a trip needs at least one stop to be assessed")
    for stop in stops:
        if stop.departure < stop.arrival:
            raise ValueError(f"a stop in {stop.country} departs before it arrives")


# --- Which rules apply ----------------------------------------------------------------------


def rules_in_force(rules: Iterable[Rule], on: date) -> tuple[Rule, ...]:
    """The rules valid on ``on``; both ends of a validity period are inclusive."""
    return tuple(
        rule
        for rule in rules
        if (rule.valid_from is None or rule.valid_from <= on)
        and (rule.valid_until is None or on <= rule.valid_until)
    )


def is_exempt(rule: Rule, traveller: Traveller, on: date) -> bool:
    """Whether the traveller is exempt from the rule on ``on`` (the visit's first arrival)."""
    exemptions = rule.exemptions
    if traveller.passport_type in exemptions.passport_types:
        return True
    if traveller.visa_category and traveller.visa_category in exemptions.visa_categories:
        return True
    # An unknown (or impossible) date of birth proves no age: the traveller is not exempt.
    return (
        exemptions.under_age is not None
        and traveller.date_of_birth is not None
        and traveller.date_of_birth <= on
        and age_on(traveller.date_of_birth, on) < exemptions.under_age
    )


def concerns_nationality(rule: Rule, nationality: str | None) -> bool:
    """Whether a nationality-filtered rule concerns the traveller (not for ``visa_free``).

    An unknown nationality cannot be ruled out, so the rule is kept.
    """
    return not rule.nationalities or nationality is None or nationality in rule.nationalities


def obliges(rule: Rule, traveller: Traveller, on: date) -> bool:
    """Whether the rule's obligation falls on the traveller: concerned and not exempt."""
    return concerns_nationality(rule, traveller.nationality) and not is_exempt(rule, traveller, on)


def of_kind(rules: Iterable[Rule], kind: str) -> tuple[Rule, ...]:
    return tuple(rule for rule in rules if rule.kind == kind)


def due_date(
    start: date, deadline_days: int | None, unit: str, calendar: WorkingCalendar | None = None
) -> WorkingDeadline | None:
    """The last day to comply with "within ``deadline_days`` ``unit`` days" from ``start``,
    with the holidays that counting working days skipped."""
    if deadline_days is None:
        return None
    # A deadline of 0 days can only mean "on the day itself".
    days = max(deadline_days, 1)
    if unit == "working":
        return working_deadline(start, days, calendar or WorkingCalendar())
    return WorkingDeadline(day=add_calendar_days(start, days))


def skipped_in_words(deadline: WorkingDeadline | None) -> str:
    """The holidays a working-day deadline skipped, as a sentence to add to the detail."""
    if deadline is None or not deadline.skipped:
        return ""
    return f" Counting working days skips {holidays_in_words(deadline.skipped)}."


def with_note(detail: str, note: str) -> str:
    return f"{detail.rstrip()} {note.strip()}".strip()


def deadline_phrase(rule: Rule) -> str:
    if rule.deadline_days is None:
        return ""
    unit = "working" if rule.deadline_unit == "working" else "calendar"
    plural = "" if rule.deadline_days == 1 else "s"
    return f" within {rule.deadline_days} {unit} day{plural}"


# --- Requirements, one function per rule kind -----------------------------------------------


@dataclass(frozen=True)
class VisitContext:
    """What every rule of one country visit is judged against."""

    visit: CountryVisit
    rules: tuple[Rule, ...]  # in force on the first arrival; empty for own nationals
    traveller: Traveller
    country_name: str
    onward_country: str | None  # the country of the next stop, when it is another country
    trip_start: date  # the trip's first arrival: lead times count back from it
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)
    today: date | None = None  # the day of the assessment: a lead time already past says so
    # Every stop of the trip, and the traveller's stays on their other trips: a stay_limit
    # counts days across visits.
    trip_stops: tuple[Stop, ...] = ()
    other_stays: tuple[OtherStay, ...] = ()

    @property
    def on(self) -> date:
        return self.visit.first_arrival

    def stops(self) -> Iterable[tuple[int, Stop]]:
        return zip(self.visit.stop_indexes, self.visit.stops, strict=True)


def requirement(
    rule: Rule | None,
    *,
    kind: str,
    title: str,
    detail: str,
    due: date | None,
    country: str,
    place: str,
    stop_index: int,
) -> Requirement:
    return Requirement(
        kind=kind,
        title=title,
        detail=detail,
        due_date=due,
        country=country,
        place=place,
        rule=rule.key if rule else None,
        citation=rule.citation if rule else "",
        source=rule.source if rule else None,
        authority=rule.authority if rule else "",
        stop_index=stop_index,
    )


def transit_relief(context: VisitContext) -> Rule | None:
    """The transit rule that spares this visit a visa and registration, if any.

    Only a visit made of transit stops, short enough, and followed by a stop in another country
    qualifies; anything else is a normal stay.
    """
    if not context.visit.is_transit_only or context.onward_country is None:
        return None
    for rule in of_kind(context.rules, "transit"):
        within_limit = rule.max_days is None or context.visit.stay_days <= rule.max_days
        if within_limit and concerns_nationality(rule, context.traveller.nationality):
            return rule
    return None


def transit_requirements(context: VisitContext, rule: Rule) -> list[Requirement]:
    if is_exempt(rule, context.traveller, context.on):
        return []
    limit = f"up to {rule.max_days} days " if rule.max_days is not None else ""
    return [
        requirement(
            rule,
            kind="document",
            title=rule.title or "Onward visa and ticket for transit",
            detail=rule.detail
            or (
                f"Transit through {context.country_name} is allowed {limit}without a visa or "
                "registration when travelling on to another country: carry the onward ticket "
                "and any visa the next country requires."
            ),
            due=context.on,
            country=context.visit.country,
            place="",
            stop_index=context.visit.stop_indexes[0],
        )
    ]


def registration_requirements(context: VisitContext) -> list[Requirement]:
    visit = context.visit
    found = []
    for rule in of_kind(context.rules, "registration"):
        threshold = rule.threshold_days or 0
        if visit.stay_days <= threshold or not obliges(rule, context.traveller, context.on):
            continue
        first_stop = visit.stops[0]
        deadline = due_date(
            visit.first_arrival, rule.deadline_days, rule.deadline_unit, context.calendar
        )
        found.append(
            requirement(
                rule,
                kind="registration",
                title=rule.title or f"Register your stay in {context.country_name}",
                detail=(
                    rule.detail
                    or (
                        f"Stays longer than {threshold} days must be registered"
                        f"{deadline_phrase(rule)} of arrival; this stay is {visit.stay_days} "
                        "days."
                    )
                )
                + skipped_in_words(deadline),
                due=deadline.day if deadline else None,
                country=visit.country,
                place=first_stop.place_name,
                stop_index=visit.stop_indexes[0],
            )
        )
    return found


def moves(context: VisitContext) -> list[tuple[int, Stop]]:
    """The stops where the visit moves on to another known place.

    A stop's place is compared with the last known place before it: a free-text stop in
    between proves nothing either way, so Almaty, a friend's dacha, then Astana is one move
    (at Astana), and Almaty, the dacha, then Almaty again is none.
    """
    found = []
    last_known: PlaceRef | None = None
    for index, stop in context.stops():
        if stop.place is None:
            continue
        if last_known is not None and stop.place.name != last_known.name:
            found.append((index, stop))
        last_known = stop.place
    return found


def re_registration_requirements(context: VisitContext) -> list[Requirement]:
    found = []
    for rule in of_kind(context.rules, "re_registration"):
        if not obliges(rule, context.traveller, context.on):
            continue
        for index, stop in moves(context):
            deadline = due_date(
                stop.arrival, rule.deadline_days, rule.deadline_unit, context.calendar
            )
            found.append(
                requirement(
                    rule,
                    kind="re_registration",
                    title=rule.title or f"Register again in {stop.place_name}",
                    detail=(
                        rule.detail
                        or (
                            f"Moving to another place in {context.country_name} means "
                            f"registering again{deadline_phrase(rule)} of arriving at the new "
                            "place."
                        )
                    )
                    + skipped_in_words(deadline),
                    due=deadline.day if deadline else None,
                    country=context.visit.country,
                    place=stop.place_name,
                    stop_index=index,
                )
            )
    return found


def visa_requirements(context: VisitContext) -> list[Requirement]:
    """At most one ``visa`` requirement: the first in-force visa-free rule that calls for one.

    A country with no visa-free rule makes no claim either way.
    """
    visit, traveller = context.visit, context.traveller
    visa_free_rules = of_kind(context.rules, "visa_free")
    listed_under = [rule for rule in visa_free_rules if traveller.nationality in rule.nationalities]
    for rule in listed_under:
        over_limit = rule.max_days is not None and visit.stay_days > rule.max_days
        if over_limit and not is_exempt(rule, traveller, context.on):
            return [
                visa_requirement(
                    context,
                    rule,
                    f"{context.country_name} admits {traveller.nationality} passports without "
                    f"a visa for up to {rule.max_days} days; this stay is {visit.stay_days} days.",
                )
            ]
    if listed_under or not visa_free_rules:
        return []
    # Not on any list: a visa is needed, unless every visa-free rule exempts the traveller.
    for rule in visa_free_rules:
        if not is_exempt(rule, traveller, context.on):
            who = (
                f"{traveller.nationality} passports are"
                if traveller.nationality
                else "The traveller's nationality is unknown, so the passport is"
            )
            return [
                visa_requirement(
                    context,
                    rule,
                    f"{who} not on {context.country_name}'s visa-free list: "
                    "a visa is needed before travel.",
                )
            ]
    return []


def visa_requirement(context: VisitContext, rule: Rule, detail: str) -> Requirement:
    # The rule's own title names the visa-free scheme, not the visa that is missing.
    return requirement(
        rule,
        kind="visa",
        title=f"Visa required for {context.country_name}",
        detail=detail,
        due=context.on,
        country=context.visit.country,
        place="",
        stop_index=context.visit.stop_indexes[0],
    )


def permit_requirements(context: VisitContext, own_national: bool) -> list[Requirement]:
    """One permit per stop and per permit rule, for listed places and closed areas.

    A stop in a place that permit rules list is held to those rules only. A closed area that
    no rule lists is held to every permit rule in force, worded for that area rather than with
    the title of a rule written for another place; in a country that has no permit rule in
    force it still needs one: the generic permit (no rule). Own nationals get none: no rule of
    a country applies to them.
    """
    if own_national:
        return []
    permit_rules = of_kind(context.rules, "permit")
    found = []
    for index, stop in context.stops():
        place = stop.place
        if place is None:
            continue
        listing = [rule for rule in permit_rules if place.name in rule.places]
        if not listing and place.kind != "closed_area":
            continue
        if not permit_rules:
            found.append(generic_permit(context, index, stop, place))
        for rule in listing or permit_rules:
            if not obliges(rule, context.traveller, context.on):
                continue
            if listing:
                title = rule.title or f"Permit to enter {place.name}"
                detail = (
                    rule.detail
                    or f"{place.name} may be entered only with a permit obtained in advance."
                )
            else:
                generic = generic_permit(context, index, stop, place)
                title, detail = generic.title, generic.detail
            found.append(
                requirement(
                    rule,
                    kind="permit",
                    title=title,
                    detail=detail,
                    due=stop.arrival,
                    country=context.visit.country,
                    place=place.name,
                    stop_index=index,
                )
            )
    return found


def generic_permit(context: VisitContext, index: int, stop: Stop, place: PlaceRef) -> Requirement:
    return requirement(
        None,
        kind="permit",
        title=f"Permit to enter {place.name}",
        detail=(
            f"{place.name} is a closed area of {context.country_name}: entry needs a permit from "
            "the authorities, obtained before arrival."
        ),
        due=stop.arrival,
        country=context.visit.country,
        place=place.name,
        stop_index=index,
    )


def document_requirements(context: VisitContext) -> list[Requirement]:
    visit_activities: frozenset[str] = frozenset().union(
        *(stop.activities for stop in context.visit.stops)
    )
    found = []
    for rule in of_kind(context.rules, "document"):
        if rule.activities and not rule.activities & visit_activities:
            continue
        if not obliges(rule, context.traveller, context.on):
            continue
        found.append(
            requirement(
                rule,
                kind="document",
                title=rule.title or f"Documents to carry in {context.country_name}",
                detail=rule.detail,
                due=None,
                country=context.visit.country,
                place="",
                stop_index=context.visit.stop_indexes[0],
            )
        )
    return found


def activity_requirements(context: VisitContext) -> list[Requirement]:
    found = []
    for rule in of_kind(context.rules, "activity"):
        first = next(
            ((i, stop) for i, stop in context.stops() if rule.activities & stop.activities), None
        )
        if first is None or not obliges(rule, context.traveller, context.on):
            continue
        index, stop = first
        activities = ", ".join(sorted(rule.activities & stop.activities))
        found.append(
            requirement(
                rule,
                kind="activity",
                title=rule.title or f"Requirement for {activities} in {context.country_name}",
                detail=rule.detail,
                due=stop.arrival,
                country=context.visit.country,
                place=stop.place_name,
                stop_index=index,
            )
        )
    return found


def visit_requirements(context: VisitContext) -> list[Requirement]:
    """Everything the rules of one country visit ask of the traveller."""
    own_national = context.traveller.nationality == context.visit.country
    found = []
    relief = transit_relief(context)
    if relief is not None:
        found += transit_requirements(context, relief)
    else:
        registrations = registration_requirements(context)
        found += registrations
        # Re-registration follows registration: no registration, nothing to renew.
        if registrations:
            found += re_registration_requirements(context)
        found += visa_requirements(context)
    found += permit_requirements(context, own_national)
    found += document_requirements(context)
    found += activity_requirements(context)
    found += stay_limit_requirements(context)
    return settle_due_dates(found, context)


def days_of(arrival: date, departure: date) -> Iterable[date]:
    return (arrival + timedelta(days=n) for n in range((departure - arrival).days + 1))


def span_in_words(days: Sequence[date]) -> str:
    """ "3-20 Jan", "28 Jan-10 Feb": the first and last of some days."""
    first, last = days[0], days[-1]
    if first == last:
        return f"{first.day} {first:%b}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{last.day} {last:%b}"
    return f"{first.day} {first:%b}-{last.day} {last:%b}"


def stay_limit_requirements(context: VisitContext) -> list[Requirement]:
    """A ``stay_limit``: the traveller's days in the country, across this trip and their other
    trips going ahead (each calendar day once, both end days counted), exceed ``max_days`` in
    some ``window_days``-day window that contains a day of this visit.

    The windows are judged at their last day: the first day over the limit is the first day D,
    from the visit's first arrival on, whose window [D - window + 1, D] holds more than
    ``max_days`` days and a day of this visit. The detail counts the fullest such window and
    names the trips with days in it.
    """
    visit = context.visit
    found = []
    for rule in of_kind(context.rules, RuleKind.STAY_LIMIT):
        if rule.max_days is None or rule.window_days is None:
            continue
        if not obliges(rule, context.traveller, context.on):
            continue
        # Each day in the country, with the trips that spend it there (None: this trip).
        spent: dict[date, set[int | None]] = {}
        for stop in context.trip_stops or visit.stops:
            if stop.country == visit.country:
                for day in days_of(stop.arrival, stop.departure):
                    spent.setdefault(day, set()).add(None)
        for stay in context.other_stays:
            if stay.country == visit.country:
                for day in days_of(stay.arrival, stay.departure):
                    spent.setdefault(day, set()).add(stay.trip)
        days = sorted(spent)
        window = timedelta(days=rule.window_days - 1)
        first_over: date | None = None
        fullest: tuple[int, date] | None = None
        for end in days:
            if end < visit.first_arrival or end - window > visit.last_departure:
                continue
            count = bisect_right(days, end) - bisect_left(days, end - window)
            if count > rule.max_days:
                first_over = first_over or end
                if fullest is None or count > fullest[0]:
                    fullest = (count, end)
        if first_over is None or fullest is None:
            continue
        count, end = fullest
        counted: dict[int | None, list[date]] = {}
        for day in days[bisect_left(days, end - window) : bisect_right(days, end)]:
            for trip in spent[day]:
                counted.setdefault(trip, []).append(day)
        trips = [
            f"trip #{trip}, {span_in_words(trip_days)}" if trip is not None else "this trip"
            for trip, trip_days in sorted(counted.items(), key=lambda item: item[1][0])
        ]
        line = (
            f"{count} of {rule.max_days} days in {rule.window_days}: {'; '.join(trips)}. "
            f"Over the limit from {day_month(first_over)}: shorten a stay, or check what a "
            "longer stay needs."
        )
        # The stop the traveller is at on the day over (the last stop, for a later trip's).
        index = visit.stop_indexes[0]
        for i, stop in context.stops():
            if stop.arrival <= first_over:
                index = i
        found.append(
            requirement(
                rule,
                kind=RequirementKind.STAY_LIMIT,
                title=rule.title
                or f"No more than {rule.max_days} days in {rule.window_days} in "
                f"{context.country_name}",
                detail=with_note(rule.detail, line),
                due=first_over,
                country=visit.country,
                place="",
                stop_index=index,
            )
        )
    return found


# Kinds a traveller must hold before leaving home (product.md, "Rule semantics").
BEFORE_LEAVING_HOME = frozenset({RequirementKind.VISA, RequirementKind.PERMIT})


def settle_due_dates(found: Sequence[Requirement], context: VisitContext) -> list[Requirement]:
    """The due-date rules that hold for every kind (product.md, "Due dates").

    A rule with ``lead_days`` is due that many days before the trip's first arrival (it must
    be in hand before leaving home), saying "apply now" when that day is already past at
    assessment time. A visa or a permit is needed before leaving home too: without a lead
    time it is due on the trip's first arrival, not on the later visit's. Anything else is
    never due after the traveller has left the visit: a later deadline is brought forward to
    the visit's last day, and the detail says why.
    """
    rules = {rule.key: rule for rule in context.rules}
    last_day = context.visit.last_departure
    settled = []
    for req in found:
        rule = rules.get(req.rule) if req.rule else None
        if rule is not None and rule.lead_days is not None:
            due = context.trip_start - timedelta(days=rule.lead_days)
            needs = f"{rule.lead_days} day{'' if rule.lead_days == 1 else 's'}"
            if context.today is not None and due < context.today:
                note = (
                    f"Apply now: this normally needs {needs} before the trip starts on "
                    f"{day_month(context.trip_start)}."
                )
            elif rule.lead_days == 0:
                note = "Needed before you leave home."
            else:
                note = f"Needed before you leave home: it normally takes {needs}."
            req = replace(req, due_date=due, detail=with_note(req.detail, note))
        elif req.kind in BEFORE_LEAVING_HOME and req.due_date != context.trip_start:
            # A visa or permit for a later country is applied for at home, not on the way.
            note = f"Needed before you leave home on {day_month(context.trip_start)}."
            req = replace(req, due_date=context.trip_start, detail=with_note(req.detail, note))
        elif (
            req.due_date is not None
            and req.due_date > last_day
            and req.kind != RequirementKind.STAY_LIMIT  # the day over, even on a later trip
        ):
            note = (
                f"The deadline, {day_month(req.due_date)}, falls after you leave "
                f"{context.country_name} on {day_month(last_day)}: do it before you leave."
            )
            req = replace(req, due_date=last_day, detail=with_note(req.detail, note))
        settled.append(req)
    return settled


def trip_requirements(
    visits: Sequence[CountryVisit],
    traveller: Traveller,
    content: Content,
    today: date | None = None,
    other_stays: Sequence[OtherStay] = (),
) -> list[Requirement]:
    found: list[Requirement] = []
    trip_stops = tuple(stop for visit in visits for stop in visit.stops)
    for number, visit in enumerate(visits):
        following = visits[number + 1] if number + 1 < len(visits) else None
        own_national = traveller.nationality == visit.country
        context = VisitContext(
            visit=visit,
            rules=()
            if own_national
            else rules_in_force(content.rules.get(visit.country, ()), visit.first_arrival),
            traveller=traveller,
            country_name=content.country_name(visit.country),
            onward_country=(
                following.country
                if following is not None and following.country != visit.country
                else None
            ),
            trip_start=visits[0].first_arrival,
            calendar=content.calendar(visit.country),
            today=today,
            trip_stops=trip_stops,
            other_stays=tuple(other_stays),
        )
        for req in visit_requirements(context):
            # Two visits of one trip to a country see the same day over a stay limit: once.
            if req.kind == RequirementKind.STAY_LIMIT and any(
                (seen.kind, seen.rule, seen.due_date) == (req.kind, req.rule, req.due_date)
                for seen in found
            ):
                continue
            found.append(req)
    return found


def checklist_order(
    requirements: Iterable[Requirement], trip_position: dict[int, int]
) -> tuple[Requirement, ...]:
    """By due date (undated last), then the stop's place in the trip, then kind.

    Kinds follow ``REQUIREMENT_KINDS`` (registration before visa before permit ...); the sort
    is stable, so ties keep the order of the rules in the content.
    """

    def sort_key(req: Requirement) -> tuple[bool, date, int, int]:
        position = trip_position[req.stop_index] if req.stop_index is not None else 0
        return (
            req.due_date is None,
            req.due_date or date.min,
            position,
            REQUIREMENT_KINDS.index(req.kind),
        )

    return tuple(sorted(requirements, key=sort_key))


# --- Advisory sections and the risk level ---------------------------------------------------


def section_applies(section: Section, stop: Stop) -> bool:
    """A section applies to a stop unless its places, activities or months rule it out."""
    if section.places and (stop.place is None or stop.place.name not in section.places):
        return False
    if section.activities and not section.activities & stop.activities:
        return False
    return not (
        section.months and not section.months & months_overlapped(stop.arrival, stop.departure)
    )


def section_context(section: Section, stop: Stop, country_name: str) -> str:
    """Why a section matched, in words: "Old Fort, nightlife" or "December, January"."""
    parts: list[str] = []
    if section.places:
        parts.append(stop.place_name)
    parts += sorted(section.activities & stop.activities)
    if section.months:
        touched = section.months & months_overlapped(stop.arrival, stop.departure)
        parts.append(months_in_words(touched))
    return ", ".join(parts) or country_name


@dataclass(frozen=True)
class Contribution:
    level: int | None  # None: risk unknown
    line: str


def stop_contribution(stop: Stop, content: Content) -> Contribution:
    name = content.country_name(stop.country)
    if stop.place is not None and stop.place.level is not None:
        place, level = stop.place, stop.place.level
        if place.kind == "closed_area":
            return Contribution(level, f"{place.name} is a closed area: level {level}")
        return Contribution(level, f"{place.name}: level {level}")
    advisory = content.advisories.get(stop.country)
    if advisory is None:
        label = name if name == stop.country else f"{name} ({stop.country})"
        return Contribution(None, f"{label} has no published advisory: risk unknown")
    return Contribution(advisory.level, f"{name} advisory: level {advisory.level}")


def matched_sections(
    ordered: Sequence[tuple[int, Stop]], content: Content
) -> tuple[list[MatchedSection], list[Contribution]]:
    matched: list[MatchedSection] = []
    contributions: list[Contribution] = []
    for index, stop in ordered:
        contributions.append(stop_contribution(stop, content))
        advisory = content.advisories.get(stop.country)
        if advisory is None:
            continue
        for section in advisory.sections:
            if not section_applies(section, stop):
                continue
            matched.append(
                MatchedSection(
                    stop_index=index,
                    country=stop.country,
                    place=stop.place_name,
                    key=section.key,
                    topic=section.topic,
                    heading=section.heading,
                    level=section.level,
                )
            )
            if section.level is not None:
                why = section_context(section, stop, content.country_name(stop.country))
                line = f'Section "{section.heading}" ({why}): level {section.level}'
                contributions.append(Contribution(section.level, line))
    return matched, contributions


def risk_level(contributions: Sequence[Contribution]) -> int | None:
    """The highest contribution; unknown when any stop's country has no advisory."""
    levels = [c.level for c in contributions]
    if not levels or any(level is None for level in levels):
        return None
    return max(level for level in levels if level is not None)


def known_level(contributions: Sequence[Contribution]) -> int | None:
    """The highest contribution that is known: a floor for a risk that is unknown."""
    return max((c.level for c in contributions if c.level is not None), default=None)


def names_in_words(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


@dataclass(frozen=True)
class UnknownPlace:
    """A stop whose typed place matched no curated place: kept as free text, never dropped."""

    line: str  # for the explanation, with the country's known places
    closed_areas: bool  # the country has closed areas: a manager must look


def unknown_places(ordered: Sequence[tuple[int, Stop]], content: Content) -> list[UnknownPlace]:
    found = []
    for _, stop in ordered:
        if stop.place is not None or not stop.place_text.strip():
            continue
        if stop.country not in content.advisories:
            continue  # the whole country is unknown: its own line says so
        name = content.country_name(stop.country)
        places = sorted(content.places.get(stop.country, ()), key=lambda p: p.name.casefold())
        closed = [p.name for p in places if p.kind == PlaceKind.CLOSED_AREA]
        others = [p.name for p in places if p.kind != PlaceKind.CLOSED_AREA]
        if closed and others:
            known = (
                f"its closed areas are {names_in_words(closed)}, "
                f"its other places {names_in_words(others)}"
            )
        elif closed:
            known = f"its closed areas are {names_in_words(closed)}"
        elif others:
            known = f"the places we know there are {names_in_words(others)}"
        else:
            known = "no place there is curated yet"
        found.append(
            UnknownPlace(
                line=f"'{stop.place_text.strip()}' is not a place we know in {name}: {known}",
                closed_areas=bool(closed),
            )
        )
    return found


def unique(lines: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(lines))


# --- Incidents ------------------------------------------------------------------------------


def days_after(day: date, days: int) -> date:
    """``day`` plus ``days``, or the last date there is: an incident "until 31 Dec 9999" plus
    its lookahead must not overflow (issue 23)."""
    if days <= 0:
        return day
    if (date.max - day).days < days:
        return date.max
    return day + timedelta(days=days)


def hazard_last_day(hazard: Hazard) -> date | None:
    """The last day a stop may begin and still be touched: None while the incident has no
    end (it goes on until it is closed), else its end plus the lookahead."""
    if hazard.ends_on is None:
        return None
    return days_after(hazard.ends_on, hazard.lookahead_days)


def hazard_meets(hazard: Hazard, stop: Stop) -> bool:
    """Whether the stop's dates meet the incident's window (both ends included)."""
    last = hazard_last_day(hazard)
    return stop.departure >= hazard.starts_on and (last is None or stop.arrival <= last)


def matched_incidents(stops: Sequence[Stop], hazards: Sequence[Hazard]) -> list[MatchedIncident]:
    """The warning and critical incidents whose window meets a stop in their area, the most
    severe first, then the earliest started."""
    found: list[MatchedIncident] = []
    for hazard in hazards:
        if hazard.severity not in ASSESSED_SEVERITIES:
            continue
        touched = [
            touch
            for touch in hazard.touches
            if 0 <= touch.stop_index < len(stops)
            and touch.match in HAZARD_MATCHES
            and hazard_meets(hazard, stops[touch.stop_index])
        ]
        if not touched:
            continue
        found.append(
            MatchedIncident(
                id=hazard.id,
                title=hazard.title,
                severity=hazard.severity,
                starts_on=hazard.starts_on,
                ends_on=hazard.ends_on,
                match=min((t.match for t in touched), key=HAZARD_MATCHES.index),
                stop_indexes=tuple(sorted({t.stop_index for t in touched})),
                where=unique(
                    stops[t.stop_index].place_name or stops[t.stop_index].country
                    for t in sorted(touched, key=lambda t: t.stop_index)
                ),
            )
        )
    rank = {severity: position for position, severity in enumerate(HAZARD_SEVERITIES)}
    found.sort(key=lambda incident: (-rank[incident.severity], incident.starts_on, incident.id))
    return found


def short_day(day: date, year: int) -> str:
    """ "7 Dec", with the year when it is not ``year`` ("7 Dec 2029")."""
    text = f"{day.day} {MONTH_NAMES[day.month - 1][:3]}"
    return text if day.year == year else f"{text} {day.year}"


def incident_line(incident: MatchedIncident, year: int) -> str:
    """ "Earthquake in Almaty, critical, since 7 Dec": the incident as the explanation says it."""
    line = f"{incident.title}, {incident.severity}, since {short_day(incident.starts_on, year)}"
    if incident.ends_on is not None:
        line += f" until {short_day(incident.ends_on, year)}"
    if incident.match == "possibly":
        line += " (we could not tell whether your place is in its area)"
    return line


def incident_contributions(
    incidents: Sequence[MatchedIncident], year: int
) -> tuple[list[Contribution], list[str]]:
    """A critical incident is a contribution of CRITICAL_LEVEL; a warning is a line of the
    explanation that changes no level."""
    contributions: list[Contribution] = []
    lines: list[str] = []
    for incident in incidents:
        line = incident_line(incident, year)
        if incident.severity == "critical":
            contributions.append(Contribution(CRITICAL_LEVEL, f"{line}: at least level 4"))
        else:
            lines.append(line)
    return contributions, lines


def incident_reasons(incidents: Sequence[MatchedIncident], year: int) -> list[str]:
    """Each critical incident is an approval reason naming it, whatever the policy says."""
    return [
        f"Critical incident: {incident.title} (since {short_day(incident.starts_on, year)})"
        for incident in incidents
        if incident.severity == "critical"
    ]


# --- Approval -------------------------------------------------------------------------------


def approval_reasons(
    *,
    risk: int | None,
    contributions: Sequence[Contribution],
    stops: Sequence[tuple[int, Stop]],
    requirements: Sequence[Requirement],
    policy: Policy,
    unknown: Sequence[UnknownPlace] = (),
) -> tuple[str, ...]:
    reasons: list[str] = []
    # An unknown risk is at least what is known of it: a level-5 place does not need fewer
    # approvals because another country of the trip has no advisory.
    level = risk if risk is not None else known_level(contributions)
    said = (
        f"Risk level {level}" if risk is not None else f"Risk (unknown) of at least level {level}"
    )
    if level is not None and level >= policy.threshold_level:
        reasons.append(f"{said} is at or above the company threshold of {policy.threshold_level}")
    if level is not None and level >= policy.dual_approval_level:
        reasons.append(f"{said} needs the approval of two security managers")
    if policy.closed_area_needs_approval:
        reasons += [
            f"{stop.place.name} is a closed area"
            for _, stop in stops
            if stop.place is not None and stop.place.kind == "closed_area"
        ]
        # An unrecognised place in a country with closed areas may be one of them.
        reasons += [
            f"{place.line}: a security manager must check it is not a closed area"
            for place in unknown
            if place.closed_areas
        ]
    if policy.permit_needs_approval:
        reasons += [
            f"A permit is required for {req.place or req.country}"
            for req in requirements
            if req.kind == "permit"
        ]
    if policy.unknown_risk_needs_approval:
        reasons += [c.line for c in contributions if c.level is None]
    return unique(reasons)


def approvals_needed(level: int | None, reasons: Sequence[str], policy: Policy) -> int:
    """Two at the dual-approval level (of the risk, or of what is known of an unknown one)."""
    if level is not None and level >= policy.dual_approval_level:
        return 2
    return 1 if reasons else 0


# --- The entry point ------------------------------------------------------------------------


def assess(
    *,
    stops: Sequence[Stop],
    traveller: Traveller,
    content: Content,
    policy: Policy = Policy(),
    today: date | None = None,
    other_stays: Sequence[OtherStay] = (),
    hazards: Sequence[Hazard] = (),
) -> Assessment:
    """Assess a trip against the published content, on ``today`` (the day of the assessment:
    a lead time already past says "apply now"; None: nothing is said of lateness), and the
    open incidents where it goes (``hazards``: only warning and critical ones count).

    Raises ``ValueError`` for an empty itinerary or a stop that departs before it arrives:
    trip validation refuses both before a trip is ever assessed.
    """
    check_stops(stops)
    ordered = ordered_stops(stops)
    trip_position = {index: position for position, (index, _) in enumerate(ordered)}

    requirements = checklist_order(
        trip_requirements(country_visits(stops), traveller, content, today, other_stays),
        trip_position,
    )
    sections, contributions = matched_sections(ordered, content)
    incidents = matched_incidents(stops, hazards)
    year = (today or ordered[0][1].arrival).year
    critical, warnings = incident_contributions(incidents, year)
    contributions += critical
    unknown = unknown_places(ordered, content)
    risk = risk_level(contributions)
    reasons = unique(
        [
            *incident_reasons(incidents, year),
            *approval_reasons(
                risk=risk,
                contributions=contributions,
                stops=ordered,
                requirements=requirements,
                policy=policy,
                unknown=unknown,
            ),
        ]
    )
    trip_countries = unique(stop.country for _, stop in ordered)
    return Assessment(
        risk_level=risk,
        requires_approval=bool(reasons),
        approvals_needed=approvals_needed(
            risk if risk is not None else known_level(contributions), reasons, policy
        ),
        approval_reasons=reasons,
        requirements=requirements,
        sections=tuple(sections),
        explanation=unique(
            [*(c.line for c in contributions), *warnings, *(u.line for u in unknown)]
        ),
        known_level=known_level(contributions),
        incidents=tuple(incidents),
        content_versions={
            country: content.advisories[country].version
            for country in trip_countries
            if country in content.advisories
        },
    )
