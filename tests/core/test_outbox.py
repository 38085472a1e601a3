"""The transactional outbox (core.outbox): work recorded with the change that needs it, sent
after the commit, relayed with backoff while the broker is down, and done once."""

from __future__ import annotations

import copy
import datetime as dt
from io import StringIO
from unittest import mock

import pytest
from celery import shared_task
from celery.app.task import Task
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from advisories.packs import pack_import
from briefings.models import Briefing, BriefingStatus
from core import outbox
from core.models import OutboxMessage
from tests.factories import api_as, employee, manager
from tests.trips.helpers import TEST_PACK, post_trip, stop
from trips.models import Trip, TripStatus

pytestmark = pytest.mark.django_db

DONE: list[str] = []


@shared_task(name="tests.core.test_outbox.note")
def note(word: str) -> None:
    DONE.append(word)


@pytest.fixture(autouse=True)
def _nothing_done_yet():
    DONE.clear()
    outbox.breaker.reset()


def broker_down():
    """Every send to the broker fails as kombu fails when Redis refuses the connection."""
    return mock.patch.object(
        Task, "apply_async", side_effect=OperationalError("Error 111 connecting. Refused.")
    )


def later(seconds: float) -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=seconds)


def test_a_message_is_recorded_with_the_change_and_sent_once_it_commits(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        outbox.outbox_enqueue(task=note.name, kwargs={"word": "hello"}, key="k1")
        assert OutboxMessage.objects.get(key="k1").sent_at is None
        assert DONE == []
    assert len(callbacks) == 1
    assert DONE == ["hello"]
    message = OutboxMessage.objects.get(key="k1")
    assert message.sent_at is not None and message.attempts == 1


def test_a_message_rolled_back_with_its_transaction_is_never_sent(
    django_capture_on_commit_callbacks,
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.outbox_enqueue(task=note.name, kwargs={"word": "never"}, key="k1")
        raise RuntimeError("the state change failed")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert outbox.outbox_relay(now=later(3600)).sent == 0
    assert DONE == []


def test_recording_the_same_key_twice_records_and_sends_one_message(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first = outbox.outbox_enqueue(task=note.name, kwargs={"word": "a"}, key="same")
        second = outbox.outbox_enqueue(task=note.name, kwargs={"word": "b"}, key="same")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert DONE == ["a"]


def test_a_message_the_broker_refuses_waits_with_backoff_and_the_relay_sends_it_once(
    django_capture_on_commit_callbacks,
):
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_enqueue(task=note.name, kwargs={"word": "late"}, key="k1")
    message = OutboxMessage.objects.get(key="k1")
    assert message.sent_at is None
    assert message.attempts == 1
    assert "Refused" in message.last_error
    assert DONE == []

    # Not before its backoff; then once, however often the relay runs.
    assert outbox.outbox_relay().sent == 0
    with broker_down():
        assert outbox.outbox_relay(now=later(6)).sent == 0
    assert OutboxMessage.objects.get(key="k1").attempts == 2
    assert outbox.outbox_relay(now=later(11)).sent == 0  # 10 s after the second failure
    result = outbox.outbox_relay(now=later(60))
    assert (result.sent, result.waiting) == (1, 0)
    assert outbox.outbox_relay(now=later(600)).sent == 0
    assert DONE == ["late"]
    message.refresh_from_db()
    assert (message.attempts, message.last_error) == (3, "")


def test_the_delay_between_attempts_doubles_up_to_a_minute():
    assert [outbox._backoff(n).total_seconds() for n in range(1, 8)] == [5, 10, 20, 40, 60, 60, 60]


def test_a_message_being_sent_is_not_sent_by_another_sender_until_its_lease_ends():
    message = OutboxMessage.objects.create(task=note.name, kwargs={"word": "x"}, key="k1")
    now = timezone.now()
    assert outbox._lease(message.pk, now) is not None  # a sender that then died
    assert outbox.outbox_send(message_id=message.pk, now=now) is False
    assert DONE == []
    assert outbox.outbox_send(message_id=message.pk, now=now + outbox.SEND_LEASE) is True
    assert DONE == ["x"]


def test_the_relay_stops_at_the_first_failure_while_the_broker_is_down():
    for word in ("a", "b", "c"):
        OutboxMessage.objects.create(task=note.name, kwargs={"word": word}, key=word)
    with broker_down() as send:
        result = outbox.outbox_relay()
    assert send.call_count == 1
    assert (result.sent, result.waiting) == (0, 3)
    assert outbox.outbox_relay().sent == 2  # the two that were not tried are still due
    assert outbox.outbox_relay(now=later(6)).sent == 1
    assert DONE == ["b", "c", "a"]


def test_the_relay_forgets_messages_sent_a_week_ago():
    old = OutboxMessage.objects.create(
        task=note.name, key="old", sent_at=timezone.now() - dt.timedelta(days=8)
    )
    OutboxMessage.objects.create(task=note.name, key="recent", sent_at=timezone.now())
    assert outbox.outbox_relay().deleted == 1
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


def test_run_once_does_the_work_once_per_key_and_again_only_if_it_failed():
    OutboxMessage.objects.create(
        task=note.name, kwargs={"word": "mail"}, key="mail:1", sent_at=timezone.now()
    )
    calls: list[int] = []

    def failing() -> None:
        raise ConnectionRefusedError("mail server down")

    with pytest.raises(ConnectionRefusedError):
        outbox.outbox_run_once(key="mail:1", work=failing)
    # Back in the outbox: the relay delivers it again after its backoff.
    message = OutboxMessage.objects.get(key="mail:1")
    assert (message.sent_at, message.started_at) == (None, None)
    assert "mail server down" in message.last_error
    assert outbox.outbox_relay().sent == 0
    assert outbox.outbox_relay(now=later(6)).sent == 1
    assert outbox.outbox_run_once(key="mail:1", work=lambda: calls.append(1)) is True
    assert outbox.outbox_run_once(key="mail:1", work=lambda: calls.append(2)) is False
    assert calls == [1]
    assert OutboxMessage.objects.get(key="mail:1").done_at is not None


def test_after_a_failed_send_the_next_commits_leave_their_messages_to_the_relay_for_a_while(
    django_capture_on_commit_callbacks,
):
    with broker_down() as send, django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_enqueue(task=note.name, kwargs={"word": "a"}, key="a")
        outbox.outbox_enqueue(task=note.name, kwargs={"word": "b"}, key="b")
    assert send.call_count == 1  # "b" did not wait for a broker known to be down
    assert OutboxMessage.objects.get(key="b").attempts == 0
    assert outbox.outbox_relay(now=later(6)).sent == 2
    assert sorted(DONE) == ["a", "b"]


def test_the_relay_command_sends_what_waits_and_says_so():
    OutboxMessage.objects.create(task=note.name, kwargs={"word": "cron"}, key="k1")
    out = StringIO()
    call_command("relay_outbox", stdout=out)
    assert out.getvalue().strip() == "sent 1, waiting 0, deleted 0"
    assert DONE == ["cron"]


# --- the services, with the broker down -----------------------------------------------------


@pytest.fixture
def catalogue(db):
    pack_import(copy.deepcopy(TEST_PACK), by=None)
    # Its publication's re-assessment (of no trip) was never sent: tests count their own.
    OutboxMessage.objects.all().delete()


def test_approving_while_the_broker_is_down_answers_normally_and_the_work_follows_once(
    catalogue, django_capture_on_commit_callbacks
):
    traveller, boss = employee(), manager()
    trip = post_trip(traveller, stop(activities=["nightlife"]))
    with django_capture_on_commit_callbacks(execute=True):
        api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    mail.outbox.clear()

    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        response = api_as(boss).post(f"/api/trips/{trip['id']}/approve/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    briefing = Briefing.objects.get(trip_id=trip["id"])
    assert briefing.status == BriefingStatus.QUEUED
    assert sorted(OutboxMessage.objects.filter(sent_at=None).values_list("task", flat=True)) == [
        "briefings.tasks.render_briefing",
        "trips.tasks.send_trip_email",
    ]
    assert mail.outbox == []

    # The broker is back: one relay pass renders the briefing and sends each e-mail once.
    with django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_relay(now=later(60))
        outbox.outbox_relay(now=later(120))
    briefing.refresh_from_db()
    assert briefing.status == BriefingStatus.READY
    assert sorted(m.subject for m in mail.outbox) == [
        "Your pre-travel briefing is ready: Site visit",
        'Your trip "Site visit" was approved',
    ]


def test_a_trip_email_delivered_twice_is_sent_once(catalogue, django_capture_on_commit_callbacks):
    traveller, boss = employee(), manager()
    trip = post_trip(traveller, stop(activities=["nightlife"]))
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    message = OutboxMessage.objects.get(task="trips.tasks.send_trip_email")
    from trips.tasks import send_trip_email

    send_trip_email.apply(kwargs=message.kwargs)
    send_trip_email.apply(kwargs=message.kwargs)
    assert [m.to for m in mail.outbox] == [[boss.email]]


def test_publishing_while_the_broker_is_down_records_the_reassessment_with_the_version(
    catalogue, django_capture_on_commit_callbacks
):
    traveller = employee()
    trip = post_trip(traveller, stop())
    with django_capture_on_commit_callbacks(execute=True):
        api_as(traveller).post(f"/api/trips/{trip['id']}/submit/")
    pack = copy.deepcopy(TEST_PACK)
    pack["countries"][0]["advisory"].update(level=4, change_note="Escalation")
    with broker_down(), django_capture_on_commit_callbacks(execute=True):
        pack_import(pack, by=None)
    assert Trip.objects.get(pk=trip["id"]).status == TripStatus.APPROVED
    message = OutboxMessage.objects.get(task="trips.tasks.reassess_country")
    assert (message.kwargs, message.sent_at) == ({"country_code": "MN", "version": 2}, None)

    with django_capture_on_commit_callbacks(execute=True):
        outbox.outbox_relay(now=later(60))
    assert Trip.objects.get(pk=trip["id"]).status == TripStatus.PENDING_APPROVAL
