"""Incident tests: Kazakhstan's curated places, invented here so nothing leans on the shipped
pack, and trips built straight from factories in the state each case needs."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import PlaceAliasFactory, PlaceFactory, country

# The incident of most tests: starts on 10 March, open, default lookahead (3 days): it touches
# stops overlapping 10..13 March.
STARTS = dt.date(2027, 3, 10)


def day(n: int) -> dt.date:
    """A March 2027 date."""
    return dt.date(2027, 3, n)


@pytest.fixture
def kz(db):
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    PlaceAliasFactory(place=almaty, name="Алматы")
    astana = PlaceFactory(country=country("KZ"), name="Astana")
    return {"almaty": almaty, "astana": astana}
