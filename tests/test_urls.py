"""Who owns which URLs: each app routes its pages in its urls.py and its API in api_urls.py,
and the project's URLs include each of those once (a second include would answer every path
twice, under whichever pattern comes first)."""

from __future__ import annotations

from collections import Counter

from django.urls import URLResolver, get_resolver, reverse

APPS = ("advisories", "trips", "incidents", "briefings")


def included_modules(patterns, prefix: str = "") -> Counter[str]:
    """How often each URL module is included under the root URLconf, with its prefix."""
    seen: Counter[str] = Counter()
    for pattern in patterns:
        if not isinstance(pattern, URLResolver):
            continue
        module = pattern.urlconf_module
        name = getattr(module, "__name__", "")
        if name:
            seen[name] += 1
        seen.update(included_modules(pattern.url_patterns))
    return seen


def test_every_app_includes_its_pages_and_its_api_once_each():
    seen = included_modules(get_resolver().url_patterns)
    for app in APPS:
        assert seen[f"{app}.urls"] == 1, app
        assert seen[f"{app}.api_urls"] == 1, app


def test_no_page_module_is_left_beside_an_apps_urls_py():
    seen = included_modules(get_resolver().url_patterns)
    assert not [name for name in seen if name.endswith(".page_urls") and name != "portal.page_urls"]


def test_pages_and_api_keep_their_paths_and_names():
    # A few promises of contracts.md, one per module that moved.
    assert reverse("trip-detail", args=[7]) == "/trips/7/"
    assert reverse("calendar-feed", args=["abc"]) == "/calendar/abc.ics"
    assert reverse("destination", args=["KZ"]) == "/destinations/KZ/"
    assert reverse("briefings:failed") == "/briefings/failed/"
    assert reverse("incident-detail", args=[3]) == "/incidents/3/"
    assert reverse("check-answer-link", args=["t0k"]) == "/checks/answer/t0k/"
    assert reverse("api-country-advisory", args=["KZ"]) == "/api/countries/KZ/advisory/"
    assert reverse("api-trip-briefings", args=[7]) == "/api/trips/7/briefings/"
    assert reverse("api-my-checks") == "/api/me/checks/"
    assert reverse("incident-impacted", args=[3]) == "/api/incidents/3/impacted/"
