"""Incident tests: Kazakhstan's curated places, invented here so nothing leans on the shipped
pack, and trips built straight from factories in the state each case needs."""

from __future__ import annotations

import pytest

from tests.factories import PlaceAliasFactory, PlaceFactory, country


@pytest.fixture
def kz(db):
    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    PlaceAliasFactory(place=almaty, name="Алматы")
    astana = PlaceFactory(country=country("KZ"), name="Astana")
    return {"almaty": almaty, "astana": astana}
