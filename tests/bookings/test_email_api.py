"""`POST /api/bookings/email/` (a raw e-mail, message/rfc822) and the inbound webhook of the
provider named by BOOKINGS_INBOUND (anymail's own view, its secret checked by anymail).

The API hands the e-mail to a worker through the outbox after its row commits, so these
tests commit for real (transactional, the seeded rows restored after each)."""

from __future__ import annotations

import base64
import importlib
import json

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import clear_url_caches

from advisories.packs import pack_import
from bookings.mail.receive import READ_TASK
from bookings.models import Booking, BookingState
from core import roles
from core.models import OutboxMessage
from portal.celery import app as celery_app
from tests import factories
from tests.bookings.email_helpers import BEFORE_THE_TRIPS, EXTRACTORS, fixture
from trips.models import Trip

URL = "/api/bookings/email/"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _world():
    with time_machine.travel(BEFORE_THE_TRIPS, tick=True):
        pack_import(factories.content_pack("KZ"), by=None)
        yield


@pytest.fixture(params=EXTRACTORS)
def extractor(request, settings):
    settings.BOOKINGS_EXTRACTOR = request.param
    return request.param


@pytest.fixture
def eva():
    return factories.employee(username="eva", email="eva.green@example.org")


@pytest.fixture
def feed():
    account = factories.without_role(username="acme-feed")
    account.groups.add(Group.objects.get(name=roles.BOOKING_FEED))
    return account


def post(user, raw: bytes):
    client = factories.api_as(user) if user is not None else factories.APIClient()
    return client.post(URL, data=raw, content_type="message/rfc822")


def test_the_feed_account_posts_an_email_and_gets_the_booking_and_its_trip(extractor, eva, feed):
    response = post(feed, fixture("flight-jsonld-connection.eml"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "assigned"
    booking = Booking.objects.get(pk=body["booking"])
    assert booking.reference == "RXJ34P" and booking.traveller == eva
    assert Trip.objects.get(pk=body["trip"]).traveller == eva

    again = post(feed, fixture("flight-jsonld-connection.eml"))
    assert again.status_code == 200
    assert again.json()["booking"] == body["booking"]
    assert Booking.objects.count() == 1 and Trip.objects.count() == 1


def test_a_manager_may_post_an_email_and_an_employee_may_not(eva):
    manager = factories.manager()
    assert post(manager, fixture("hotel-microdata.eml")).status_code == 201
    assert post(eva, fixture("hotel-microdata.eml")).status_code == 403
    assert post(None, fixture("hotel-microdata.eml")).status_code == 401


def test_an_email_without_a_reservation_is_kept_unassigned_with_a_202(extractor, feed):
    response = post(feed, fixture("no-reservation.eml"))
    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["trip"]) == ("unassigned", None)
    assert Booking.objects.get(pk=body["booking"]).state == BookingState.UNASSIGNED
    assert post(feed, fixture("no-reservation.eml")).json()["booking"] == body["booking"]
    assert Booking.objects.count() == 1


def test_a_booking_the_service_refuses_is_a_400_naming_the_segment(feed):
    raw = fixture("flight-jsonld-connection.eml").replace(b'"NQZ"', b'"XQX"')
    response = post(feed, raw)
    assert response.status_code == 400
    assert any("segments[0]" in field for field in response.json()), response.json()
    assert not Booking.objects.exists()


def test_an_email_over_ten_megabytes_is_refused_with_a_413(feed):
    raw = b"From: a@example.org\r\nSubject: big\r\n\r\n" + b"x" * (10 * 1024 * 1024)
    response = post(feed, raw)
    assert response.status_code == 413
    assert "email" in response.json()
    assert not Booking.objects.exists()


def test_an_empty_body_is_a_400_and_json_a_415(feed):
    assert post(feed, b"").status_code == 400
    response = factories.api_as(feed).post(URL, data={}, format="json")
    assert response.status_code == 415


@pytest.fixture
def postmark_inbound(settings):
    """The webhook mounted for Postmark, with anymail's basic-auth secret."""
    settings.BOOKINGS_INBOUND = "postmark"
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    import bookings.mail.urls
    import portal.urls

    def remount():
        importlib.reload(bookings.mail.urls)
        importlib.reload(portal.urls)
        clear_url_caches()

    remount()
    yield "/bookings/inbound/postmark/inbound/"
    settings.BOOKINGS_INBOUND = ""
    remount()


def postmark_post(url: str, raw: bytes, secret: str):
    # Postmark's inbound JSON, with "Include raw email content" on (RawEmail).
    payload = {"FromFull": {"Email": "bookings@acme-tmc.example"}, "RawEmail": raw.decode()}
    credentials = base64.b64encode(secret.encode()).decode()
    return Client().post(
        url,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )


def test_the_inbound_webhook_files_the_booking_it_receives(postmark_inbound, eva):
    response = postmark_post(
        postmark_inbound, fixture("flight-jsonld-connection.eml"), "hook:s3cret"
    )
    assert response.status_code == 200
    booking = Booking.objects.get(reference="RXJ34P")
    assert booking.traveller == eva and booking.trip is not None


def test_the_inbound_webhook_refuses_a_wrong_secret(postmark_inbound, eva):
    response = postmark_post(
        postmark_inbound, fixture("flight-jsonld-connection.eml"), "hook:guess"
    )
    assert response.status_code in (400, 401, 403)
    assert not Booking.objects.exists()


def test_without_bookings_inbound_there_is_no_webhook():
    response = Client().post(
        "/bookings/inbound/postmark/inbound/", data="{}", content_type="application/json"
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_with_no_shared_cache_a_worker_elsewhere_means_a_202_at_once_and_the_email_kept(feed):
    # A worker in another process cannot leave its answer in this process's own cache: the
    # e-mail is kept in the outbox for it and the API says it is queued, without waiting.
    celery_app.conf.task_always_eager = False
    response = post(feed, fixture("flight-jsonld-connection.eml"))
    assert response.status_code == 202
    assert response.json() == {"status": "queued"}
    [queued] = OutboxMessage.objects.filter(task=READ_TASK)
    assert base64.b64decode(queued.kwargs["raw"]) == fixture("flight-jsonld-connection.eml")
    assert not Booking.objects.exists()
