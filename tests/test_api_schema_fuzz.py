"""Schemathesis against the OpenAPI schema (/api/schema/), in-process, as an employee with a trip
and as a security manager: whatever it generates, the API never answers 5xx, and what it
answers conforms to the schema (body shape and content type).

Bounded: a few examples per operation and role (FUZZ_EXAMPLES, default 4; about 300 requests,
well under a minute). To look harder: ``FUZZ_EXAMPLES=50 pytest tests/test_api_schema_fuzz.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.briefings.content import publish_kz
from tests.factories import StopFactory, TripFactory, employee, manager

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
PASSWORD = "pw-for-tests-1"

# Left out: the token endpoints (a generated DELETE would revoke the token the run signs in
# with; tests/portal covers them), the schema and its HTML docs themselves, and the raw e-mail
# door (message/rfc822, which schemathesis cannot generate; its worker answers after a commit
# this test's transaction never makes: tests/bookings/test_email_api.py covers it).
EXCLUDED_PATHS = r"^/api/(auth/|schema/|docs/|bookings/email/)"


def _load_schema():
    # Generated in-process by drf-spectacular (what /api/schema/ serves), without a request:
    # collection happens before any test database exists.
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))
    loaded.app = get_wsgi_application()
    return loaded.exclude(path_regex=EXCLUDED_PATHS)


fuzzed = _load_schema()
pytestmark = pytest.mark.django_db


def _keep_the_test_database_open() -> None:
    # The WSGI handler closes the connection around each request, which would end the test's
    # transaction: Django's test client avoids it for its own requests only (and reconnects
    # the handlers after each), schemathesis calls the WSGI application directly.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)


@pytest.fixture(autouse=True)
def _restore_connection_handling():
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _world() -> dict[str, str]:
    """An employee with an upcoming trip, a manager, published Kazakhstan; each user's token
    and the trip's id."""
    publish_kz()
    traveller = employee(username="fuzz-traveller")
    boss = manager(username="fuzz-manager")
    arrival = timezone.localdate() + dt.timedelta(days=20)
    trip = TripFactory(traveller=traveller, first_arrival=arrival, last_departure=arrival)
    StopFactory(trip=trip, arrival=arrival, departure=arrival)
    from rest_framework.test import APIClient

    tokens = {}
    for user in (traveller, boss):
        answer = APIClient().post(
            "/api/auth/token/",
            {"username": user.username, "password": PASSWORD},
            format="json",
        )
        assert answer.status_code in (200, 201), answer.content
        tokens[user.username] = answer.json()["token"]
    tokens["trip"] = str(trip.pk)
    return tokens


BOUNDED = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    # Generated cases only: the schema's explicit examples would add hundreds of requests.
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@fuzzed.parametrize()
@BOUNDED
def test_the_api_holds_for_an_employee(case):
    headers = _signed_in_as("fuzz-traveller")
    _aim_at_the_trip(case)
    case.call_and_validate(headers=headers, checks=CHECKS)


@fuzzed.parametrize()
@BOUNDED
def test_the_api_holds_for_a_manager(case):
    headers = _signed_in_as("fuzz-manager")
    _aim_at_the_trip(case)
    case.call_and_validate(headers=headers, checks=CHECKS)


_TOKENS: dict[str, str] = {}


def _signed_in_as(username: str) -> dict[str, str]:
    # Hypothesis runs every example of one test (an operation) in the same database
    # transaction: the world is made at the first example and kept for the others.
    from django.contrib.auth.models import User

    if not User.objects.filter(username=username).exists():
        _TOKENS.clear()
        _TOKENS.update(_world())
    _keep_the_test_database_open()
    return {"Authorization": f"Token {_TOKENS[username]}"}


def _aim_at_the_trip(case) -> None:
    """Generated ids almost never name a trip (a 404, which the access matrix covers): every
    other example of a trip's operation is aimed at the world's trip instead, so that its
    answers (200, 400, 409) are fuzzed and checked against the schema too."""
    parameters = dict(case.path_parameters or {})
    if not case.path.startswith("/api/trips/{"):
        return
    for name in ("id", "trip_id"):
        if name in parameters and sum(map(ord, str(parameters[name]))) % 2 == 0:
            parameters[name] = _TOKENS["trip"]
    case.path_parameters = parameters
