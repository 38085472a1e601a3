"""The manager's dashboard in a crisis (issue 22): incidents_crisis_summary lists the open
incidents touching travellers with who is there and arriving and the answers to the open
safety check, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.checks.services import check_answer, check_recipient_update, check_start
from incidents.models import CheckRecipient
from incidents.selectors import incidents_crisis_summary
from tests.factories import IncidentFactory, country, employee, manager, trip_with_stops

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def stay(traveller=None, *, place=None, place_text="", start=-1, end=3, code="KZ"):
    return trip_with_stops(
        {
            "country": country(code),
            "place": place,
            "place_text": place_text,
            "arrival": days(start),
            "departure": days(end),
        },
        **({"traveller": traveller} if traveller else {}),
    )


def answer(check, user, status):
    recipient = CheckRecipient.objects.get(safety_check=check, traveller=user)
    check_answer(recipient=recipient, status=status, channel="portal", by=user)
    return recipient


def test_an_incident_lists_who_is_there_arriving_and_the_checks_answers(kz):
    incident = IncidentFactory(title="Earthquake", places=[kz["almaty"]], starts_on=days(-1))
    safe, helpless, handled, silent = (employee() for _ in range(4))
    for user in (safe, helpless, handled, silent):
        stay(user, place=kz["almaty"])
    stay(place=kz["almaty"], start=1, end=4)  # arriving
    stay(place=kz["astana"])  # elsewhere: not touched
    boss = manager()
    check = check_start(incident=incident, by=boss)
    answer(check, safe, "safe")
    answer(check, helpless, "need_help")
    recipient = answer(check, handled, "need_help")
    check_recipient_update(recipient=recipient, by=boss, handled=True, note="Called, fine")

    [row] = incidents_crisis_summary()

    assert row.incident == incident
    assert (row.there, row.arriving) == (4, 1)
    assert row.check_id == check.pk
    assert (row.safe, row.need_help, row.need_help_unhandled, row.no_answer) == (1, 2, 1, 1)


def test_a_traveller_is_counted_once_and_there_before_arriving(kz):
    incident = IncidentFactory(places=[kz["almaty"]], starts_on=days(-1))
    both = employee()
    trip_with_stops(
        {
            "country": country("KZ"),
            "place": kz["almaty"],
            "arrival": days(-1),
            "departure": days(0),
        },
        {"country": country("KZ"), "place": kz["almaty"], "arrival": days(1), "departure": days(2)},
        traveller=both,
    )

    [row] = incidents_crisis_summary()

    assert row.incident == incident
    assert (row.there, row.arriving, row.check_id) == (1, 0, None)


def test_a_stop_of_unknown_place_is_possibly_there_and_free_text_is_matched(kz):
    IncidentFactory(places=[kz["almaty"]], starts_on=days(-1))
    stay(place_text="Kok-Tobe hills")  # possibly
    stay(place_text="Almaty city centre")  # the matcher recognises Almaty
    stay(place_text="Astana")  # recognised as another place: not touched

    [row] = incidents_crisis_summary()

    assert row.there == 2


def test_closed_incidents_and_incidents_touching_nobody_are_left_out(kz):
    IncidentFactory(title="Over", places=[kz["almaty"]], starts_on=days(-5), ends_on=days(-1))
    IncidentFactory(title="Quiet", places=[kz["astana"]], starts_on=days(-1))
    stay(place=kz["almaty"])

    assert incidents_crisis_summary() == []


def test_the_most_severe_comes_first(kz):
    IncidentFactory(title="Strike", severity="warning", starts_on=days(-1))
    IncidentFactory(title="Quake", severity="critical", places=[kz["almaty"]], starts_on=days(-3))
    stay(place=kz["almaty"])

    assert [row.incident.title for row in incidents_crisis_summary()] == ["Quake", "Strike"]


def test_the_summary_costs_the_same_queries_for_one_or_many_incidents_and_travellers(kz):
    IncidentFactory(places=[kz["almaty"]], starts_on=days(-1))
    stay(place=kz["almaty"])
    stay(place_text="Somewhere in the hills")
    with CaptureQueriesContext(connection) as one:
        assert len(incidents_crisis_summary()) == 1

    mn = country("MN")
    for _ in range(3):
        incident = IncidentFactory(places=[kz["astana"]], starts_on=days(-1))
        check_start(incident=incident, by=manager())
        IncidentFactory(country=mn, starts_on=days(-2))
    for n in range(8):
        stay(place=kz["almaty"])
        stay(place=kz["astana"], start=-2 + n % 3)
        stay(place_text=f"Hill camp {n}", code="MN")
    with CaptureQueriesContext(connection) as many:
        assert len(incidents_crisis_summary()) == 7

    assert len(many) == len(one)
