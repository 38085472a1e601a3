"""trips.engine: open incidents as part of the assessment (product.md, "Assessment": the
assessment's ``incidents``). Xanadu's advisory is level 2 (tests.trips.engine_world)."""

from datetime import date

from tests.trips.engine_world import (
    BURNING_CLIFFS,
    DEFAULT_POLICY,
    FOREIGNER,
    HARBOUR,
    XA,
    XB,
    XC,
    content,
    d,
    stop,
)
from trips.engine import Hazard, HazardTouch, Policy, assess, days_after

TODAY = d("2030-03-01")


def hazard(
    severity: str = "critical",
    *,
    starts_on: str = "2030-02-27",
    ends_on: str | None = None,
    lookahead_days: int = 3,
    touches: tuple[tuple[int, str], ...] = ((0, "place"),),
    title: str = "Earthquake in Harbour Town",
    id: int = 7,
) -> Hazard:
    return Hazard(
        id=id,
        title=title,
        severity=severity,
        starts_on=d(starts_on),
        ends_on=d(ends_on) if ends_on else None,
        lookahead_days=lookahead_days,
        touches=tuple(HazardTouch(stop_index=i, match=m) for i, m in touches),
    )


def run(stops, hazards, policy: Policy = DEFAULT_POLICY):
    return assess(
        stops=stops,
        traveller=FOREIGNER,
        content=content(),
        policy=policy,
        today=TODAY,
        hazards=hazards,
    )


NAMED = "Critical incident: Earthquake in Harbour Town (since 27 Feb)"
TOMORROW_IN_HARBOUR = [stop("2030-03-02", "2030-03-04", HARBOUR)]


def test_a_quiet_trip_is_level_2_and_approved_automatically_without_incidents():
    result = run(TOMORROW_IN_HARBOUR, [])
    assert (result.risk_level, result.requires_approval, result.incidents) == (2, False, ())


def test_a_critical_incident_raises_the_level_to_4_and_requires_approval_naming_it():
    result = run(TOMORROW_IN_HARBOUR, [hazard("critical")])

    assert result.risk_level == 4
    assert result.requires_approval
    assert result.approvals_needed == 1
    assert result.approval_reasons[0] == NAMED
    assert "Earthquake in Harbour Town, critical, since 27 Feb: at least level 4" in (
        result.explanation
    )
    [incident] = result.incidents
    assert (incident.id, incident.severity, incident.match, incident.stop_indexes) == (
        7,
        "critical",
        "place",
        (0,),
    )


def test_a_critical_incident_requires_approval_even_above_a_lenient_threshold():
    result = run(TOMORROW_IN_HARBOUR, [hazard("critical")], policy=Policy(threshold_level=5))

    assert result.requires_approval
    assert result.approval_reasons == (NAMED,)


def test_a_critical_incident_never_lowers_a_higher_level():
    burning = [
        stop("2030-03-02", "2030-03-04", HARBOUR),
        stop("2030-03-05", "2030-03-06", BURNING_CLIFFS),
    ]
    result = run(burning, [hazard("critical")])
    assert result.risk_level == 5
    assert result.approvals_needed == 2


def test_a_warning_is_listed_and_explained_without_changing_the_level():
    result = run(TOMORROW_IN_HARBOUR, [hazard("warning", title="Strike at the harbour")])

    assert (result.risk_level, result.requires_approval, result.approval_reasons) == (2, False, ())
    assert "Strike at the harbour, warning, since 27 Feb" in result.explanation
    assert [incident.severity for incident in result.incidents] == ["warning"]


def test_an_info_incident_is_not_part_of_the_assessment():
    result = run(TOMORROW_IN_HARBOUR, [hazard("info")])

    assert (result.risk_level, result.requires_approval, result.incidents) == (2, False, ())
    assert not any("Earthquake" in line for line in result.explanation)


def test_an_open_incident_touches_a_stop_next_month():
    next_month = [stop("2030-04-02", "2030-04-05", HARBOUR)]
    result = run(next_month, [hazard("critical", starts_on="2030-02-01")])

    assert result.risk_level == 4
    assert [incident.id for incident in result.incidents] == [7]


def test_an_incident_whose_window_ended_before_the_stop_does_not_touch_it():
    # Ended on 20 March with 3 days' lookahead: the window closed on 23 March.
    later = [stop("2030-03-24", "2030-03-26", HARBOUR)]
    result = run(later, [hazard("critical", ends_on="2030-03-20", lookahead_days=3)])

    assert (result.risk_level, result.requires_approval, result.incidents) == (2, False, ())


def test_a_stop_arriving_within_the_lookahead_after_the_end_is_touched():
    within = [stop("2030-03-23", "2030-03-26", HARBOUR)]
    result = run(within, [hazard("critical", ends_on="2030-03-20", lookahead_days=3)])

    assert result.risk_level == 4


def test_a_stop_that_left_before_the_incident_started_is_not_touched():
    result = run(TOMORROW_IN_HARBOUR, [hazard("critical", starts_on="2030-03-05")])

    assert result.incidents == ()


def test_an_incident_ending_on_the_last_date_there_is_does_not_overflow():
    result = run(TOMORROW_IN_HARBOUR, [hazard("critical", ends_on="9999-12-31", lookahead_days=30)])

    assert result.risk_level == 4
    assert days_after(date.max, 30) == date.max
    assert days_after(date(9999, 12, 20), 30) == date.max


def test_a_possibly_touched_stop_says_so_and_still_counts():
    typed = [stop("2030-03-02", "2030-03-04", place_text="Somewhere by the sea")]
    result = run(typed, [hazard("critical", touches=((0, "possibly"),))])

    assert result.risk_level == 4
    assert result.incidents[0].match == "possibly"
    assert any("could not tell" in line for line in result.explanation)


def test_the_best_match_of_several_stops_is_the_incidents_match():
    two = [
        stop("2030-03-02", "2030-03-03", place_text="Somewhere"),
        stop("2030-03-04", "2030-03-05", HARBOUR),
    ]
    result = run(two, [hazard("warning", touches=((0, "possibly"), (1, "place")))])

    assert (result.incidents[0].match, result.incidents[0].stop_indexes) == ("place", (0, 1))


def test_critical_incidents_come_before_warnings():
    result = run(
        TOMORROW_IN_HARBOUR,
        [
            hazard("warning", id=1, title="Strike", starts_on="2030-02-01"),
            hazard("critical", id=2, title="Earthquake", starts_on="2030-02-28"),
        ],
    )

    assert [incident.id for incident in result.incidents] == [2, 1]


def test_an_unknown_risk_is_at_least_4_with_a_critical_incident():
    unknown = [stop("2030-03-02", "2030-03-04", country=XC)]
    result = run(unknown, [hazard("critical")])

    assert result.risk_level is None
    assert result.known_level == 4
    assert result.requires_approval


def test_a_touch_of_another_stop_than_those_given_is_ignored():
    elsewhere = [stop("2030-03-02", "2030-03-04", country=XB)]
    result = run(elsewhere, [hazard("critical", touches=((3, "place"),))])

    assert result.incidents == ()
    assert XA not in result.content_versions
