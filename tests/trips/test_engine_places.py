"""Place matching (core.lib.places) and what the engine says of a place it does not know.

Everything is invented, as in test_engine.py: Xanadu (XA) has a published advisory and curated
places, among them closed areas; Brobdingnag (XB) has an advisory and no closed area.
"""

import pytest

from core.lib.places import PlaceMatcher
from tests.trips.engine_world import ADVISORIES, COUNTRY_NAMES, FOREIGNER, XA, XB, stop
from trips.engine import Content, PlaceRef, assess

OLD_FORT = PlaceRef("Old Fort", XA, kind="closed_area", level=4)
HARBOUR = PlaceRef("Harbour Town", XA)
HARBOUR_REGION = PlaceRef("Harbour Town Region", XA, kind="region")
SAINT_ANNE = PlaceRef("Sainte-Anne", XA)
CASTLE = PlaceRef("Castle Rock", XB)

XANADU = [
    (OLD_FORT, "Old Fort", ["Fort Ancien"]),
    (HARBOUR, "Harbour Town", ["Port"]),
    (HARBOUR_REGION, "Harbour Town Region", []),
    (SAINT_ANNE, "Sainte-Anne", ["Ste Anne"]),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("Old Fort", OLD_FORT, id="the exact name"),
        pytest.param("old fort", OLD_FORT, id="the name in another case"),
        pytest.param("Fort Ancien", OLD_FORT, id="an alias"),
        pytest.param("SAINTE ANNE", SAINT_ANNE, id="punctuation ignored"),
        pytest.param("Sáinte-Anne", SAINT_ANNE, id="accents ignored"),
        pytest.param("Old Fort Cosmodrome", OLD_FORT, id="the name inside longer text"),
        pytest.param("Hotel du Port, north quay", HARBOUR, id="an alias inside longer text"),
        pytest.param(
            "Harbour Town Region (east)", HARBOUR_REGION, id="the longest name found wins"
        ),
        pytest.param("harbour town", HARBOUR, id="the shorter name alone is that place"),
        pytest.param("Oldfort", None, id="only whole words match"),
        pytest.param("Portside", None, id="an alias only as a whole word"),
        pytest.param("Kosmodrom", None, id="no match"),
        pytest.param("  ...  ", None, id="punctuation alone matches nothing"),
    ],
)
def test_a_typed_place_matches_by_whole_words_and_the_longest_name_wins(typed, expected):
    assert PlaceMatcher(XANADU).match(typed) == expected


def test_a_place_s_own_name_wins_over_another_place_s_alias_of_the_same_length():
    other = PlaceRef("Port", XA)
    matcher = PlaceMatcher([(HARBOUR, "Harbour Town", ["Port"]), (other, "Port", [])])
    assert matcher.match("Port") == other


def test_between_two_names_of_the_same_length_the_one_typed_first_wins():
    assert PlaceMatcher(XANADU).match("Old Fort then Ste Anne") == OLD_FORT


def content() -> Content:
    return Content(
        advisories=ADVISORIES,
        rules={},
        country_names=COUNTRY_NAMES,
        places={XA: tuple(ref for ref, _, _ in XANADU), XB: (CASTLE,)},
    )


def test_an_unknown_place_is_kept_said_and_sent_to_a_manager_in_a_country_with_closed_areas():
    typed = stop("2030-03-01", "2030-03-03", place_text="Kosmodrom")
    assessment = assess(stops=[typed], traveller=FOREIGNER, content=content())
    line = (
        "'Kosmodrom' is not a place we know in Xanadu: its closed areas are Old Fort, "
        "its other places Harbour Town, Harbour Town Region and Sainte-Anne"
    )
    assert line in assessment.explanation
    assert assessment.requires_approval
    assert assessment.approval_reasons == (
        f"{line}: a security manager must check it is not a closed area",
    )
    assert assessment.risk_level == 2  # the country's level, as for any place without one


def test_an_unknown_place_in_a_country_without_closed_areas_is_said_but_needs_no_approval():
    typed = stop("2030-03-01", "2030-03-03", country=XB, place_text="Lighthouse")
    assessment = assess(stops=[typed], traveller=FOREIGNER, content=content())
    assert (
        "'Lighthouse' is not a place we know in Brobdingnag: the places we know there are "
        "Castle Rock"
    ) in assessment.explanation
    assert not assessment.requires_approval


def test_a_stop_without_a_place_is_not_an_unknown_place():
    assessment = assess(
        stops=[stop("2030-03-01", "2030-03-03")], traveller=FOREIGNER, content=content()
    )
    assert not any("not a place we know" in line for line in assessment.explanation)
    assert not assessment.requires_approval
