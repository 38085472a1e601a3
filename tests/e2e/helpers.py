"""What the browser tests share: Debian's Chromium, signing in, screenshots, the pickers."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# The password factories give test users (tests/factories.py).
PASSWORD = "pw-for-tests-1"


def log_in(browser, base: str, username: str, *, viewport=None):
    """A new browser context signed in as `username` through the login form."""
    context = browser.new_context(
        accept_downloads=True, viewport=viewport or {"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
    return page


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def choose_country(scope, name: str) -> None:
    """Pick a country as a person does: type its name into the country combobox and leave
    the field (the script picks the best match)."""
    box = scope.get_by_role("combobox", name="Country")
    box.fill(name)
    box.press("Tab")


def add_place(scope, name: str) -> None:
    """Add a place to a places picker (an incident's) as a person does: type it, pick it from
    the list of the chosen country's places."""
    box = scope.get_by_role("combobox", name="Places")
    box.fill(name)
    scope.get_by_role("option", name=name).click()
