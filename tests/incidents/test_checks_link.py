"""The personal answer link under attack (issue 23): throttled per link and per address with a
clear 429 page, HEAD refused without reading or logging the token, a signed-in user who
answers on someone else's link recorded as who answered; and a critical incident declared by
a content admin starts a check recorded as theirs."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from incidents.checks import views as check_views
from incidents.checks.services import answer_token
from incidents.models import CheckAnswer, SafetyCheck
from tests.factories import api_as, content_admin, logged_in
from tests.incidents.test_checks import days, recipient, scene, start  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def link_of(check, user) -> str:
    return reverse("check-answer-link", args=[answer_token(recipient(check, user))])


def test_one_link_used_too_often_gets_a_429_page_naming_the_desk_and_records_nothing(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from core.models import CompanySettings

    CompanySettings.objects.update_or_create(
        pk=1, defaults={"security_desk_phone": "+44 20 7946 0999"}
    )
    monkeypatch.setattr(check_views, "LINK_LIMIT_PER_TOKEN", 3)
    check = start(scene, django_capture_on_commit_callbacks)
    path = link_of(check, scene.there)
    browser = Client()
    assert [browser.get(path).status_code for _ in range(3)] == [200, 200, 200]
    refused = browser.post(path, {"status": "safe"})
    assert refused.status_code == 429 and refused["Retry-After"] == "600"
    body = refused.content.decode()
    assert "Too many tries" in body and "+44 20 7946 0999" in body
    assert not CheckAnswer.objects.exists()
    # Another traveller's link from the same address still works.
    assert browser.get(link_of(check, scene.possibly)).status_code == 200


def test_one_address_trying_many_links_is_throttled_too(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    monkeypatch.setattr(check_views, "LINK_LIMIT_PER_ADDRESS", 4)
    check = start(scene, django_capture_on_commit_callbacks)
    guesses = [
        reverse("check-answer-link", args=[f"guess-{n}"]) for n in range(3)
    ]  # forged: 404s, counted all the same
    assert [Client().get(path).status_code for path in guesses] == [404, 404, 404]
    assert Client().get(link_of(check, scene.there)).status_code == 200
    assert Client().get(link_of(check, scene.possibly)).status_code == 429
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.get(link_of(check, scene.possibly)).status_code == 200


def test_head_on_the_link_is_refused_quietly_and_records_nothing(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
    caplog,
):
    check = start(scene, django_capture_on_commit_callbacks)
    path = link_of(check, scene.there)
    token = path.rstrip("/").rsplit("/", 1)[1]
    with caplog.at_level(logging.DEBUG):
        response = Client().head(path)
        forged = Client().get(reverse("check-answer-link", args=["forged-token"]))
    assert response.status_code == 405 and response["Allow"] == "GET, POST"
    assert forged.status_code == 404
    assert token not in caplog.text and "forged-token" not in caplog.text
    assert not CheckAnswer.objects.exists()
    assert not AuditEntry.objects.filter(action="check.answered").exists()


def test_a_signed_in_user_answering_on_someone_elses_link_is_recorded_as_who_answered(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    check = start(scene, django_capture_on_commit_callbacks)
    colleague = logged_in(scene.possibly)
    response = colleague.post(link_of(check, scene.there), {"status": "safe", "note": "With me"})
    assert response.status_code == 302
    answer = CheckAnswer.objects.get()
    assert (answer.recipient.traveller, answer.recorded_by) == (scene.there, scene.possibly)
    entry = AuditEntry.objects.get(action="check.answered")
    assert entry.actor == scene.possibly
    assert (entry.details["traveller"], entry.details["answered_for"]) == ("tara", "tara")
    # The traveller's own link, signed in or not, is theirs.
    logged_in(scene.there).post(link_of(check, scene.there), {"status": "safe"})
    Client().post(link_of(check, scene.there), {"status": "safe"})
    own = AuditEntry.objects.filter(action="check.answered").order_by("pk")[1:]
    assert [(e.actor, "answered_for" in e.details) for e in own] == [
        (scene.there, False),
        (scene.there, False),
    ]


def test_a_critical_incident_declared_by_a_content_admin_starts_a_check_recorded_as_theirs(
    scene,  # noqa: F811
    kz,
    django_capture_on_commit_callbacks,
):
    editor = content_admin(username="editor")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(editor).post(
            "/api/incidents/",
            {
                "title": "Earthquake",
                "severity": "critical",
                "category": "natural_hazards",
                "country": "KZ",
                "places": ["Almaty"],
                "starts_on": days(0).isoformat(),
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    check = SafetyCheck.objects.get(incident_id=response.json()["id"])
    assert check.started_by == editor
    started = AuditEntry.objects.get(action="check.started")
    assert started.actor == editor and started.details["automatic"] is True
