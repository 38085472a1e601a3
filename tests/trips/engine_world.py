"""The rules engine's invented world, shared by the engine's table tests.

Everything here is invented: XA (Xanadu) and XB (Brobdingnag) have published advisories, XC
(Erewhon) has none; XL (Lilliput) passports are on Xanadu's visa-free list, XM (Mildendo)
passports are on no list. 1 March 2030 is a Friday.
"""

from datetime import date

import pytest

from trips.engine import (
    Advisory,
    Assessment,
    Content,
    Exemptions,
    PlaceRef,
    Policy,
    Rule,
    Section,
    SourceRef,
    Stop,
    Traveller,
    assess,
)

XA, XB, XC = "XA", "XB", "XC"
COUNTRY_NAMES = {XA: "Xanadu", XB: "Brobdingnag", XC: "Erewhon"}

# Places of Xanadu.
HARBOUR = PlaceRef("Harbour Town", XA)
SALT_FLATS = PlaceRef("Salt Flats", XA, kind="region")
HILL_STATION = PlaceRef("Hill Station", XA, level=1)
OLD_FORT = PlaceRef("Old Fort", XA, kind="closed_area", level=4)
QUIET_FORT = PlaceRef("Quiet Fort", XA, kind="closed_area")
WINDY_PASS = PlaceRef("Windy Pass", XA, kind="region", level=4)
BURNING_CLIFFS = PlaceRef("Burning Cliffs", XA, kind="region", level=5)

FOREIGNER = Traveller(nationality="XM")
VISA_FREE_FOREIGNER = Traveller(nationality="XL")
NATIONAL = Traveller(nationality=XA)

SOURCE = SourceRef(
    key="xa-entry",
    publisher="Xanadu Migration Service",
    title="Entry and stay of foreigners",
    url="https://example.org/xa-entry",
    retrieved=date(2030, 1, 15),
)

REGISTRATION = Rule(
    key="xa-registration",
    kind="registration",
    country=XA,
    title="Register with the migration police",
    threshold_days=5,
    deadline_days=5,
    exemptions=Exemptions(
        passport_types=frozenset({"diplomatic", "service"}),
        visa_categories=frozenset({"diplomatic", "official", "investor"}),
        under_age=16,
    ),
    authority="Migration police",
    citation="Rules of stay, art. 5",
    source=SOURCE,
)
RE_REGISTRATION = Rule(
    key="xa-re-registration", kind="re_registration", country=XA, deadline_days=5
)
VISA_FREE = Rule(
    key="xa-visa-free",
    kind="visa_free",
    country=XA,
    nationalities=frozenset({"XL", "XK"}),
    max_days=30,
)
TRANSIT = Rule(key="xa-transit", kind="transit", country=XA, max_days=5)
PERMIT = Rule(key="xa-permits", kind="permit", country=XA, places=frozenset({"Salt Flats"}))
PASSPORT = Rule(key="xa-passport", kind="document", country=XA, title="Carry your passport")
DRIVING = Rule(
    key="xa-driving",
    kind="activity",
    country=XA,
    title="International driving permit",
    activities=frozenset({"driving"}),
)

GENERAL = Section("xa-general", XA, "security", "General security")
AROUND_THE_FORT = Section(
    "xa-fort", XA, "security", "Around the fort", places=frozenset({"Old Fort"})
)
NIGHTLIFE = Section(
    "xa-nightlife",
    XA,
    "crime",
    "Nightlife crime",
    level=3,
    places=frozenset({"Harbour Town"}),
    activities=frozenset({"nightlife"}),
)
TREKKING = Section(
    "xa-trekking", XA, "outdoor_activities", "Trekking", activities=frozenset({"trekking"})
)
BLIZZARDS = Section(
    "xa-blizzards", XA, "natural_hazards", "January blizzards", level=3, months=frozenset({1})
)
FLOODS = Section("xa-floods", XA, "natural_hazards", "Spring floods", months=frozenset({4}))

ADVISORIES = {
    XA: Advisory(
        XA,
        "Xanadu",
        level=2,
        version=3,
        sections=(GENERAL, AROUND_THE_FORT, NIGHTLIFE, TREKKING, BLIZZARDS, FLOODS),
    ),
    XB: Advisory(XB, "Brobdingnag", level=1, version=7),
}


DEFAULT_POLICY = Policy()


def d(iso: str) -> date:
    return date.fromisoformat(iso)


def stop(
    arrival: str,
    departure: str,
    place: PlaceRef | None = None,
    *,
    country: str = XA,
    activities: tuple[str, ...] = (),
    transit: bool = False,
    place_text: str = "",
) -> Stop:
    return Stop(
        country=country,
        arrival=d(arrival),
        departure=d(departure),
        place=place,
        place_text=place_text,
        activities=frozenset(activities),
        transit=transit,
    )


def content(rules: tuple[Rule, ...] = ()) -> Content:
    by_country: dict[str, tuple[Rule, ...]] = {}
    for rule in rules:
        by_country[rule.country] = (*by_country.get(rule.country, ()), rule)
    return Content(advisories=ADVISORIES, rules=by_country, country_names=COUNTRY_NAMES)


def run(
    stops: list[Stop],
    rules: tuple[Rule, ...] = (),
    who: Traveller = FOREIGNER,
    policy: Policy = DEFAULT_POLICY,
) -> Assessment:
    return assess(stops=stops, traveller=who, content=content(rules), policy=policy)


Line = tuple[str, str | None, str, str | None]


def checklist(assessment: Assessment) -> list[Line]:
    """The requirements as (kind, due date, place, rule key): what each table row asserts."""
    return [
        (req.kind, req.due_date.isoformat() if req.due_date else None, req.place, req.rule)
        for req in assessment.requirements
    ]


def table(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line], id: str
) -> object:
    return pytest.param(rules, stops, who, expected, id=id)


def check(rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]) -> None:
    assert checklist(run(stops, rules, who)) == expected


REGISTERED_ON_5_MARCH: Line = ("registration", "2030-03-05", "", "xa-registration")
A_WEEK_FROM_1_MARCH = [stop("2030-03-01", "2030-03-07")]
