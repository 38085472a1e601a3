"""The Content-Security-Policy in a real browser: the pages, the trip form's script, the admin
and the API docs (Swagger UI) work without a single violation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections

from core import roles
from tests.factories import UserFactory

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
PASSWORD = "pw-for-tests-1"

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread (see tests/e2e/test_journey.py).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; the e2e tests need Debian's chromium package.")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()
        connections.close_all()


def violations_on(browser, base: str, username: str | None, paths: list[str]) -> list[str]:
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    seen: list[str] = []
    page.on(
        "console",
        lambda message: (
            seen.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    if username:
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{base}/")
    for path in paths:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
    context.close()
    return seen


def test_pages_admin_and_api_docs_run_under_the_policy_without_violations(live_server, browser):
    UserFactory(username="ella", role=roles.EMPLOYEE)
    UserFactory(username="carl", role=roles.CONTENT_ADMIN)
    base = live_server.url
    found = violations_on(browser, base, None, ["/accounts/login/", "/api/docs/"])
    found += violations_on(browser, base, "ella", ["/", "/trips/new/", "/profile/"])
    found += violations_on(browser, base, "carl", ["/admin/", "/admin/advisories/advisory/"])
    assert found == []


def test_the_api_docs_render_their_operations(live_server, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 10
    context.close()
