"""Requests no view should ever see: a NUL character in the address or the query string
(PostgreSQL cannot store or compare one, so it would be a 500 deep inside a query)."""

import pytest
from django.test import Client

from tests.factories import api_as, manager

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalogue")]

API_URLS = [
    ("/api/trips/?country=M%00N", {"country": ["Null characters are not allowed."]}),
    ("/api/trips/?status=draft%00", {"status": ["Null characters are not allowed."]}),
    ("/api/countries/?search=%00", {"search": ["Null characters are not allowed."]}),
    ("/api/approvals/?country=%00", {"country": ["Null characters are not allowed."]}),
    (
        "/api/locations/?country=MN&place=Old%00Harbour",
        {"place": ["Null characters are not allowed."]},
    ),
    ("/api/compliance/?days=1%004", {"days": ["Null characters are not allowed."]}),
    (
        "/api/countries/M%00/advisory/",
        {"non_field_errors": ["The address contains a null character."]},
    ),
    (
        "/api/trips/?%00=1",
        {"non_field_errors": ["A query parameter's name contains a null character."]},
    ),
]


@pytest.mark.parametrize(("url", "expected"), API_URLS)
def test_a_nul_in_an_api_query_or_path_is_a_400_in_the_field_error_shape(url, expected):
    response = api_as(manager()).get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == expected


@pytest.mark.parametrize(
    "url",
    [
        "/approvals/?country=%00",
        "/locations/?country=MN%00",
        "/compliance/?days=%00",
        "/destinations/?q=%00",
        "/destinations/M%00/",
        "/audit/?action=%00",
    ],
)
def test_a_nul_in_a_page_address_is_a_400(url):
    client = Client()
    client.force_login(manager())
    response = client.get(url)
    assert response.status_code == 400
    assert "null character" in response.content.decode()


def test_anonymous_requests_with_a_nul_are_refused_before_anything_else(client):
    assert client.get("/api/countries/?search=%00").status_code == 400
    assert client.get("/?next=%00").status_code == 400


def test_ordinary_requests_pass_through():
    assert api_as(manager()).get("/api/countries/?search=mongolia").status_code == 200
    client = Client()
    client.force_login(manager())
    assert client.get("/approvals/?country=MN").status_code == 200
