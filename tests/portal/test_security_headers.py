"""Headers and sessions: a Content-Security-Policy with no inline script or style (the admin
and the API docs too), Permissions-Policy, no-store on everything personal, sessions that end
after an idle period, and password resets that cannot be used to flood a mailbox."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.factories import TripFactory, api_as, content_admin, employee, logged_in, manager

pytestmark = pytest.mark.django_db

TEMPLATES = Path(django_settings.BASE_DIR) / "templates"
# E-mails and the PDF are not web pages: no browser applies a CSP to them.
NOT_WEB_PAGES = ("emails", "briefings/pdf")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+=", re.IGNORECASE)


def inline_code(html: str) -> list[str]:
    return [
        match.group(0)
        for pattern in (INLINE_SCRIPT, INLINE_STYLE, EVENT_HANDLER)
        for match in pattern.finditer(html)
        # JSON data blocks are not scripts: a browser never runs them.
        if 'type="application/json"' not in match.group(0)
    ]


def test_no_template_of_a_web_page_holds_inline_script_or_style():
    found = {
        str(path.relative_to(TEMPLATES)): inline_code(path.read_text())
        for path in TEMPLATES.rglob("*.html")
        if not str(path.relative_to(TEMPLATES)).startswith(NOT_WEB_PAGES)
    }
    assert {name: code for name, code in found.items() if code} == {}


def test_pages_carry_a_strict_content_security_policy():
    response = logged_in(employee()).get("/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/", employee),
        ("/profile/", employee),
        ("/trips/new/", employee),
        ("/trips/{trip}/", employee),
        ("/destinations/", employee),
        ("/approvals/", manager),
        ("/locations/", manager),
        ("/audit/", manager),
        ("/accounts/login/", None),
        ("/accounts/password_reset/", None),
        ("/admin/", content_admin),
        ("/admin/advisories/advisory/", content_admin),
        ("/admin/login/", None),
        ("/api/docs/", None),
    ],
)
def test_rendered_pages_hold_no_inline_script_or_style(path, who):
    user = who() if who else None
    client = logged_in(user) if user else Client()
    if "{trip}" in path:
        path = path.format(trip=TripFactory(traveller=user).pk)
    response = client.get(path)
    assert response.status_code == 200, path
    assert "Content-Security-Policy" in response
    assert inline_code(response.content.decode()) == []


def test_the_api_docs_load_their_start_up_script_from_our_own_address():
    page = Client().get("/api/docs/").content.decode()
    script = re.search(r'<script src="(/api/docs/\?[^"]*script[^"]*)"', page)
    assert script, page
    response = Client().get(script.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert "SwaggerUIBundle" in response.content.decode()


def test_the_500_page_has_no_inline_style():
    from django.template import loader

    assert inline_code(loader.get_template("500.html").render()) == []


def test_every_response_carries_a_permissions_policy(client):
    for response in (client.get("/accounts/login/"), api_as(employee()).get("/api/me/")):
        policy = response["Permissions-Policy"]
        assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


@pytest.mark.parametrize("path", ["/", "/profile/", "/api/me/", "/api/trips/", "/accounts/login/"])
def test_personal_pages_and_api_responses_are_not_stored(path):
    response = logged_in(employee()).get(path)
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_public_schema_may_be_cached():
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


# --- sessions ---------------------------------------------------------------------------


def session_of(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_a_session_lasts_the_idle_timeout_from_the_settings():
    assert django_settings.SESSION_IDLE_TIMEOUT == 8 * 60 * 60
    assert django_settings.SESSION_COOKIE_AGE == django_settings.SESSION_IDLE_TIMEOUT
    client = Client()
    user = employee()
    client.post("/accounts/login/", {"username": user.username, "password": "pw-for-tests-1"})
    left = session_of(client).expire_date - timezone.now()
    assert dt.timedelta(hours=7, minutes=59) < left <= dt.timedelta(hours=8)


def test_an_idle_session_ends():
    client = logged_in(employee())
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_activity_renews_the_session(settings):
    client = logged_in(employee())
    session = client.session
    session["_portal_seen"] = (timezone.now() - dt.timedelta(minutes=5)).isoformat()
    session.save()
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=10))
    assert client.get("/").status_code == 200
    left = session_of(client).expire_date - timezone.now()
    assert left > dt.timedelta(hours=7, minutes=59)


# --- password resets --------------------------------------------------------------------


def ask_reset(client: Client, email: str):
    return client.post("/accounts/password_reset/", {"email": email})


def test_password_reset_mails_an_address_at_most_the_limit_an_hour(settings):
    settings.PASSWORD_RESET_LIMIT_PER_EMAIL = 2
    user = employee(email="dana@example.com")
    for n in range(4):
        response = ask_reset(Client(REMOTE_ADDR=f"10.1.0.{n}"), user.email)
        assert response.status_code == 302  # the same answer either way
    assert len(mail.outbox) == 2


def test_password_reset_is_throttled_per_address(settings):
    settings.PASSWORD_RESET_LIMIT_PER_IP = 2
    client = Client(REMOTE_ADDR="10.2.0.1")
    statuses = [ask_reset(client, f"nobody{n}@example.com").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
    assert int(ask_reset(client, "x@example.com")["Retry-After"]) > 0
    assert ask_reset(Client(REMOTE_ADDR="10.2.0.2"), "x@example.com").status_code == 302
