import pytest
from django.test import Client

from tests.factories import api_as, employee

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/api/nonexistent/", "/api/briefings/abc/pdf/"])
def test_an_api_address_that_matches_nothing_is_a_json_404(url):
    response = api_as(employee()).get(url)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_page_that_does_not_exist_is_the_portals_404_page():
    client = Client()
    client.force_login(employee())
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.content.decode()
    assert 'href="/"' in response.content.decode()  # a way back


def test_a_page_of_another_role_is_the_portals_403_page():
    client = Client()
    client.force_login(employee())
    response = client.get("/approvals/")
    assert response.status_code == 403
    assert "not part of your role" in response.content.decode()


@pytest.mark.urls("tests.portal.urls_boom")
def test_a_server_error_is_json_on_the_api_and_a_plain_page_elsewhere():
    user = employee()
    api = api_as(user)
    api.raise_request_exception = False
    response = api.get("/api/boom/")
    assert response.status_code == 500
    assert response.json()["detail"].startswith("Server error")

    page = Client(raise_request_exception=False)
    page.force_login(user)
    response = page.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.content.decode()
