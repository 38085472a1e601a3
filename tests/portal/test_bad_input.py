"""Input that once made the portal answer 500: each is a clear 400 (or error) now."""

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from tests.factories import api_as, employee, manager

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


def test_json_nested_without_end_is_a_400_on_the_api_and_the_token_endpoint():
    for client, url in [
        (api_as(employee()), "/api/trips/"),
        (APIClient(), "/api/auth/token/"),
    ]:
        response = client.post(url, DEEP, content_type="application/json")
        assert response.status_code == 400, url
        assert response.json() == {"non_field_errors": ["JSON parse error - nested too deeply."]}


def test_the_token_endpoint_takes_no_file_uploads():
    response = APIClient().post(
        "/api/auth/token/", {"username": "x", "password": "y", "f": b"data"}, format="multipart"
    )
    assert response.status_code == 415


@pytest.mark.parametrize(
    "url",
    ["/api/approvals/?risk_level=²", "/api/compliance/?days=²", "/approvals/?risk_level=²"],
)
def test_digits_that_are_not_numbers_are_not_a_server_error(url):
    from django.test import Client

    client = Client()
    client.force_login(manager())
    assert client.get(url).status_code in (200, 400)


def test_a_pack_nested_without_end_is_a_command_error(tmp_path):
    pack = tmp_path / "deep.json"
    pack.write_text(DEEP)
    with pytest.raises(CommandError, match="nested too deeply"):
        call_command("import_content", str(pack))
