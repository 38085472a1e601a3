"""`booking_ingest`: booking e-mails through `manage.py import_bookings` (an mbox, read by
whichever extractor is installed), against filing the same trips by hand through the trip
service (trip_create and trip_submit). The ratio is the hand-filing's time over the
e-mails': 1.0 means an e-mail costs what filing its trip costs; the target is >= 0.5.

Each e-mail is a confirmation in schema.org JSON-LD for its own traveller: LHR-ALA, a hotel
in Almaty and the flight back, so each becomes one trip with an Almaty stop, as each
hand-filed trip is.
"""

from __future__ import annotations

import datetime as dt
import io
import mailbox
import time
from pathlib import Path
from typing import Any

from django.core.management import call_command

from trips import services as trip_services

EMAIL = """From: Acme Travel <bookings@acme-tmc.example>
To: {name} <{email}>
Subject: Your booking {reference}: London - Almaty
Date: Mon, 01 Feb 2027 09:00:00 +0000
Message-ID: <{reference}@acme-tmc.example>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><script type="application/ld+json">
[{{"@context": "http://schema.org", "@type": "FlightReservation",
  "reservationNumber": "{reference}", "provider": {{"name": "Acme Travel"}},
  "underName": {{"name": "{name}", "email": "{email}"}},
  "reservationFor": {{"@type": "Flight", "flightNumber": "942",
    "airline": {{"iataCode": "KC"}},
    "departureAirport": {{"iataCode": "LHR"}}, "departureTime": "{out}T20:15:00+00:00",
    "arrivalAirport": {{"iataCode": "ALA"}}, "arrivalTime": "{arrive}T06:30:00+05:00"}}}},
 {{"@context": "http://schema.org", "@type": "LodgingReservation",
  "reservationNumber": "{reference}", "provider": {{"name": "Acme Travel"}},
  "underName": {{"name": "{name}", "email": "{email}"}},
  "reservationFor": {{"@type": "LodgingBusiness", "name": "Hotel Almaty",
    "address": {{"addressLocality": "Almaty", "addressCountry": "KZ"}}}},
  "checkinTime": "{arrive}T14:00:00+05:00", "checkoutTime": "{back}T12:00:00+05:00"}},
 {{"@context": "http://schema.org", "@type": "FlightReservation",
  "reservationNumber": "{reference}", "provider": {{"name": "Acme Travel"}},
  "underName": {{"name": "{name}", "email": "{email}"}},
  "reservationFor": {{"@type": "Flight", "flightNumber": "941",
    "airline": {{"iataCode": "KC"}},
    "departureAirport": {{"iataCode": "ALA"}}, "departureTime": "{back}T14:50:00+05:00",
    "arrivalAirport": {{"iataCode": "LHR"}}, "arrivalTime": "{back}T17:55:00+00:00"}}}}]
</script></head><body><p>Your booking {reference} is confirmed.</p></body></html>
"""


def itinerary(today: dt.date, index: int) -> tuple[dt.date, dt.date, dt.date]:
    """Out, arrival and back days: spread over a year so no two trips of a traveller meet."""
    out = today + dt.timedelta(days=30 + index % 300)
    return out, out + dt.timedelta(days=1), out + dt.timedelta(days=5)


def write_mbox(path: Path, travellers: list[Any], today: dt.date) -> None:
    box = mailbox.mbox(str(path), create=True)
    try:
        box.lock()
        for index, traveller in enumerate(travellers):
            out, arrive, back = itinerary(today, index)
            box.add(
                EMAIL.format(
                    name=f"{traveller.first_name} {traveller.username}",
                    email=traveller.email,
                    reference=f"BENCH{index:05d}",
                    out=out.isoformat(),
                    arrive=arrive.isoformat(),
                    back=back.isoformat(),
                ).encode("utf-8")
            )
        box.flush()
    finally:
        box.unlock()
        box.close()


def file_by_hand(travellers: list[Any], today: dt.date) -> None:
    for index, traveller in enumerate(travellers):
        _out, arrive, back = itinerary(today, index)
        trip = trip_services.trip_create(
            by=traveller,
            data=trip_services.TripInput(
                purpose=f"Flights LHR-ALA, booking BENCH{index:05d}",
                stops=[
                    trip_services.StopInput(
                        country="KZ", place="Almaty", arrival=arrive, departure=back
                    )
                ],
            ),
        )
        trip_services.trip_submit(trip=trip, by=traveller)


def booking_ingest(*, count: int, work: Path, today: dt.date, make_users) -> dict[str, float]:
    """Seconds to file `count` trips by hand, and to import `count` booking e-mails."""
    filed = make_users("filed", count)
    began = time.perf_counter()
    file_by_hand(filed, today)
    by_hand = time.perf_counter() - began

    booked = make_users("booked", count)
    path = work / "bookings.mbox"
    write_mbox(path, booked, today)
    began = time.perf_counter()
    call_command("import_bookings", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    by_email = time.perf_counter() - began
    return {"by_hand": by_hand, "by_email": by_email}
