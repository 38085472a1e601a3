import os

import pytest
from django.test import Client
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _portal_test_settings(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    # Rate limits high enough never to slow or fail a test; tests/portal/test_security_tokens.py
    # lowers them to test throttling itself. The cache holds their counters: start empty.
    settings.API_THROTTLE_RATES = {
        "user": "100000/minute",
        "ip": "100000/minute",
        "token": "100000/minute",
    }
    from django.core.cache import cache

    cache.clear()
    # Unit tests run tasks in-process; tests/integration runs a real worker instead.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from portal.celery import app

    app.conf.task_always_eager = True
    # The outbox's breaker is per process: one test's failed send must not make the next
    # test's after-commit sends wait for the relay.
    from portal.outbox import breaker

    breaker.reset()
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def api():
    return APIClient()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def logged_in(user) -> Client:
    """A browser session signed in as `user` (pages, with CSRF checks off as in any test)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
