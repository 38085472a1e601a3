"""Shared set-up for the booking e-mail tests: the fixtures' e-mails, a clock before their
trips (they are dated 2027, as real confirmations are), content for the countries they visit,
and the choice of extractor."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bookings.mail.extractors import KITINERARY, MARKUP, kitinerary_path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bookings"
# A day before every trip the fixtures book (the earliest leaves on 4 March 2027).
BEFORE_THE_TRIPS = dt.datetime(2027, 1, 15, 9, 0, tzinfo=dt.UTC)

needs_kitinerary = pytest.mark.skipif(
    kitinerary_path() is None,
    reason="kitinerary-extractor (Debian package libkpimitinerary-bin) is not installed",
)
# Each e-mail test runs through the real extractor (when installed) and the markup fallback.
EXTRACTORS = [pytest.param(KITINERARY, marks=needs_kitinerary), MARKUP]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()
