"""A worker killed (SIGKILL) in the middle of a 300-recipient safety check, with a mail backend
as fast as a real one can be (the file backend): it may have sent one e-mail it had no time
to mark, no more, and everyone is asked within two minutes, the beat task's ticks driven
under a frozen clock rather than waited for (issue 23)."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
import time_machine
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from incidents.checks.tasks import checks_tick
from incidents.models import CheckRecipient, SafetyCheck
from tests.factories import IncidentFactory, PlaceFactory, api_as, country, manager
from tests.integration.test_safety_checks import ASK, Mailbox, wait_for
from trips.models import Stop, Trip

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PEOPLE = 300


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def three_hundred_in(place) -> None:
    users = User.objects.bulk_create(
        [User(username=f"t{n}", email=f"t{n}@example.com") for n in range(PEOPLE)]
    )
    trips = Trip.objects.bulk_create(
        [
            Trip(
                traveller=user,
                created_by=user,
                purpose="Site visit",
                status="approved",
                first_arrival=days(-1),
                last_departure=days(3),
            )
            for user in users
        ]
    )
    Stop.objects.bulk_create(
        [
            Stop(
                trip=trip,
                position=0,
                country_id="KZ",
                place=place,
                arrival=days(-1),
                departure=days(3),
            )
            for trip in trips
        ]
    )


def kill_once_it_has_sent(worker, check: SafetyCheck) -> None:
    """SIGKILL the worker as soon as it has marked its first e-mail delivered: a fraction
    of a second into the check, in the middle of its first batch."""
    delivered = CheckRecipient.objects.filter(safety_check=check, delivered_cycle=1)
    deadline = time.monotonic() + 60
    while not delivered.exists():
        assert time.monotonic() < deadline, worker.output()[-4000:]
        time.sleep(0.005)
    worker.kill()


def test_a_worker_killed_mid_check_resends_at_most_one_and_everyone_is_asked_within_two_minutes(
    celery_worker_factory, tmp_path
):
    mailbox = Mailbox(tmp_path / "mail")
    worker = celery_worker_factory(EMAIL_URL=f"file://{mailbox.folder}").start()
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    incident = IncidentFactory(title="Earthquake", places=[almaty], starts_on=days(-1))
    three_hundred_in(almaty)

    response = api_as(manager(username="morgan")).post(
        reverse("api-incident-checks", args=[incident.pk]), {}, format="json"
    )
    assert response.status_code == 201 and response.json()["recipients"] == PEOPLE
    check = SafetyCheck.objects.get(pk=response.json()["id"])
    kill_once_it_has_sent(worker, check)
    killed_at = timezone.now()

    def asks() -> Counter[str]:
        return Counter(m.to[0] for m in mailbox.all() if ASK in m.subject)

    sent = asks()
    marked = CheckRecipient.objects.filter(safety_check=check, delivered_cycle=1).count()
    assert 1 <= marked < PEOPLE, "the worker was not killed mid-check"
    # Whatever it sent is marked delivered, but the one e-mail it was sending at most.
    assert sum(sent.values()) - marked <= 1

    fresh = celery_worker_factory(EMAIL_URL=f"file://{mailbox.folder}").start()
    # The second batch (50) waited in the queue: the new worker sends it. Only then the
    # clock is moved on: a frozen clock a minute ahead would take the claims of a batch
    # being sent now for a dead worker's.
    fresh.wait_for_log(f"Safety check {check.pk}: asked 50 of 50 recipients", timeout=60)
    # The beat task runs every minute, here under a frozen clock: its first tick after the
    # death finds the dead worker's claims stale and queues them again at once.
    with time_machine.travel(killed_at + dt.timedelta(minutes=1), tick=False):
        assert checks_tick()["healed"] == 1
    wait_for(
        lambda: (
            CheckRecipient.objects.filter(safety_check=check, delivered_cycle=1).count() == PEOPLE
        ),
        timeout=60,
        message="Not everyone was asked after the worker's death",
        worker=fresh,
    )
    counted = asks()
    assert len(counted) == PEOPLE
    twice = [address for address, times in counted.items() if times > 1]
    assert len(twice) <= 1, f"{len(twice)} people were asked twice"
    assert sum(counted.values()) <= PEOPLE + 1
    # The ticks that follow (the second minute, the third) send nobody anything more.
    for minutes in (2, 3):
        with time_machine.travel(killed_at + dt.timedelta(minutes=minutes), tick=False):
            assert checks_tick()["healed"] == 0
    time.sleep(1)
    assert asks() == counted
