import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from briefings import services
from briefings.models import Acknowledgement, Briefing
from core.models import AuditEntry
from tests.briefings.content import approved_trip
from tests.factories import api_as, arranger_for, employee, manager
from trips.models import TripStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(django_capture_on_commit_callbacks):
    trip = approved_trip()
    with django_capture_on_commit_callbacks(execute=True):
        briefing = services.briefing_request(trip=trip, reason="approved")
    briefing.refresh_from_db()
    traveller = trip.traveller
    return {
        "trip": trip,
        "briefing": briefing,
        "traveller": traveller,
        "arranger": arranger_for(traveller),
        "manager": manager(),
        "outsider": employee(),
    }


def urls(world):
    trip, briefing = world["trip"], world["briefing"]
    return {
        "list": reverse("api-trip-briefings", args=[trip.pk]),
        "pdf": reverse("api-briefing-pdf", args=[briefing.pk]),
        "acknowledge": reverse("api-briefing-acknowledge", args=[briefing.pk]),
        "retry": reverse("api-briefing-retry", args=[briefing.pk]),
    }


def test_the_list_shows_versions_newest_first_with_digest_and_link(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.briefing_request(trip=world["trip"], reason="amended", changes=["Dates moved."])
    response = api_as(world["traveller"]).get(urls(world)["list"])

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and {"next", "previous"} <= body.keys()
    newest, oldest = body["results"]
    assert (newest["version"], oldest["version"]) == (2, 1)
    assert (newest["superseded"], oldest["superseded"]) == (False, True)
    assert newest["status"] == "ready" and len(newest["sha256"]) == 64
    assert newest["pdf_url"].endswith(f"/api/briefings/{newest['id']}/pdf/")
    assert newest["acknowledged_at"] is None
    assert newest["changes"] == ["Your itinerary was amended.", "Dates moved."]
    assert "error" not in newest  # managers only
    assert set(newest) >= {
        "id",
        "version",
        "status",
        "sha256",
        "created_at",
        "acknowledged_at",
        "pdf_url",
    }


def test_the_list_runs_a_fixed_number_of_queries(
    world, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            services.briefing_request(trip=world["trip"], reason="requested")
    with django_assert_max_num_queries(6):
        response = api_as(world["manager"]).get(urls(world)["list"])
    assert response.json()["count"] == 4
    assert all("error" in row for row in response.json()["results"])


@pytest.mark.parametrize(
    ("who", "expected"),
    [("traveller", 200), ("arranger", 200), ("manager", 200), ("outsider", 404)],
)
def test_who_may_list_and_download(world, who, expected):
    client = api_as(world[who])
    assert client.get(urls(world)["list"]).status_code == expected
    response = client.get(urls(world)["pdf"])
    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment;")
        assert f"briefing-trip-{world['trip'].pk}-v1.pdf" in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_anonymous_requests_are_refused(world):
    client = APIClient()
    for name in ("list", "pdf"):
        assert client.get(urls(world)[name]).status_code == 401
    for name in ("acknowledge", "retry"):
        assert client.post(urls(world)[name], {}).status_code == 401


def test_a_guessed_briefing_id_is_a_404(world):
    client = api_as(world["manager"])
    assert (
        client.get(reverse("api-briefing-pdf", args=[world["briefing"].pk + 999])).status_code
        == 404
    )
    assert (
        client.get(reverse("api-trip-briefings", args=[world["trip"].pk + 999])).status_code == 404
    )


def test_a_briefing_not_yet_ready_has_no_pdf(world):
    Briefing.objects.filter(pk=world["briefing"].pk).update(
        status="rendering", file_name="", sha256="", rendered_at=None
    )
    response = api_as(world["traveller"]).get(urls(world)["pdf"])
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"), [("arranger", 403), ("manager", 403), ("outsider", 404)]
)
def test_only_the_traveller_acknowledges(world, who, expected):
    response = api_as(world[who]).post(
        urls(world)["acknowledge"], {"sha256": world["briefing"].sha256}, format="json"
    )
    assert response.status_code == expected
    assert "detail" in response.json()
    assert not Acknowledgement.objects.exists()


def test_the_traveller_acknowledges_with_the_digest_and_the_trip_is_cleared(world):
    client = api_as(world["traveller"])
    url = urls(world)["acknowledge"]

    assert client.post(url, {"sha256": "nope"}, format="json").status_code == 400
    wrong = client.post(url, {"sha256": "0" * 64}, format="json")
    assert wrong.status_code == 409 and "detail" in wrong.json()

    response = client.post(
        url, {"sha256": world["briefing"].sha256}, format="json", REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 200
    assert response.json()["trip_status"] == TripStatus.CLEARED
    assert response.json()["sha256"] == world["briefing"].sha256
    world["trip"].refresh_from_db()
    assert world["trip"].status == TripStatus.CLEARED
    assert AuditEntry.objects.get(action="briefing.acknowledged").ip == "198.51.100.7"
    listed = client.get(urls(world)["list"]).json()["results"][0]
    assert listed["acknowledged_at"] is not None

    assert client.post(url, {"sha256": world["briefing"].sha256}, format="json").status_code == 409


def test_acknowledging_a_superseded_version_is_a_conflict(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.briefing_request(trip=world["trip"], reason="amended")
    response = api_as(world["traveller"]).post(
        urls(world)["acknowledge"], {"sha256": world["briefing"].sha256}, format="json"
    )
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("who", "expected"), [("traveller", 403), ("arranger", 403), ("outsider", 404)]
)
def test_only_managers_retry(world, who, expected):
    Briefing.objects.filter(pk=world["briefing"].pk).update(status="failed", error="boom")
    assert api_as(world[who]).post(urls(world)["retry"]).status_code == expected


def test_a_manager_sees_the_error_and_retries_a_failed_briefing(
    world, django_capture_on_commit_callbacks
):
    Briefing.objects.filter(pk=world["briefing"].pk).update(
        status="failed", error="KeyError: 'level'"
    )
    client = api_as(world["manager"])
    assert client.get(urls(world)["list"]).json()["results"][0]["error"] == "KeyError: 'level'"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(urls(world)["retry"])
    assert response.status_code == 202
    world["briefing"].refresh_from_db()
    assert world["briefing"].status == "ready"
    assert client.post(urls(world)["retry"]).status_code == 409


def test_a_manager_can_request_a_rebrief_others_cannot(world, django_capture_on_commit_callbacks):
    url = urls(world)["list"]
    assert api_as(world["traveller"]).post(url).status_code == 403
    assert api_as(world["outsider"]).post(url).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(world["manager"]).post(url)
    assert response.status_code == 202 and response.json()["version"] == 2


# --- pages ----------------------------------------------------------------------------------


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "expected"),
    [("traveller", 200), ("arranger", 200), ("manager", 200), ("outsider", 404)],
)
def test_who_may_download_and_poll_on_the_pages(world, who, expected):
    client = page_client(world[who])
    briefing = world["briefing"]
    download = client.get(reverse("briefings:download", args=[briefing.pk]))
    assert download.status_code == expected
    status = client.get(reverse("briefings:status", args=[briefing.pk]))
    assert status.status_code == expected
    if expected == 200:
        assert download["Content-Disposition"].startswith("attachment;")
        body = status.json()
        assert body["status"] == "ready" and body["sha256"] == briefing.sha256
        assert body["download_url"] == reverse("briefings:download", args=[briefing.pk])
        assert ("error" in body) == (who == "manager")


def test_anonymous_page_requests_go_to_the_login_page(world):
    response = Client().get(reverse("briefings:download", args=[world["briefing"].pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_acknowledge_form_clears_the_trip(world):
    briefing = world["briefing"]
    response = page_client(world["traveller"]).post(
        reverse("briefings:acknowledge", args=[briefing.pk]),
        {"sha256": briefing.sha256, "read": "on"},
    )
    assert response.status_code == 302 and response["Location"] == f"/trips/{world['trip'].pk}/"
    world["trip"].refresh_from_db()
    assert world["trip"].status == TripStatus.CLEARED


def test_the_acknowledge_form_needs_the_declaration_ticked(world):
    briefing = world["briefing"]
    response = page_client(world["traveller"]).post(
        reverse("briefings:acknowledge", args=[briefing.pk]),
        {"sha256": briefing.sha256},
        follow=True,
    )
    assert "to acknowledge it" in response.content.decode()
    assert not Acknowledgement.objects.exists()
    world["trip"].refresh_from_db()
    assert world["trip"].status == TripStatus.APPROVED


@pytest.mark.parametrize(("who", "expected"), [("manager", 302), ("outsider", 404)])
def test_the_acknowledge_form_refuses_others(world, who, expected):
    briefing = world["briefing"]
    response = page_client(world[who]).post(
        reverse("briefings:acknowledge", args=[briefing.pk]),
        {"sha256": briefing.sha256, "read": "on"},
    )
    assert response.status_code == expected
    assert not Acknowledgement.objects.exists()


def test_the_trip_page_offers_the_acknowledge_form_with_the_digest_and_csrf(world):
    briefing = world["briefing"]
    body = page_client(world["traveller"]).get(f"/trips/{world['trip'].pk}/").content.decode()
    action = reverse("briefings:acknowledge", args=[briefing.pk])
    assert f'action="{action}"' in body
    assert f'name="sha256" value="{briefing.sha256}"' in body
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["traveller"])
    assert strict.post(action, {"sha256": briefing.sha256}).status_code == 403
    assert not Acknowledgement.objects.exists()
