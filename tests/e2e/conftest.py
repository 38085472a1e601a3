"""Fixtures of the browser tests: Debian's Chromium through Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections

from tests.e2e.helpers import ARGS, CHROMIUM, SHOTS


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    """Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from
    a thread with a running loop unless told this is fine (it is: the loop is Playwright's).
    Scoped to these tests so no other test (or subprocess) inherits it."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; the e2e tests need Debian's chromium package.")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()
        # While Playwright's loop runs, Django keeps this thread's connections apart (asgiref
        # treats the thread as async): close them here, or the test database cannot be
        # dropped at the end of the session.
        connections.close_all()
