"""Booking e-mails read into the contract's booking JSON: through KDE Itinerary's extractor
when it is installed, and through the markup fallback (forced with BOOKINGS_EXTRACTOR)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client

from bookings.mail.extractors import KITINERARY, MARKUP
from bookings.mail.reader import MAX_MESSAGE_BYTES, EmailTooLarge, booking_email_read
from portal import health
from tests import factories
from tests.bookings.email_helpers import EXTRACTORS, fixture, needs_kitinerary


@pytest.fixture(params=EXTRACTORS)
def extractor(request, settings):
    settings.BOOKINGS_EXTRACTOR = request.param
    return request.param


def read(name: str):
    return booking_email_read(fixture(name))


def test_a_round_trip_with_a_connection_is_one_booking_of_three_flights(extractor):
    found = read("flight-jsonld-connection.eml")
    assert found.extractor == extractor
    assert [payload["reference"] for payload in found.payloads] == ["RXJ34P"]
    booking = found.payloads[0]
    assert booking["status"] == "confirmed"
    assert booking["source"] == "acme-travel"
    assert booking["traveller"] == {"email": "eva.green@example.org", "name": "Eva Green"}
    assert [(s["carrier"], s["number"], s["from"], s["to"]) for s in booking["segments"]] == [
        ("KC", "922", "LHR", "NQZ"),
        ("KC", "942", "NQZ", "ALA"),
        ("KC", "941", "ALA", "LHR"),
    ]
    assert booking["segments"][0]["departs"] == "2027-03-04T14:00:00+00:00"
    assert booking["segments"][1]["arrives"] == "2027-03-05T03:50:00+05:00"


def test_a_hotel_in_microdata_keeps_its_city_dates_and_coordinates(extractor):
    booking = read("hotel-microdata.eml").payloads[0]
    assert booking["reference"] == "HA-558201"
    # No provider in the markup: the sender's domain names the source.
    assert booking["source"] == "hotel-almaty.example"
    assert booking["segments"] == [
        {
            "type": "hotel",
            "name": "Hotel Almaty",
            "city": "Almaty",
            "country": "KZ",
            "check_in": "2027-03-05",
            "check_out": "2027-03-09",
            "latitude": 43.26,
            "longitude": 76.95,
        }
    ]


def test_a_cancellation_says_cancelled(extractor):
    booking = read("flight-cancelled.eml").payloads[0]
    assert (booking["reference"], booking["status"]) == ("RXJ34P", "cancelled")


def test_a_multi_leg_journey_keeps_its_flights_and_train_in_order(extractor):
    booking = read("multi-leg-rail.eml").payloads[0]
    segments = booking["segments"]
    assert [segment["type"] for segment in segments] == ["flight", "flight", "rail"]
    # "LH1300" in the markup is carrier LH, number 1300.
    assert (segments[0]["carrier"], segments[0]["number"]) == ("LH", "1300")
    # Local times without offsets get the airport's: Frankfurt and Istanbul in April.
    assert segments[0]["departs"] == "2027-04-12T10:15:00+02:00"
    assert segments[0]["arrives"] == "2027-04-12T14:35:00+03:00"
    assert segments[2]["from"] == {"city": "Almaty", "country": "KZ"}
    assert segments[2]["to"] == {"city": "Astana", "country": "KZ"}


def test_a_flight_across_the_date_line_lands_the_day_it_took_off_and_after_it(extractor):
    flight = read("dateline-no-offsets.eml").payloads[0]["segments"][0]
    assert flight["departs"] == "2027-05-04T21:35:00+12:00"
    assert flight["arrives"] == "2027-05-04T07:30:00-10:00"
    departs = dt.datetime.fromisoformat(flight["departs"])
    arrives = dt.datetime.fromisoformat(flight["arrives"])
    assert dt.timedelta(hours=7) < arrives - departs < dt.timedelta(hours=9)


def test_a_forwarded_booking_names_its_own_traveller_and_the_forwarder_as_sender(extractor):
    found = read("forwarded-someone-else.eml")
    assert found.sender_email == "eva.green@example.org"
    assert found.payloads[0]["traveller"]["email"] == "tom.hale@example.org"
    assert found.payloads[0]["reference"] == "T4NB6C"


def test_an_email_without_a_reservation_says_so(extractor):
    found = read("no-reservation.eml")
    assert found.payloads == []
    assert found.problem == "No reservation was found in the e-mail."


@needs_kitinerary
def test_a_vendor_format_without_markup_is_read_by_kitinerary(settings):
    settings.BOOKINGS_EXTRACTOR = KITINERARY
    booking = read("vendor-iberia-text.eml").payloads[0]
    assert booking["reference"] == "QWE7RT"
    assert booking["segments"][0]["from"] == "MAD"
    assert booking["segments"][0]["departs"] == "2027-03-04T07:05:00+01:00"


def test_the_markup_fallback_finds_nothing_in_a_vendor_format_without_markup(settings):
    settings.BOOKINGS_EXTRACTOR = MARKUP
    assert read("vendor-iberia-text.eml").payloads == []


def test_an_email_over_the_size_limit_is_refused_before_it_is_parsed():
    raw = b"From: a@example.org\r\n\r\n" + b"x" * MAX_MESSAGE_BYTES
    with pytest.raises(EmailTooLarge) as refused:
        booking_email_read(raw)
    assert refused.value.status_code == 413
    assert "email" in refused.value.errors


def test_healthz_tells_operators_which_extractor_reads_booking_emails(db, settings, monkeypatch):
    # Only the detail is under test: no probe runs.
    monkeypatch.setattr(health, "CHECKS", {})
    cache.clear()
    settings.BOOKINGS_EXTRACTOR = MARKUP
    body = factories.logged_in(factories.manager()).get("/healthz/").json()
    assert body["status"] == "ok"
    assert body["details"]["bookings_extractor"]["extractor"] == MARKUP
    # Anyone else reads the state alone.
    assert "details" not in Client().get("/healthz/").json()
