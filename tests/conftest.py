import copy
import os

import pytest
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
    # Rate limits high enough never to slow or fail a test; tests/core/test_security_tokens.py
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
    from core.outbox import breaker

    breaker.reset()
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def catalogue(db):
    """A small published catalogue (tests.trips.helpers.TEST_PACK): invented places in
    Mongolia, a country the demo content does not cover."""
    from advisories.packs import pack_import
    from tests.trips.helpers import TEST_PACK

    pack_import(copy.deepcopy(TEST_PACK), by=None)
    return TEST_PACK
