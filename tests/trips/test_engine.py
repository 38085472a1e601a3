"""trips.engine: every row of the rule semantics table and every edge of product.md.

Everything here is invented: XA (Xanadu) and XB (Brobdingnag) have published advisories, XC
(Erewhon) has none; XL (Lilliput) passports are on Xanadu's visa-free list, XM (Mildendo)
passports are on no list. 1 March 2030 is a Friday.
"""

import ast
from dataclasses import replace
from pathlib import Path

import pytest

import trips.engine
from tests.trips.engine_world import (
    A_WEEK_FROM_1_MARCH,
    ADVISORIES,
    BLIZZARDS,
    BURNING_CLIFFS,
    COUNTRY_NAMES,
    DEFAULT_POLICY,
    DRIVING,
    FOREIGNER,
    HARBOUR,
    HILL_STATION,
    NATIONAL,
    OLD_FORT,
    PASSPORT,
    PERMIT,
    QUIET_FORT,
    RE_REGISTRATION,
    REGISTERED_ON_5_MARCH,
    REGISTRATION,
    SALT_FLATS,
    SOURCE,
    TRANSIT,
    VISA_FREE,
    VISA_FREE_FOREIGNER,
    WINDY_PASS,
    XA,
    XB,
    XC,
    Line,
    check,
    checklist,
    d,
    run,
    stop,
    table,
)
from trips.engine import (
    Content,
    CountryVisit,
    Exemptions,
    Policy,
    Rule,
    Stop,
    Traveller,
    assess,
    country_visits,
)

# --- registration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "stops", "who", "expected"),
    [
        table(
            (REGISTRATION,),
            [stop("2030-03-01", "2030-03-05")],
            FOREIGNER,
            [],
            id="a stay of exactly the threshold days needs no registration",
        ),
        table(
            (REGISTRATION,),
            [stop("2030-03-01", "2030-03-06")],
            FOREIGNER,
            [REGISTERED_ON_5_MARCH],
            id="a stay one day over the threshold needs registration counting arrival as day one",
        ),
        table(
            (replace(REGISTRATION, deadline_days=3, deadline_unit="working"),),
            A_WEEK_FROM_1_MARCH,
            FOREIGNER,
            [("registration", "2030-03-05", "", "xa-registration")],
            id="three working days from a friday arrival end on the tuesday",
        ),
        table(
            (replace(REGISTRATION, deadline_days=3, deadline_unit="working"),),
            [stop("2030-03-02", "2030-03-08")],
            FOREIGNER,
            [("registration", "2030-03-06", "", "xa-registration")],
            id="working days from a saturday arrival count from the monday",
        ),
        table(
            (replace(REGISTRATION, deadline_days=None),),
            A_WEEK_FROM_1_MARCH,
            FOREIGNER,
            [("registration", None, "", "xa-registration")],
            id="a rule without a deadline gives a registration with no due date",
        ),
        table(
            (replace(REGISTRATION, threshold_days=None),),
            [stop("2030-03-01", "2030-03-01")],
            FOREIGNER,
            # Due on 5 March, but never after the traveller has left: on the only day.
            [("registration", "2030-03-01", "", "xa-registration")],
            id="a rule without a threshold registers every stay",
        ),
        table(
            (REGISTRATION,),
            [stop("2030-03-01", "2030-03-07", HARBOUR)],
            FOREIGNER,
            [("registration", "2030-03-05", "Harbour Town", "xa-registration")],
            id="the registration names the place of the first stop",
        ),
        table(
            (REGISTRATION,),
            [
                stop("2030-02-20", "2030-02-28", country=XB),
                stop("2030-02-28", "2030-03-07"),
            ],
            FOREIGNER,
            [("registration", "2030-03-04", "", "xa-registration")],
            id="the deadline counts from the arrival in the country not from the start of the trip",
        ),
        table(
            (REGISTRATION,),
            A_WEEK_FROM_1_MARCH,
            NATIONAL,
            [],
            id="own nationals need no registration",
        ),
        table(
            (REGISTRATION,),
            A_WEEK_FROM_1_MARCH,
            replace(FOREIGNER, passport_type="diplomatic"),
            [],
            id="a diplomatic passport is exempt",
        ),
        table(
            (REGISTRATION,),
            A_WEEK_FROM_1_MARCH,
            replace(FOREIGNER, passport_type="service"),
            [],
            id="a service passport is exempt",
        ),
        table(
            (REGISTRATION,),
            A_WEEK_FROM_1_MARCH,
            replace(FOREIGNER, visa_category="investor"),
            [],
            id="an investor visa is exempt",
        ),
        table(
            (REGISTRATION,),
            A_WEEK_FROM_1_MARCH,
            replace(FOREIGNER, visa_category="tourist"),
            [REGISTERED_ON_5_MARCH],
            id="a tourist visa on an ordinary passport is not exempt",
        ),
        table(
            (REGISTRATION,),
            A_WEEK_FROM_1_MARCH,
            replace(FOREIGNER, date_of_birth=d("2014-03-01")),
            [REGISTERED_ON_5_MARCH],
            id="a sixteenth birthday on the arrival day is no longer under age",
        ),
        table(
            (REGISTRATION,),
            A_WEEK_FROM_1_MARCH,
            replace(FOREIGNER, date_of_birth=d("2014-03-02")),
            [],
            id="a sixteenth birthday the day after arrival is still under age and exempt",
        ),
        table(
            (REGISTRATION,),
            A_WEEK_FROM_1_MARCH,
            replace(FOREIGNER, date_of_birth=None),
            [REGISTERED_ON_5_MARCH],
            id="an unknown date of birth is not exempt",
        ),
        table(
            (replace(REGISTRATION, nationalities=frozenset({"XL"})),),
            A_WEEK_FROM_1_MARCH,
            FOREIGNER,
            [],
            id="a registration rule for other nationalities does not concern the traveller",
        ),
        table(
            (replace(REGISTRATION, nationalities=frozenset({"XM"})),),
            A_WEEK_FROM_1_MARCH,
            FOREIGNER,
            [REGISTERED_ON_5_MARCH],
            id="a registration rule for the traveller's nationality applies",
        ),
        table(
            (replace(REGISTRATION, nationalities=frozenset({"XL"})),),
            A_WEEK_FROM_1_MARCH,
            Traveller(nationality=None),
            [REGISTERED_ON_5_MARCH],
            id="an unknown nationality cannot be ruled out of a rule for some nationalities",
        ),
    ],
)
def test_registration(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]
) -> None:
    check(rules, stops, who, expected)


def test_a_requirement_carries_the_rule_its_citation_source_and_authority() -> None:
    (requirement,) = run(A_WEEK_FROM_1_MARCH, (REGISTRATION,)).requirements
    assert requirement.country == XA
    assert requirement.title == "Register with the migration police"
    assert requirement.rule == "xa-registration"
    assert requirement.citation == "Rules of stay, art. 5"
    assert requirement.authority == "Migration police"
    assert requirement.source == SOURCE


def test_a_rule_without_a_title_gets_a_clear_default() -> None:
    (requirement,) = run(A_WEEK_FROM_1_MARCH, (replace(REGISTRATION, title=""),)).requirements
    assert requirement.title == "Register your stay in Xanadu"
    assert requirement.detail == (
        "Stays longer than 5 days must be registered within 5 calendar days of arrival; "
        "this stay is 7 days."
    )


# --- rules change: valid_from and valid_until -----------------------------------------------

REGISTRATION_OF_2029 = replace(
    REGISTRATION,
    key="xa-registration-2029",
    threshold_days=3,
    valid_from=d("2029-01-01"),
    valid_until=d("2030-06-30"),
)
REGISTRATION_OF_2030 = replace(REGISTRATION, key="xa-registration-2030", valid_from=d("2030-07-01"))
CHANGING_RULES = (REGISTRATION_OF_2029, REGISTRATION_OF_2030)


@pytest.mark.parametrize(
    ("rules", "stops", "who", "expected"),
    [
        table(
            CHANGING_RULES,
            [stop("2030-06-30", "2030-07-03")],
            FOREIGNER,
            # Due 4 July by the deadline; brought forward to the day of leaving.
            [("registration", "2030-07-03", "", "xa-registration-2029")],
            id="a visit arriving on the last day of the old rule is judged by the old rule",
        ),
        table(
            CHANGING_RULES,
            [stop("2030-07-01", "2030-07-04")],
            FOREIGNER,
            [],
            id="a visit arriving on the first day of the new rule is judged by the new rule",
        ),
        table(
            CHANGING_RULES,
            [stop("2030-07-01", "2030-07-06")],
            FOREIGNER,
            [("registration", "2030-07-05", "", "xa-registration-2030")],
            id="the new rule registers a stay over its own threshold",
        ),
        table(
            CHANGING_RULES,
            [stop("2030-06-25", "2030-07-10")],
            FOREIGNER,
            [("registration", "2030-06-29", "", "xa-registration-2029")],
            id="a visit keeps the rule in force on its first arrival for its whole stay",
        ),
        table(
            CHANGING_RULES,
            [stop("2028-12-01", "2028-12-20")],
            FOREIGNER,
            [],
            id="a visit before any rule came into force needs nothing",
        ),
    ],
)
def test_a_visit_is_judged_by_the_rules_in_force_on_its_first_arrival(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]
) -> None:
    check(rules, stops, who, expected)


# --- country visits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stops", "visits"),
    [
        pytest.param(
            [stop("2030-03-01", "2030-03-05"), stop("2030-03-05", "2030-03-09")],
            [(XA, 9, (0, 1))],
            id="same-day travel between two stops in a country is one visit",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-05"), stop("2030-03-06", "2030-03-09")],
            [(XA, 9, (0, 1))],
            id="a one-day gap between two stops in a country is still one visit",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-05"), stop("2030-03-07", "2030-03-09")],
            [(XA, 5, (0,)), (XA, 3, (1,))],
            id="a two-day gap splits two visits",
        ),
        pytest.param(
            [
                stop("2030-03-01", "2030-03-03"),
                stop("2030-03-03", "2030-03-05", country=XB),
                stop("2030-03-05", "2030-03-07"),
            ],
            [(XA, 3, (0,)), (XB, 3, (1,)), (XA, 3, (2,))],
            id="a stop in another country in between splits two visits",
        ),
        pytest.param(
            [stop("2030-03-06", "2030-03-09"), stop("2030-03-01", "2030-03-05")],
            [(XA, 9, (1, 0))],
            id="stops are put in order of arrival and keep their positions",
        ),
        pytest.param([], [], id="no stops make no visits"),
    ],
)
def test_country_visits(stops: list[Stop], visits: list[tuple[str, int, tuple[int, ...]]]) -> None:
    assert [
        (visit.country, visit.stay_days, visit.stop_indexes) for visit in country_visits(stops)
    ] == visits


def test_a_country_visit_knows_its_dates_and_whether_it_is_only_transit() -> None:
    visit = CountryVisit(
        XA,
        (stop("2030-03-01", "2030-03-02", transit=True), stop("2030-03-02", "2030-03-04")),
    )
    assert (visit.first_arrival, visit.last_departure, visit.stay_days) == (
        d("2030-03-01"),
        d("2030-03-04"),
        4,
    )
    assert not visit.is_transit_only
    assert CountryVisit(XA, visit.stops[:1]).is_transit_only


@pytest.mark.parametrize(
    ("rules", "stops", "who", "expected"),
    [
        table(
            (REGISTRATION,),
            [stop("2030-03-01", "2030-03-03"), stop("2030-03-04", "2030-03-06")],
            FOREIGNER,
            [REGISTERED_ON_5_MARCH],
            id="two short stays a day apart add up to one registered visit",
        ),
        table(
            (REGISTRATION,),
            [stop("2030-03-01", "2030-03-05", HARBOUR), stop("2030-03-05", "2030-03-06")],
            FOREIGNER,
            [("registration", "2030-03-05", "Harbour Town", "xa-registration")],
            id="a stop departing on the day the next one arrives makes one visit",
        ),
        table(
            (REGISTRATION,),
            [stop("2030-03-01", "2030-03-04"), stop("2030-03-06", "2030-03-09")],
            FOREIGNER,
            [],
            id="two short stays two days apart are judged alone and need nothing",
        ),
        table(
            (REGISTRATION,),
            [stop("2030-03-01", "2030-03-03"), stop("2030-03-05", "2030-03-14")],
            FOREIGNER,
            [("registration", "2030-03-09", "", "xa-registration")],
            id="after a two-day gap the second visit registers from its own arrival",
        ),
    ],
)
def test_each_country_visit_is_judged_as_a_whole(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]
) -> None:
    check(rules, stops, who, expected)


# --- re-registration ------------------------------------------------------------------------

REGISTRATION_RULES = (REGISTRATION, RE_REGISTRATION)
REGISTERED_IN_HARBOUR_TOWN: Line = ("registration", "2030-03-05", "Harbour Town", "xa-registration")


@pytest.mark.parametrize(
    ("rules", "stops", "who", "expected"),
    [
        table(
            REGISTRATION_RULES,
            [
                stop("2030-03-01", "2030-03-04", HARBOUR),
                stop("2030-03-04", "2030-03-08", SALT_FLATS),
                stop("2030-03-08", "2030-03-12", HILL_STATION),
            ],
            FOREIGNER,
            [
                REGISTERED_IN_HARBOUR_TOWN,
                ("re_registration", "2030-03-08", "Salt Flats", "xa-re-registration"),
                ("re_registration", "2030-03-12", "Hill Station", "xa-re-registration"),
            ],
            id="two moves to other places need two re-registrations from each arrival",
        ),
        table(
            REGISTRATION_RULES,
            [
                stop("2030-03-01", "2030-03-04", HARBOUR),
                stop("2030-03-05", "2030-03-10", HARBOUR),
            ],
            FOREIGNER,
            [REGISTERED_IN_HARBOUR_TOWN],
            id="staying at the same place twice is no move",
        ),
        table(
            REGISTRATION_RULES,
            [
                stop("2030-03-01", "2030-03-04", HARBOUR),
                stop("2030-03-04", "2030-03-06", SALT_FLATS),
                stop("2030-03-06", "2030-03-10", HARBOUR),
            ],
            FOREIGNER,
            [
                REGISTERED_IN_HARBOUR_TOWN,
                ("re_registration", "2030-03-08", "Salt Flats", "xa-re-registration"),
                ("re_registration", "2030-03-10", "Harbour Town", "xa-re-registration"),
            ],
            id="moving back to an earlier place is a move too",
        ),
        table(
            REGISTRATION_RULES,
            [
                stop("2030-03-01", "2030-03-04", HARBOUR),
                stop("2030-03-04", "2030-03-06", place_text="A friend's dacha"),
                stop("2030-03-06", "2030-03-10", SALT_FLATS),
            ],
            FOREIGNER,
            [
                REGISTERED_IN_HARBOUR_TOWN,
                ("re_registration", "2030-03-10", "Salt Flats", "xa-re-registration"),
            ],
            id="a free-text stop between two known places does not hide the move",
        ),
        table(
            REGISTRATION_RULES,
            [
                stop("2030-03-01", "2030-03-04", HARBOUR),
                stop("2030-03-04", "2030-03-06", place_text="A friend's dacha"),
                stop("2030-03-06", "2030-03-10", HARBOUR),
            ],
            FOREIGNER,
            [REGISTERED_IN_HARBOUR_TOWN],
            id="a free-text place proves no move on either side",
        ),
        table(
            REGISTRATION_RULES,
            [
                stop("2030-03-01", "2030-03-03", HARBOUR),
                stop("2030-03-03", "2030-03-05", SALT_FLATS),
            ],
            FOREIGNER,
            [],
            id="no registration means no re-registration",
        ),
        table(
            REGISTRATION_RULES,
            [
                stop("2030-03-01", "2030-03-04", HARBOUR),
                stop("2030-03-04", "2030-03-08", SALT_FLATS),
            ],
            replace(FOREIGNER, passport_type="diplomatic"),
            [],
            id="a traveller exempt from registration is not asked to re-register",
        ),
        table(
            (REGISTRATION, replace(RE_REGISTRATION, deadline_days=3, deadline_unit="working")),
            [
                stop("2030-03-01", "2030-03-09", HARBOUR),
                stop("2030-03-09", "2030-03-12", SALT_FLATS),
            ],
            FOREIGNER,
            [
                REGISTERED_IN_HARBOUR_TOWN,
                # Monday 11 to Wednesday 13 March, but the visit ends on the 12th.
                ("re_registration", "2030-03-12", "Salt Flats", "xa-re-registration"),
            ],
            id="a working-day re-registration after a saturday move counts from the monday",
        ),
    ],
)
def test_re_registration(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]
) -> None:
    check(rules, stops, who, expected)


# --- visa-free entry ------------------------------------------------------------------------

VISA_ON_1_MARCH: Line = ("visa", "2030-03-01", "", "xa-visa-free")
A_DIPLOMAT = replace(FOREIGNER, passport_type="diplomatic")
DIPLOMATS_EXEMPT = Exemptions(passport_types=frozenset({"diplomatic"}))


@pytest.mark.parametrize(
    ("rules", "stops", "who", "expected"),
    [
        table(
            (VISA_FREE,),
            [stop("2030-03-01", "2030-03-30")],
            VISA_FREE_FOREIGNER,
            [],
            id="a listed nationality staying the visa-free days needs no visa",
        ),
        table(
            (VISA_FREE,),
            [stop("2030-03-01", "2030-03-31")],
            VISA_FREE_FOREIGNER,
            [VISA_ON_1_MARCH],
            id="a listed nationality staying a day longer needs a visa due on arrival",
        ),
        table(
            (VISA_FREE,),
            [stop("2030-03-01", "2030-03-03")],
            FOREIGNER,
            [VISA_ON_1_MARCH],
            id="a nationality on no visa-free list needs a visa",
        ),
        table(
            (VISA_FREE,),
            [stop("2030-03-01", "2030-03-03")],
            Traveller(nationality=None),
            [VISA_ON_1_MARCH],
            id="an unknown nationality needs a visa",
        ),
        table(
            (),
            [stop("2030-03-01", "2030-03-31")],
            FOREIGNER,
            [],
            id="a country without visa-free rules makes no visa claim",
        ),
        table(
            (VISA_FREE,),
            [stop("2030-03-01", "2030-05-31")],
            NATIONAL,
            [],
            id="own nationals need no visa",
        ),
        table(
            (replace(VISA_FREE, exemptions=DIPLOMATS_EXEMPT),),
            [stop("2030-03-01", "2030-03-03")],
            A_DIPLOMAT,
            [],
            id="a traveller exempt from the visa-free rule gets no visa requirement",
        ),
        table(
            (
                replace(VISA_FREE, exemptions=DIPLOMATS_EXEMPT),
                replace(VISA_FREE, key="xa-visa-free-neighbours", nationalities=frozenset({"XK"})),
            ),
            [stop("2030-03-01", "2030-03-03")],
            A_DIPLOMAT,
            [("visa", "2030-03-01", "", "xa-visa-free-neighbours")],
            id="exempt under only one of two visa-free rules still needs a visa citing the other",
        ),
        table(
            (
                replace(VISA_FREE, nationalities=frozenset({"XK"})),
                replace(VISA_FREE, key="xa-visa-free-neighbours", nationalities=frozenset({"XL"})),
            ),
            [stop("2030-03-01", "2030-03-10")],
            VISA_FREE_FOREIGNER,
            [],
            id="being listed on either of two visa-free rules is enough",
        ),
        table(
            (
                VISA_FREE,
                replace(VISA_FREE, key="xa-visa-free-short", max_days=10),
            ),
            [stop("2030-03-01", "2030-03-31")],
            VISA_FREE_FOREIGNER,
            [VISA_ON_1_MARCH],
            id="a visit needs at most one visa however many rules call for it",
        ),
        table(
            (replace(VISA_FREE, valid_until=d("2029-12-31")),),
            [stop("2030-03-01", "2030-03-03")],
            FOREIGNER,
            [],
            id="a visa-free rule no longer in force makes no claim",
        ),
    ],
)
def test_visa_free(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]
) -> None:
    check(rules, stops, who, expected)


def test_a_visa_requirement_says_why() -> None:
    (over_stay,) = run(
        [stop("2030-03-01", "2030-04-05")], (VISA_FREE,), VISA_FREE_FOREIGNER
    ).requirements
    assert over_stay.title == "Visa required for Xanadu"
    assert over_stay.detail == (
        "Xanadu admits XL passports without a visa for up to 30 days; this stay is 36 days."
    )
    (not_listed,) = run([stop("2030-03-01", "2030-03-02")], (VISA_FREE,)).requirements
    assert not_listed.detail == (
        "XM passports are not on Xanadu's visa-free list: a visa is needed before travel."
    )


# --- transit --------------------------------------------------------------------------------

# With these, a stay of more than a day that is no transit needs a visa and a registration.
STAY_RULES = (replace(REGISTRATION, threshold_days=1), VISA_FREE)
NORMAL_STAY: list[Line] = [VISA_ON_1_MARCH, REGISTERED_ON_5_MARCH]


def normal_stay_leaving(last_day: str) -> list[Line]:
    """A normal stay that ends before the registration deadline: due on the day of leaving."""
    return [VISA_ON_1_MARCH, ("registration", last_day, "", "xa-registration")]


TRANSIT_DOCUMENT: Line = ("document", "2030-03-01", "", "xa-transit")
ONWARD = stop("2030-03-06", "2030-03-09", country=XB)


@pytest.mark.parametrize(
    ("rules", "stops", "who", "expected"),
    [
        table(
            (*STAY_RULES, TRANSIT),
            [stop("2030-03-01", "2030-03-03", transit=True), ONWARD],
            FOREIGNER,
            [TRANSIT_DOCUMENT],
            id="a transit within its limit flying on needs only the onward visa and ticket",
        ),
        table(
            (*STAY_RULES, TRANSIT),
            [stop("2030-03-01", "2030-03-05", transit=True), ONWARD],
            FOREIGNER,
            [TRANSIT_DOCUMENT],
            id="a transit of exactly its limit is still a transit",
        ),
        table(
            (*STAY_RULES, TRANSIT),
            [stop("2030-03-01", "2030-03-06", transit=True), ONWARD],
            FOREIGNER,
            NORMAL_STAY,
            id="a transit over its limit is a normal stay",
        ),
        table(
            (*STAY_RULES, TRANSIT),
            [stop("2030-03-01", "2030-03-02", transit=True)],
            FOREIGNER,
            normal_stay_leaving("2030-03-02"),
            id="a transit with no onward country is a normal stay",
        ),
        table(
            (*STAY_RULES, TRANSIT),
            [
                stop("2030-03-01", "2030-03-02", transit=True),
                stop("2030-03-20", "2030-03-20", country=XA),
            ],
            FOREIGNER,
            # Both visits' visas are applied for at home, before the trip's first arrival.
            [("visa", "2030-03-01", "", "xa-visa-free"), *normal_stay_leaving("2030-03-02")],
            id="a transit followed by a later stop in the same country is a normal stay",
        ),
        table(
            (*STAY_RULES, TRANSIT),
            [
                stop("2030-03-01", "2030-03-02", transit=True),
                stop("2030-03-02", "2030-03-03"),
                ONWARD,
            ],
            FOREIGNER,
            normal_stay_leaving("2030-03-03"),
            id="a visit with a stop that is no transit is a normal stay",
        ),
        table(
            STAY_RULES,
            [stop("2030-03-01", "2030-03-02", transit=True), ONWARD],
            FOREIGNER,
            normal_stay_leaving("2030-03-02"),
            id="a transit stop in a country without a transit rule is a normal stay",
        ),
        table(
            (*STAY_RULES, replace(TRANSIT, exemptions=DIPLOMATS_EXEMPT)),
            [stop("2030-03-01", "2030-03-02", transit=True), ONWARD],
            A_DIPLOMAT,
            [],
            id="a traveller exempt from the transit rule keeps the relief without the document",
        ),
        table(
            (*STAY_RULES, TRANSIT),
            [stop("2030-03-01", "2030-03-02", transit=True), ONWARD],
            NATIONAL,
            [],
            id="own nationals in transit need nothing",
        ),
    ],
)
def test_transit(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]
) -> None:
    check(rules, stops, who, expected)


def test_the_transit_document_reads_from_the_rule_or_a_clear_default() -> None:
    trip = [stop("2030-03-01", "2030-03-02", transit=True), ONWARD]
    (default,) = run(trip, (TRANSIT,)).requirements
    assert default.title == "Onward visa and ticket for transit"
    assert "up to 5 days" in default.detail
    titled = replace(TRANSIT, title="Visa-free transit", detail="Keep the onward ticket.")
    (own,) = run(trip, (titled,)).requirements
    assert (own.title, own.detail) == ("Visa-free transit", "Keep the onward ticket.")


# --- permits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "stops", "who", "expected"),
    [
        table(
            (PERMIT,),
            [stop("2030-03-01", "2030-03-02"), stop("2030-03-02", "2030-03-04", SALT_FLATS)],
            FOREIGNER,
            # Applied for at home: due on the trip's first arrival, not the stop's.
            [("permit", "2030-03-01", "Salt Flats", "xa-permits")],
            id="a stop in a listed place needs a permit due before leaving home",
        ),
        table(
            (PERMIT,),
            [stop("2030-03-03", "2030-03-04", OLD_FORT)],
            FOREIGNER,
            [("permit", "2030-03-03", "Old Fort", "xa-permits")],
            id="a stop in a closed area needs a permit even when the rule does not list it",
        ),
        table(
            (),
            [stop("2030-03-03", "2030-03-04", OLD_FORT)],
            FOREIGNER,
            [("permit", "2030-03-03", "Old Fort", None)],
            id="a closed area in a country without a permit rule still needs a generic permit",
        ),
        table(
            (PERMIT,),
            [stop("2030-03-03", "2030-03-04", HARBOUR)],
            FOREIGNER,
            [],
            id="a place neither listed nor closed needs no permit",
        ),
        table(
            (PERMIT, replace(PERMIT, key="xa-fort-permit", places=frozenset({"Old Fort"}))),
            [stop("2030-03-03", "2030-03-04", OLD_FORT)],
            FOREIGNER,
            [("permit", "2030-03-03", "Old Fort", "xa-fort-permit")],
            id="a closed area that a rule lists is held to that rule only",
        ),
        table(
            (PERMIT, replace(PERMIT, key="xa-fort-permit", places=frozenset({"Old Fort"}))),
            [stop("2030-03-03", "2030-03-04", SALT_FLATS)],
            FOREIGNER,
            [("permit", "2030-03-03", "Salt Flats", "xa-permits")],
            id="a listed place is not held to a rule written for another place",
        ),
        table(
            (PERMIT,),
            [stop("2030-03-03", "2030-03-04", place_text="Salt Flats")],
            FOREIGNER,
            [],
            id="free text that no curated place matched needs no permit",
        ),
        table(
            (PERMIT,),
            [
                stop("2030-03-01", "2030-03-03", SALT_FLATS),
                stop("2030-03-03", "2030-03-05", HARBOUR),
                stop("2030-03-05", "2030-03-07", SALT_FLATS),
            ],
            FOREIGNER,
            [
                ("permit", "2030-03-01", "Salt Flats", "xa-permits"),
                ("permit", "2030-03-01", "Salt Flats", "xa-permits"),
            ],
            id="each stop in a listed place needs its own permit",
        ),
        table(
            (PERMIT,),
            [stop("2030-03-03", "2030-03-04", OLD_FORT)],
            NATIONAL,
            [],
            id="own nationals need no permit",
        ),
        table(
            (),
            [stop("2030-03-03", "2030-03-04", OLD_FORT)],
            NATIONAL,
            [],
            id="own nationals need no generic permit either",
        ),
        table(
            (replace(PERMIT, exemptions=DIPLOMATS_EXEMPT),),
            [stop("2030-03-03", "2030-03-04", OLD_FORT)],
            A_DIPLOMAT,
            [],
            id="a traveller exempt from the permit rule needs no permit",
        ),
    ],
)
def test_permit(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]
) -> None:
    check(rules, stops, who, expected)


def test_a_permit_for_an_unlisted_closed_area_is_worded_for_that_area() -> None:
    titled = replace(PERMIT, title="Salt Flats entry permit", detail="Apply at the border post.")
    (fort,) = run([stop("2030-03-03", "2030-03-04", OLD_FORT)], (titled,)).requirements
    assert fort.title == "Permit to enter Old Fort"
    assert "Old Fort is a closed area" in fort.detail
    assert fort.rule == "xa-permits"  # cited: the rule in force is what makes it binding
    (flats,) = run([stop("2030-03-03", "2030-03-04", SALT_FLATS)], (titled,)).requirements
    assert (flats.title, flats.detail) == ("Salt Flats entry permit", "Apply at the border post.")


# --- documents ------------------------------------------------------------------------------

CARRY_PASSPORT: Line = ("document", None, "", "xa-passport")
DRONE_PAPERS = replace(PASSPORT, key="xa-drone-papers", activities=frozenset({"drone"}))


@pytest.mark.parametrize(
    ("rules", "stops", "who", "expected"),
    [
        table(
            (PASSPORT,),
            [stop("2030-03-01", "2030-03-03", HARBOUR), stop("2030-03-03", "2030-03-05")],
            FOREIGNER,
            [CARRY_PASSPORT],
            id="a document rule gives one undated requirement per country visit",
        ),
        table(
            (PASSPORT,),
            [
                stop("2030-03-01", "2030-03-03"),
                stop("2030-03-03", "2030-03-05", country=XB),
                stop("2030-03-05", "2030-03-07"),
            ],
            FOREIGNER,
            [CARRY_PASSPORT, CARRY_PASSPORT],
            id="two visits to the country give two document requirements",
        ),
        table(
            (replace(PASSPORT, nationalities=frozenset({"XL"})),),
            A_WEEK_FROM_1_MARCH,
            FOREIGNER,
            [],
            id="a document rule for other nationalities skips the traveller",
        ),
        table(
            (replace(PASSPORT, nationalities=frozenset({"XL"})),),
            A_WEEK_FROM_1_MARCH,
            VISA_FREE_FOREIGNER,
            [CARRY_PASSPORT],
            id="a document rule for the traveller's nationality applies",
        ),
        table(
            (DRONE_PAPERS,),
            [
                stop("2030-03-01", "2030-03-03"),
                stop("2030-03-03", "2030-03-05", activities=("drone",)),
            ],
            FOREIGNER,
            [("document", None, "", "xa-drone-papers")],
            id="a document rule for an activity applies when a stop of the visit lists it",
        ),
        table(
            (DRONE_PAPERS,),
            [stop("2030-03-01", "2030-03-03", activities=("driving",))],
            FOREIGNER,
            [],
            id="a document rule for an activity is skipped when no stop lists it",
        ),
        table(
            (PASSPORT,),
            A_WEEK_FROM_1_MARCH,
            NATIONAL,
            [],
            id="own nationals need no documents from the rules",
        ),
    ],
)
def test_document(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]
) -> None:
    check(rules, stops, who, expected)


# --- activities -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "stops", "who", "expected"),
    [
        table(
            (DRIVING,),
            [
                stop("2030-03-01", "2030-03-03", HARBOUR),
                stop("2030-03-03", "2030-03-06", SALT_FLATS, activities=("driving",)),
                stop("2030-03-06", "2030-03-08", HILL_STATION, activities=("driving",)),
            ],
            FOREIGNER,
            [("activity", "2030-03-03", "Salt Flats", "xa-driving")],
            id="an activity rule is due on the arrival of the first stop that lists it",
        ),
        table(
            (DRIVING,),
            [stop("2030-03-01", "2030-03-03", HARBOUR, activities=("trekking",))],
            FOREIGNER,
            [],
            id="no stop listing the activity means no requirement",
        ),
        table(
            (DRIVING,),
            [
                stop("2030-03-01", "2030-03-03", activities=("driving",)),
                stop("2030-03-03", "2030-03-05", country=XB, activities=("driving",)),
                stop("2030-03-05", "2030-03-07", HARBOUR, activities=("driving",)),
            ],
            FOREIGNER,
            [
                ("activity", "2030-03-01", "", "xa-driving"),
                ("activity", "2030-03-05", "Harbour Town", "xa-driving"),
            ],
            id="each country visit with the activity gets its own requirement",
        ),
        table(
            (replace(DRIVING, nationalities=frozenset({"XL"})),),
            [stop("2030-03-01", "2030-03-03", activities=("driving",))],
            FOREIGNER,
            [],
            id="an activity rule for other nationalities skips the traveller",
        ),
        table(
            (replace(DRIVING, nationalities=frozenset({"XM"})),),
            [stop("2030-03-01", "2030-03-03", activities=("driving",))],
            FOREIGNER,
            [("activity", "2030-03-01", "", "xa-driving")],
            id="an activity rule for the traveller's nationality applies",
        ),
    ],
)
def test_activity(
    rules: tuple[Rule, ...], stops: list[Stop], who: Traveller, expected: list[Line]
) -> None:
    check(rules, stops, who, expected)


# --- the checklist as a whole ---------------------------------------------------------------


def test_requirements_are_ordered_by_due_date_then_stop_then_kind() -> None:
    stops = [
        stop("2030-03-05", "2030-03-10", OLD_FORT),
        stop("2030-03-01", "2030-03-05", HARBOUR, activities=("driving",)),
    ]
    rules = (PASSPORT, DRIVING, PERMIT, REGISTRATION, VISA_FREE)
    assert checklist(run(stops, rules)) == [
        ("visa", "2030-03-01", "", "xa-visa-free"),
        ("activity", "2030-03-01", "Harbour Town", "xa-driving"),
        ("permit", "2030-03-01", "Old Fort", "xa-permits"),
        ("registration", "2030-03-05", "Harbour Town", "xa-registration"),
        ("document", None, "", "xa-passport"),
    ]
    assert [req.stop_index for req in run(stops, rules).requirements] == [1, 1, 0, 1, 1]


# --- advisory sections ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trip_stop", "keys"),
    [
        pytest.param(
            stop("2030-03-01", "2030-03-03", HARBOUR),
            ["xa-general"],
            id="a section without applicability matches every stop",
        ),
        pytest.param(
            stop("2030-03-01", "2030-03-03", OLD_FORT),
            ["xa-general", "xa-fort"],
            id="a place section matches a stop at that place",
        ),
        pytest.param(
            stop("2030-03-01", "2030-03-03", place_text="Old Fort"),
            ["xa-general"],
            id="a place section does not match unmatched free text",
        ),
        pytest.param(
            stop("2030-03-01", "2030-03-03", SALT_FLATS, activities=("trekking", "drone")),
            ["xa-general", "xa-trekking"],
            id="an activity section matches a stop that lists the activity",
        ),
        pytest.param(
            stop("2030-03-01", "2030-03-03", HARBOUR, activities=("nightlife",)),
            ["xa-general", "xa-nightlife"],
            id="a section for a place and an activity matches a stop with both",
        ),
        pytest.param(
            stop("2030-03-01", "2030-03-03", SALT_FLATS, activities=("nightlife",)),
            ["xa-general"],
            id="a section for a place and an activity needs the place too",
        ),
        pytest.param(
            stop("2030-12-28", "2031-01-03", HARBOUR),
            ["xa-general", "xa-blizzards"],
            id="a january section matches a stay from december across the year end",
        ),
        pytest.param(
            stop("2030-12-20", "2030-12-31", HARBOUR),
            ["xa-general"],
            id="a january section does not match a stay that ends on new year's eve",
        ),
        pytest.param(
            stop("2030-03-30", "2030-04-02", HARBOUR),
            ["xa-general", "xa-floods"],
            id="a month section matches a stay that reaches into that month",
        ),
        pytest.param(
            stop("2030-03-30", "2030-04-02", country=XC),
            [],
            id="a country without an advisory has no sections",
        ),
    ],
)
def test_section_matching(trip_stop: Stop, keys: list[str]) -> None:
    assert [section.key for section in run([trip_stop]).sections] == keys


def test_matched_sections_name_their_stop_and_place() -> None:
    stops = [
        stop("2030-03-05", "2030-03-06", OLD_FORT),
        stop("2030-03-01", "2030-03-05", country=XB),
    ]
    assert [
        (s.stop_index, s.country, s.place, s.key, s.topic, s.heading, s.level)
        for s in run(stops).sections
    ] == [
        (0, XA, "Old Fort", "xa-general", "security", "General security", None),
        (0, XA, "Old Fort", "xa-fort", "security", "Around the fort", None),
    ]


# --- risk level and its explanation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("stops", "level", "explanation"),
    [
        pytest.param(
            [stop("2030-03-01", "2030-03-03", HARBOUR)],
            2,
            ["Xanadu advisory: level 2"],
            id="a place without a level takes its country's advisory level",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", OLD_FORT)],
            4,
            ["Old Fort is a closed area: level 4"],
            id="a closed area with its own level raises the risk",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", HILL_STATION)],
            1,
            ["Hill Station: level 1"],
            id="a place's own level replaces its country's even when lower",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", HARBOUR, activities=("nightlife",))],
            3,
            [
                "Xanadu advisory: level 2",
                'Section "Nightlife crime" (Harbour Town, nightlife): level 3',
            ],
            id="a matched section with a level raises the risk",
        ),
        pytest.param(
            [stop("2030-12-28", "2031-01-03")],
            3,
            ["Xanadu advisory: level 2", 'Section "January blizzards" (January): level 3'],
            id="a seasonal section explains itself by its month",
        ),
        pytest.param(
            [
                stop("2030-03-01", "2030-03-03", country=XB),
                stop("2030-03-03", "2030-03-05", OLD_FORT),
            ],
            4,
            ["Brobdingnag advisory: level 1", "Old Fort is a closed area: level 4"],
            id="the riskiest stop of the trip sets the level",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03"), stop("2030-03-04", "2030-03-05", country=XC)],
            None,
            ["Xanadu advisory: level 2", "Erewhon (XC) has no published advisory: risk unknown"],
            id="a country without an advisory makes the risk unknown",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", HARBOUR), stop("2030-03-03", "2030-03-05", HARBOUR)],
            2,
            ["Xanadu advisory: level 2"],
            id="a contribution repeated by several stops is explained once",
        ),
    ],
)
def test_risk_level(stops: list[Stop], level: int | None, explanation: list[str]) -> None:
    assessment = run(stops)
    assert assessment.risk_level == level
    assert list(assessment.explanation) == explanation


def test_a_country_unknown_to_the_content_is_named_by_its_code() -> None:
    trip = [stop("2030-03-01", "2030-03-03", country="XQ")]
    assert run(trip).explanation == ("XQ has no published advisory: risk unknown",)


def test_content_versions_record_each_advisory_the_assessment_used() -> None:
    stops = [
        stop("2030-03-01", "2030-03-03", country=XB),
        stop("2030-03-03", "2030-03-05"),
        stop("2030-03-05", "2030-03-07", country=XC),
    ]
    assert run(stops).content_versions == {XB: 7, XA: 3}


# --- approval -------------------------------------------------------------------------------

THRESHOLD_3 = "Risk level 3 is at or above the company threshold of 3"
THRESHOLD_4 = "Risk level 4 is at or above the company threshold of 3"
UNKNOWN = "Erewhon (XC) has no published advisory: risk unknown"


@pytest.mark.parametrize(
    ("stops", "rules", "policy", "approval"),
    [
        pytest.param(
            [stop("2030-03-01", "2030-03-03", HARBOUR)],
            (),
            Policy(),
            (False, 0, ()),
            id="a trip below the threshold needs no approval",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", HARBOUR, activities=("nightlife",))],
            (),
            Policy(),
            (True, 1, (THRESHOLD_3,)),
            id="a trip at the threshold needs one approval",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", BURNING_CLIFFS)],
            (),
            Policy(),
            (
                True,
                2,
                (
                    "Risk level 5 is at or above the company threshold of 3",
                    "Risk level 5 needs the approval of two security managers",
                ),
            ),
            id="a trip at level five needs two approvals",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", OLD_FORT)],
            (PERMIT,),
            Policy(),
            (
                True,
                1,
                (THRESHOLD_4, "Old Fort is a closed area", "A permit is required for Old Fort"),
            ),
            id="a closed area needs approval for its level its closure and its permit",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", QUIET_FORT)],
            (),
            Policy(),
            (True, 1, ("Quiet Fort is a closed area", "A permit is required for Quiet Fort")),
            id="a closed area needs approval whatever its level",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", SALT_FLATS)],
            (PERMIT,),
            Policy(),
            (True, 1, ("A permit is required for Salt Flats",)),
            id="a permit for a listed place needs approval",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", QUIET_FORT)],
            (),
            Policy(closed_area_needs_approval=False),
            (True, 1, ("A permit is required for Quiet Fort",)),
            id="the closed-area flag switches its reason off",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", QUIET_FORT)],
            (),
            Policy(permit_needs_approval=False),
            (True, 1, ("Quiet Fort is a closed area",)),
            id="the permit flag switches its reason off",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", QUIET_FORT)],
            (),
            Policy(closed_area_needs_approval=False, permit_needs_approval=False),
            (False, 0, ()),
            id="with both flags off a quiet closed area needs no approval",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", WINDY_PASS)],
            (),
            Policy(threshold_level=5),
            (False, 0, ()),
            id="a company threshold of five lets a level four trip through",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", WINDY_PASS)],
            (),
            Policy(dual_approval_level=4),
            (True, 2, (THRESHOLD_4, "Risk level 4 needs the approval of two security managers")),
            id="a dual approval level of four asks two approvals at level four",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", WINDY_PASS)],
            (),
            Policy(threshold_level=5, dual_approval_level=4),
            (True, 2, ("Risk level 4 needs the approval of two security managers",)),
            id="the dual approval level asks two approvals even above the company threshold",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", country=XC)],
            (),
            Policy(),
            (True, 1, (UNKNOWN,)),
            id="an unknown risk needs approval",
        ),
        pytest.param(
            [stop("2030-03-01", "2030-03-03", country=XC)],
            (),
            Policy(unknown_risk_needs_approval=False),
            (False, 0, ()),
            id="the unknown-risk flag switches its reason off",
        ),
        pytest.param(
            [
                stop("2030-03-01", "2030-03-03", BURNING_CLIFFS),
                stop("2030-03-04", "2030-03-05", country=XC),
            ],
            (),
            Policy(),
            (
                True,
                2,
                (
                    "Risk (unknown) of at least level 5 is at or above the company threshold of 3",
                    "Risk (unknown) of at least level 5 needs the approval of two "
                    "security managers",
                    "Erewhon (XC) has no published advisory: risk unknown",
                ),
            ),
            id="an unknown risk is at least what is known: level five still needs two approvals",
        ),
    ],
)
def test_approval(
    stops: list[Stop],
    rules: tuple[Rule, ...],
    policy: Policy,
    approval: tuple[bool, int, tuple[str, ...]],
) -> None:
    assessment = run(stops, rules, policy=policy)
    assert (
        assessment.requires_approval,
        assessment.approvals_needed,
        assessment.approval_reasons,
    ) == approval


def test_own_nationals_in_a_closed_area_need_approval_but_no_permit() -> None:
    assessment = run([stop("2030-03-01", "2030-03-03", QUIET_FORT)], (PERMIT,), NATIONAL)
    assert assessment.requirements == ()
    assert assessment.approval_reasons == ("Quiet Fort is a closed area",)


# --- input the engine refuses, and what it is made of ---------------------------------------


@pytest.mark.parametrize(
    "stops",
    [
        pytest.param([], id="a trip without stops is refused"),
        pytest.param([stop("2030-03-02", "2030-03-01")], id="a stop departing before it arrives"),
    ],
)
def test_invalid_itineraries_are_refused(stops: list[Stop]) -> None:
    with pytest.raises(ValueError):
        run(stops)


def test_the_engine_imports_nothing_but_the_standard_library_and_framework_free_helpers() -> None:
    tree = ast.parse(Path(trips.engine.__file__).read_text())
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {
        "bisect",
        "collections.abc",
        "dataclasses",
        "datetime",
        "core.lib.dates",
        "core.lib.vocabulary",
    }


def test_a_winter_section_names_its_months_in_calendar_order_across_the_year_end() -> None:
    winter = replace(BLIZZARDS, key="xa-winter", heading="Winter storms", months=frozenset({12, 1}))
    advisories = {**ADVISORIES, XA: replace(ADVISORIES[XA], sections=(winter,))}
    assessment = assess(
        stops=[stop("2030-12-28", "2031-01-03")],
        traveller=FOREIGNER,
        content=Content(advisories=advisories, rules={}, country_names=COUNTRY_NAMES),
        policy=DEFAULT_POLICY,
    )
    assert 'Section "Winter storms" (December, January): level 3' in assessment.explanation
