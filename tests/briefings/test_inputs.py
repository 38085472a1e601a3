"""What changed for one trip between two briefings, in the traveller's words
(briefings.inputs.inputs_changes): pure, over two briefings' recorded inputs."""

import copy

import pytest

from briefings.inputs import inputs_changes, inputs_digest

BEFORE = {
    "level": 2,
    "explanation": ["Kazakhstan advisory: level 2"],
    "approval_reasons": [],
    "countries": {"KZ": {"label": "Kazakhstan", "level": 2, "summary": "s1"}},
    "sections": {"KZ/kz-crime": {"label": "Street crime", "level": None, "hash": "a"}},
    "places": {"KZ/Astana": {"label": "Astana", "level": None, "hash": "p"}},
    "requirements": {"r1": {"label": "Visa required", "due": "2027-03-01", "hash": "v"}},
    "contacts": {"KZ/c1": {"label": "Police, 102"}},
    "sources": {"kz-entry": {"label": "Academy, Rules of entry", "hash": "e"}},
}


def changed(edit) -> list[str]:
    after = copy.deepcopy(BEFORE)
    edit(after)
    return inputs_changes(BEFORE, after)


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        pytest.param(
            lambda a: a.update(level=3), ["Your risk level rose from 2 to 3."], id="level rose"
        ),
        pytest.param(
            lambda a: a.update(level=None),
            ["Your risk level is now unknown (it was 2)."],
            id="level unknown",
        ),
        pytest.param(
            lambda a: a["countries"]["KZ"].update(summary="s2"),
            ["Kazakhstan's summary changed."],
            id="summary",
        ),
        pytest.param(
            lambda a: a["sections"]["KZ/kz-crime"].update(hash="b"),
            ["Section 'Street crime' changed."],
            id="section reworded",
        ),
        pytest.param(
            lambda a: a["sections"].update(
                {"KZ/kz-new": {"label": "Protests", "level": None, "hash": "n"}}
            ),
            ["New section for your trip: 'Protests'."],
            id="section added",
        ),
        pytest.param(
            lambda a: a["places"]["KZ/Astana"].update(level=3, hash="q"),
            ["Astana's level is now 3 (it was unknown)."],
            id="place level",
        ),
        pytest.param(
            lambda a: a["requirements"]["r1"].update(due="2027-02-14", hash="w"),
            ["Requirement 'Visa required' is now due Sun 14 Feb 2027."],
            id="requirement due",
        ),
        pytest.param(
            lambda a: a["requirements"].pop("r1"),
            ["No longer required: Visa required."],
            id="requirement dropped",
        ),
        pytest.param(
            lambda a: a["contacts"].update({"KZ/c2": {"label": "Ambulance, 103"}}),
            ["New emergency contact: Ambulance, 103."],
            id="contact added",
        ),
        pytest.param(
            lambda a: a["sources"]["kz-entry"].update(hash="f"),
            ["Source 'Academy, Rules of entry' changed."],
            id="source changed",
        ),
        pytest.param(
            lambda a: a.update(approval_reasons=["A manager must look at it."]),
            ["Why your trip has its risk level changed: A manager must look at it."],
            id="only the reasons",
        ),
    ],
)
def test_each_change_to_a_trip_s_briefing_is_named_for_the_traveller(edit, said):
    assert changed(edit) == said


def test_the_same_inputs_change_nothing_and_have_the_same_digest():
    assert inputs_changes(BEFORE, copy.deepcopy(BEFORE)) == []
    assert inputs_digest(BEFORE) == inputs_digest(copy.deepcopy(BEFORE))
    assert inputs_digest(BEFORE) != inputs_digest({**BEFORE, "level": 3})
