import pytest
from django.urls import include, path

from advisories.packs import pack_import
from advisories.services import advisory_publish
from tests.factories import (
    ActivityFactory,
    AdvisoryFactory,
    api_as,
    content_admin,
    content_pack,
    employee,
    manager,
)

# The project mounts advisories.api_urls under /api/; these tests mount it themselves so they do
# not depend on the project's URL configuration.
urlpatterns = [path("api/", include("advisories.api_urls"))]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def mongolia():
    pack = content_pack("MN", level=3)
    pack_import(pack)
    return pack


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [employee, manager, content_admin])
def test_any_signed_in_user_reads_the_published_content(mongolia, make_user):
    client = api_as(make_user())
    for url in ["/api/countries/", "/api/countries/MN/advisory/", "/api/activities/"]:
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_anonymous_users_are_refused(api, mongolia):
    for url in ["/api/countries/", "/api/countries/MN/advisory/", "/api/activities/"]:
        response = api.get(url)
        assert response.status_code == 401, url
        assert response["WWW-Authenticate"] == "Token", url
        assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.django_db
def test_countries_list_their_published_level_and_version(mongolia, django_assert_max_num_queries):
    client = api_as(employee())
    # The count, the page, and the user's roles (a user with none is refused).
    with django_assert_max_num_queries(3):
        body = client.get("/api/countries/?search=mongol").json()
    assert body["count"] == 1
    assert body["results"] == [
        {"code": "MN", "name": "Mongolia", "risk_level": 3, "advisory_version": 1}
    ]


@pytest.mark.django_db
def test_a_country_without_a_published_advisory_has_null_risk(mongolia):
    AdvisoryFactory(level=4)  # a draft for Kazakhstan, never published
    body = api_as(employee()).get("/api/countries/?search=kz").json()
    assert body["results"] == [
        {"code": "KZ", "name": "Kazakhstan", "risk_level": None, "advisory_version": None}
    ]


@pytest.mark.django_db
def test_the_country_list_is_paginated_and_takes_three_queries_whatever_its_size(
    mongolia, django_assert_max_num_queries
):
    client = api_as(employee())
    # The count, the page, and the user's roles (a user with none is refused).
    with django_assert_max_num_queries(3):
        body = client.get("/api/countries/").json()
    assert body["count"] > 240
    assert body["next"]
    assert len(body["results"]) == 50


@pytest.mark.django_db
def test_a_countrys_advisory_is_the_published_version_not_the_draft(mongolia):
    from advisories.models import Advisory

    draft = Advisory.objects.get(country_id="MN")
    draft.summary = "A draft nobody may see yet"
    draft.save()
    body = api_as(employee()).get("/api/countries/mn/advisory/").json()
    assert body["code"] == "MN"
    assert body["name"] == "Mongolia"
    assert (body["level"], body["version"]) == (3, 1)
    assert body["summary"] == "Take normal precautions."
    assert body["published_at"]
    section = body["sections"][0]
    assert section["key"] == "mn-crime"
    assert section["body_html"] == "<p>Watch your <strong>bags</strong> in markets.</p>\n"
    assert section["places"] == ["Capital City"]
    assert section["source"] == "mn-entry"
    assert body["places"] == [
        {"name": "Capital City", "aliases": ["Old Capital"], "kind": "city", "level": None}
    ]
    assert body["emergency_contacts"] == [{"label": "Police", "number": "102", "place": None}]
    rule = body["rules"][0]
    assert rule["key"] == "mn-registration"
    assert rule["in_words"].startswith(
        "A stay of more than 5 days must be registered within 3 working days"
    )
    assert "max_days" not in rule
    assert body["sources"][0]["key"] == "mn-entry"


@pytest.mark.django_db
def test_a_new_version_is_what_the_api_shows_next(mongolia):
    from advisories.models import Advisory, Country

    draft = Advisory.objects.get(country_id="MN")
    draft.level = 5
    draft.save()
    advisory_publish(
        country=Country.objects.get(code="MN"), by=None, change_note="Raised", material=True
    )
    body = api_as(employee()).get("/api/countries/MN/advisory/").json()
    assert (body["level"], body["version"], body["change_note"]) == (5, 2, "Raised")


@pytest.mark.django_db
def test_an_unpublished_or_unknown_country_is_a_404(mongolia):
    AdvisoryFactory()
    client = api_as(employee())
    for code in ["KZ", "FR", "XX", "kazakhstan"]:
        response = client.get(f"/api/countries/{code}/advisory/")
        assert response.status_code == 404, code
        assert "detail" in response.json()


@pytest.mark.django_db
def test_activities_are_listed_with_code_and_label():
    ActivityFactory(code="drone", label="Flying a drone")
    body = api_as(employee()).get("/api/activities/").json()
    assert {"code": "drone", "label": "Flying a drone"} in body["results"]
