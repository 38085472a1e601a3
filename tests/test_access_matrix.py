"""Who may call what: every API endpoint and page, for every role, with the status each gets.

The routes come from the URL resolver, so an endpoint added without a row in ``MATRIX`` fails
``test_every_route_has_an_expectation`` naming it. Each row is one route: for each method, the
statuses of the seven roles in ``ROLES`` order. Path parameters name objects of the world
below (the traveller's trip, its briefing, ...); every row whose parameters name someone's
personal objects is requested again with a stranger's object, which must be a 404 for everyone
who is not refused outright (401/403 whatever the object) and not a manager: a user never learns
that someone else's trip exists.

Requests that write (POST, PATCH, DELETE) run in a savepoint rolled back after each role, so every
role meets the same world. Bodies are empty: the point is who gets past access control (a 400
or 409 means "allowed in, then refused for the input or the state"), not the action itself.

To record what the code answers today (when adding rows): ``ACCESS_MATRIX_RECORD=1 pytest
tests/test_access_matrix.py -s`` prints the observed statuses; read them before pasting.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from bookings.services import booking_keep_unassigned
from briefings.models import Briefing, BriefingStatus
from core.accounts import token_create, token_id
from incidents.checks.services import answer_token
from incidents.models import CheckRecipient, SafetyCheck
from tests.briefings.content import publish_kz
from tests.factories import (
    IncidentFactory,
    StopFactory,
    TripFactory,
    arranger_for,
    content_admin,
    employee,
    manager,
)
from trips.models import Assessment, CalendarFeed, TripStatus

ROLES = (
    "anonymous",
    "traveller",
    "other_employee",
    "arranger",
    "other_arranger",
    "manager",
    "content_admin",
)

# Routes that are not the portal's own contract: Django's admin (its own permission system,
# covered by tests/*/test_admin.py) and Django's auth views (login, logout, password reset:
# public by design). Everything else must have a row.
OUT_OF_SCOPE = re.compile(r"^(admin/|accounts/)")


@dataclass(frozen=True)
class Row:
    """One route: ``methods`` maps a method to the seven statuses ("302 200 404 ...").

    ``objects`` maps each path parameter to an object of the world ("trip", "briefing", ...);
    ``personal`` says the objects belong to the traveller (so a stranger's must be a 404).
    """

    methods: dict[str, str]
    objects: dict[str, str] = field(default_factory=dict)
    personal: bool = True
    query: str = ""


# Statuses shared by many rows, in ROLES order.
PAGE_ANY = "302 200 200 200 200 200 200"  # any signed-in user
PAGE_MANAGERS = "302 403 403 403 403 200 403"
API_ANY = "401 200 200 200 200 200 200"
API_MANAGERS = "401 403 403 403 403 200 403"
PUBLIC = "200 200 200 200 200 200 200"
INCIDENT_PAGES = "302 403 403 403 403 200 200"  # managers and content admins
INCIDENT_API = "401 403 403 403 403 200 200"

MATRIX: dict[str, Row] = {
    # --- portal ---------------------------------------------------------------------------
    "": Row({"GET": PAGE_ANY}),
    "profile/": Row({"GET": PAGE_ANY, "POST": "302 400 400 400 400 400 400"}),
    "profile/data/": Row({"GET": PAGE_ANY}),
    "audit/": Row({"GET": PAGE_MANAGERS}),
    "map/": Row({"GET": PAGE_MANAGERS}),  # the managers' map (portal/maps.py)
    "api/me/": Row({"GET": API_ANY, "PATCH": API_ANY}),
    "api/me/data/": Row({"GET": API_ANY}),
    "api/schema/": Row({"GET": PUBLIC}),
    "api/docs/": Row({"GET": PUBLIC}),
    "api/auth/token/": Row({"POST": "400 400 400 400 400 400 400"}),
    "api/auth/tokens/": Row({"GET": API_ANY}),
    # A token is its owner's alone: nobody else may even learn that it exists.
    "api/auth/tokens/<token_id>/": Row(
        {"DELETE": "401 204 404 404 404 404 404"}, {"token_id": "token"}
    ),
    "profile/tokens/<token_id>/revoke/": Row(
        {"POST": "302 302 404 404 404 404 404"}, {"token_id": "token"}
    ),
    # No login for anyone; 503 here because no worker runs in unit tests (tests/portal/
    # test_health.py and tests/integration/test_health.py see the 200).
    "healthz/": Row({"GET": "503 503 503 503 503 503 503"}, personal=False),
    "profile/tokens/new/": Row({"POST": PAGE_ANY}),
    "favicon.ico": Row({"GET": "302 302 302 302 302 302 302"}, personal=False),
    # --- advisories -----------------------------------------------------------------------
    "destinations/": Row({"GET": PAGE_ANY}),
    "destinations/<code>/": Row({"GET": PAGE_ANY}, {"code": "country"}, personal=False),
    "api/countries/": Row({"GET": API_ANY}),
    "api/countries/<code>/advisory/": Row({"GET": API_ANY}, {"code": "country"}, personal=False),
    "api/countries/<code>/ratings/": Row({"GET": API_ANY}, {"code": "country"}, personal=False),
    "api/activities/": Row({"GET": API_ANY}),
    # --- trips: pages -----------------------------------------------------------------------
    "trips/": Row({"GET": PAGE_ANY}),
    "trips/new/": Row({"GET": PAGE_ANY}),
    "trips/<pk>/": Row({"GET": "302 200 404 200 404 200 404"}, {"pk": "trip"}),
    "trips/<pk>/edit/": Row({"GET": "302 200 404 200 404 403 404"}, {"pk": "trip"}),
    "trips/<pk>/submit/": Row({"POST": "302 302 404 302 404 404 404"}, {"pk": "trip"}),
    "trips/<pk>/cancel/": Row({"POST": "302 302 404 302 404 302 404"}, {"pk": "trip"}),
    "trips/<pk>/approve/": Row({"POST": PAGE_MANAGERS.replace("200", "302")}, {"pk": "trip"}),
    "trips/<pk>/reject/": Row({"POST": PAGE_MANAGERS.replace("200", "302")}, {"pk": "trip"}),
    "trips/<pk>/requirements/<requirement_id>/": Row(
        {"POST": "302 302 404 302 404 302 404"}, {"pk": "trip", "requirement_id": "requirement"}
    ),
    "approvals/": Row({"GET": PAGE_MANAGERS}),
    "locations/": Row({"GET": PAGE_MANAGERS}),
    "locations/message/": Row({"POST": "302 403 403 403 403 400 403"}),
    "compliance/": Row({"GET": PAGE_MANAGERS}),
    # --- trips: API ------------------------------------------------------------------------
    "api/trips/": Row({"GET": API_ANY, "POST": "401 400 400 400 400 400 400"}),
    "api/trips/preview/": Row({"POST": "401 400 400 400 400 400 400"}),
    "api/trips/<pk>/": Row(
        {
            "GET": "401 200 404 200 404 200 404",
            "PATCH": "401 409 404 409 404 403 404",
            "DELETE": "401 409 404 409 404 403 404",
        },
        {"pk": "trip"},
    ),
    "api/trips/<pk>/assessment/": Row({"GET": "401 200 404 200 404 200 404"}, {"pk": "trip"}),
    "api/trips/<pk>/submit/": Row({"POST": "401 409 404 409 404 403 404"}, {"pk": "trip"}),
    "api/trips/<pk>/cancel/": Row({"POST": "401 200 404 200 404 200 404"}, {"pk": "trip"}),
    "api/trips/<pk>/approve/": Row({"POST": "401 403 403 403 403 409 403"}, {"pk": "trip"}),
    "api/trips/<pk>/reject/": Row({"POST": "401 403 403 403 403 400 403"}, {"pk": "trip"}),
    "api/trips/<pk>/requirements/<requirement_id>/": Row(
        {"POST": "401 400 404 400 404 400 404"}, {"pk": "trip", "requirement_id": "requirement"}
    ),
    "api/approvals/": Row({"GET": API_MANAGERS}),
    "api/locations/": Row({"GET": API_MANAGERS}),
    "api/locations/message/": Row({"POST": "401 403 403 403 403 400 403"}),
    # A raw e-mail (message/rfc822) only: the matrix's JSON body is refused as such.
    "api/bookings/email/": Row({"POST": "401 403 403 403 403 415 403"}),
    "api/compliance/": Row({"GET": API_MANAGERS}),
    "api/map/travellers/": Row({"GET": API_MANAGERS}),
    "api/map/incidents/": Row({"GET": API_MANAGERS}),
    # --- bookings -------------------------------------------------------------------------
    "bookings/": Row({"GET": "302 403 403 200 200 200 403"}),
    # The arranger's traveller sent the waiting booking; the other arranger never sees it.
    "bookings/<pk>/assign/": Row({"POST": "302 403 403 302 404 302 403"}, {"pk": "booking"}),
    "api/bookings/": Row({"POST": "401 403 403 403 403 400 403"}),
    "api/bookings/unassigned/": Row({"GET": "401 403 403 200 200 200 403"}),
    "api/bookings/<pk>/assign/": Row({"POST": "401 403 403 400 404 400 403"}, {"pk": "booking"}),
    "api/flights/": Row({"GET": API_MANAGERS.replace("200", "400")}),
    # --- briefings ---------------------------------------------------------------------------
    "briefings/failed/": Row({"GET": PAGE_MANAGERS}),
    "briefings/trips/<trip_id>/rebrief/": Row(
        {"POST": PAGE_MANAGERS.replace("200", "302")}, {"trip_id": "trip"}
    ),
    "briefings/<pk>/retry/": Row({"POST": PAGE_MANAGERS.replace("200", "302")}, {"pk": "briefing"}),
    "briefings/<pk>/download/": Row({"GET": "302 200 404 200 404 200 404"}, {"pk": "briefing"}),
    "briefings/<pk>/status/": Row({"GET": "302 200 404 200 404 200 404"}, {"pk": "briefing"}),
    # The page answers with a redirect and a message; only the traveller's POST acknowledges.
    "briefings/<pk>/acknowledge/": Row({"POST": "302 302 404 302 404 302 404"}, {"pk": "briefing"}),
    "api/trips/<trip_id>/briefings/": Row(
        {"GET": "401 200 404 200 404 200 404"}, {"trip_id": "trip"}
    ),
    "api/briefings/<pk>/pdf/": Row({"GET": "401 200 404 200 404 200 404"}, {"pk": "briefing"}),
    "api/briefings/<pk>/acknowledge/": Row(
        {"POST": "401 400 404 403 404 403 404"}, {"pk": "briefing"}
    ),
    "api/briefings/<pk>/retry/": Row({"POST": "401 403 404 403 404 409 404"}, {"pk": "briefing"}),
    # --- trips: calendars ------------------------------------------------------------------
    "trips/<pk>/calendar.ics": Row({"GET": "302 200 404 200 404 200 404"}, {"pk": "trip"}),
    # Calendar apps cannot sign in: the secret in the address is the key (revocable).
    "calendar/<token>.ics": Row({"GET": PUBLIC}, {"token": "calendar"}, personal=False),
    "profile/calendar/": Row({"POST": PAGE_ANY.replace("200", "302")}),
    # --- incidents -------------------------------------------------------------------------
    "incidents/": Row({"GET": INCIDENT_PAGES}),
    "incidents/new/": Row({"GET": INCIDENT_PAGES}),
    # Content admins see the incident; only managers see who it touches (selectors).
    "incidents/<pk>/": Row({"GET": INCIDENT_PAGES}, {"pk": "incident"}, personal=False),
    "incidents/<pk>/edit/": Row({"GET": INCIDENT_PAGES}, {"pk": "incident"}, personal=False),
    "api/incidents/": Row({"GET": INCIDENT_API, "POST": INCIDENT_API.replace("200", "400")}),
    "api/incidents/<pk>/": Row(
        {"GET": INCIDENT_API, "PATCH": INCIDENT_API}, {"pk": "incident"}, personal=False
    ),
    "api/incidents/<pk>/impacted/": Row({"GET": API_MANAGERS}, {"pk": "incident"}, personal=False),
    # The incident starts on the trip's first arrival, still to come: it cannot end today.
    "incidents/<pk>/close/": Row(
        {"POST": INCIDENT_PAGES.replace("200", "400")}, {"pk": "incident"}, personal=False
    ),
    "api/incidents/<pk>/close/": Row(
        {"POST": INCIDENT_API.replace("200", "400")}, {"pk": "incident"}, personal=False
    ),
    # --- safety checks ---------------------------------------------------------------------
    "incidents/<pk>/checks/start/": Row(
        {"POST": PAGE_MANAGERS.replace("200", "302")}, {"pk": "incident"}, personal=False
    ),
    # 409: the world's check is still open.
    "api/incidents/<pk>/checks/": Row(
        {"POST": API_MANAGERS.replace("200", "409")}, {"pk": "incident"}, personal=False
    ),
    "checks/<pk>/close/": Row(
        {"POST": PAGE_MANAGERS.replace("200", "302")}, {"pk": "check"}, personal=False
    ),
    "checks/<pk>/csv/": Row({"GET": PAGE_MANAGERS}, {"pk": "check"}, personal=False),
    "checks/<pk>/rows/": Row({"GET": PAGE_MANAGERS}, {"pk": "check"}, personal=False),
    "checks/<pk>/recipients/<rid>/": Row(
        {"POST": PAGE_MANAGERS.replace("200", "302")}, {"pk": "check", "rid": "recipient"}
    ),
    # Only a recipient answers; the check does not exist for anyone else.
    "checks/<pk>/answer/": Row(
        {"POST": "302 302 404 404 404 404 404"}, {"pk": "check"}, personal=False
    ),
    # The e-mailed link needs no sign-in: the signed token names the recipient (400: no status).
    "checks/answer/<token>/": Row(
        {"GET": PUBLIC, "POST": PUBLIC.replace("200", "400")},
        {"token": "answer_token"},
        personal=False,
    ),
    "api/checks/<pk>/": Row({"GET": API_MANAGERS}, {"pk": "check"}, personal=False),
    "api/checks/<pk>/answer/": Row(
        {"POST": "401 400 404 404 404 404 404"}, {"pk": "check"}, personal=False
    ),
    "api/checks/<pk>/recipients/<rid>/": Row(
        {"POST": API_MANAGERS.replace("200", "400")}, {"pk": "check", "rid": "recipient"}
    ),
    "api/checks/<pk>/close/": Row({"POST": API_MANAGERS}, {"pk": "check"}, personal=False),
    "api/me/checks/": Row({"GET": API_ANY}),
}


# --- the routes ------------------------------------------------------------------------------


def _readable(pattern: str) -> str:
    """``api/^trips/(?P<pk>[^/.]+)/$`` and ``trips/<int:pk>/`` both read ``.../<pk>/``."""
    pattern = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", pattern)
    pattern = re.sub(r"<\w+:(\w+)>", r"<\1>", pattern)
    return pattern.replace("^", "").replace("$", "").replace("\\", "")


def portal_routes() -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield _readable(prefix + str(pattern.pattern))

    routes = dict.fromkeys(walk(get_resolver().url_patterns))
    return [route for route in routes if not OUT_OF_SCOPE.match(route)]


def test_every_route_has_an_expectation():
    missing = [route for route in portal_routes() if route not in MATRIX]
    assert not missing, (
        "New routes need a row in tests/test_access_matrix.py MATRIX "
        f"(the status for each of {ROLES}): {missing}"
    )


def test_every_expectation_names_a_route():
    routes = set(portal_routes())
    assert not [route for route in MATRIX if route not in routes]


# --- the world -------------------------------------------------------------------------------


def _trip_with_briefing(traveller):
    """An approved upcoming trip with an assessment (one requirement) and a ready briefing."""
    arrival = timezone.localdate() + dt.timedelta(days=30)
    trip = TripFactory(
        traveller=traveller,
        status=TripStatus.APPROVED,
        first_arrival=arrival,
        last_departure=arrival + dt.timedelta(days=3),
    )
    StopFactory(trip=trip, arrival=arrival, departure=arrival + dt.timedelta(days=3))
    Assessment.objects.create(
        trip=trip,
        risk_level=2,
        requires_approval=False,
        requirements=[
            {
                "id": "kz-doc",
                "kind": "document",
                "title": "Carry your passport",
                "detail": "",
                "due_date": None,
                "country": "KZ",
                "place": "",
                "rule": "kz-doc",
            }
        ],
    )
    name = storages["private"].save(f"briefings/{trip.pk}.pdf", ContentFile(b"%PDF-1.7 x"))
    briefing = Briefing.objects.create(
        trip=trip,
        version=1,
        reason="approved",
        status=BriefingStatus.READY,
        sha256="b" * 64,
        file_name=name,
        rendered_at=timezone.now(),
        queued_at=timezone.now(),
    )
    return trip, briefing


@pytest.fixture
def world(db):
    traveller = employee()
    # The stranger's objects belong to nobody in the roles below: not even an arranger.
    stranger = employee()
    users = {
        "traveller": traveller,
        "other_employee": employee(),
        "arranger": arranger_for(traveller),
        "other_arranger": arranger_for(employee()),
        "manager": manager(),
        "content_admin": content_admin(),
    }
    publish_kz()
    trip, briefing = _trip_with_briefing(traveller)
    their_trip, their_briefing = _trip_with_briefing(stranger)
    incident = IncidentFactory(starts_on=trip.first_arrival)
    check = SafetyCheck.objects.create(incident=incident, started_by=users["manager"])
    recipient, their_recipient = (
        CheckRecipient.objects.create(
            safety_check=check, traveller=person, trip=journey, stop=journey.stops.get()
        )
        for person, journey in ((traveller, trip), (stranger, their_trip))
    )
    tokens = [token_id(token_create(user=person)[0]) for person in (traveller, stranger)]
    feeds = [
        CalendarFeed.objects.create(user=u, token=f"feed-{u.pk}") for u in (traveller, stranger)
    ]
    # Bookings waiting for a traveller, each sent by one of the two people.
    waiting = [
        booking_keep_unassigned(
            raw="", door="email", by=None, sender_email=person.email, reason="No reservation."
        )
        for person in (traveller, stranger)
    ]
    return {
        "users": users,
        "own": {
            "trip": trip.pk,
            "briefing": briefing.pk,
            "requirement": "kz-doc",
            "country": "KZ",
            "incident": incident.pk,
            "check": check.pk,
            "recipient": recipient.pk,
            "answer_token": answer_token(recipient),
            "calendar": feeds[0].token,
            "token": tokens[0],
            "booking": waiting[0].pk,
        },
        "strangers": {
            "trip": their_trip.pk,
            "briefing": their_briefing.pk,
            "recipient": their_recipient.pk,
            "answer_token": answer_token(their_recipient),
            "calendar": feeds[1].token,
            "token": tokens[1],
            "booking": waiting[1].pk,
        },
    }


def _path(route: str, row: Row, objects: dict) -> str:
    path = "/" + route
    for parameter, kind in row.objects.items():
        path = path.replace(f"<{parameter}>", str(objects.get(kind, objects.get("_", kind))))
    return path + row.query


def _client(role: str, users: dict) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(users[role])
    return client


def _call(client: Client, method: str, path: str, api: bool) -> int:
    send = getattr(client, method.lower())
    with transaction.atomic():
        if method == "GET":
            response = send(path)
        elif api:
            response = send(path, data="{}", content_type="application/json")
        else:
            response = send(path, data={})
        transaction.set_rollback(True)
    return response.status_code


def _observe(world, route: str, row: Row, method: str, objects: dict) -> list[int]:
    api = route.startswith("api/")
    path = _path(route, row, objects)
    return [_call(_client(role, world["users"]), method, path, api) for role in ROLES]


CASES = [(route, method) for route, row in MATRIX.items() for method in row.methods]


@pytest.mark.parametrize(("route", "method"), CASES, ids=[f"{m} /{r}" for r, m in CASES])
def test_each_role_gets_its_status(world, route, method):
    row = MATRIX[route]
    observed = _observe(world, route, row, method, world["own"])
    if os.environ.get("ACCESS_MATRIX_RECORD") or row.methods[method] == "?":
        print(f'\n"{route}" {method}: "{" ".join(map(str, observed))}"')
        return
    expected = [int(code) for code in row.methods[method].split()]
    assert dict(zip(ROLES, observed, strict=True)) == dict(zip(ROLES, expected, strict=True))


PERSONAL = [(r, m) for r, m in CASES if MATRIX[r].personal and MATRIX[r].objects]


@pytest.mark.parametrize(("route", "method"), PERSONAL, ids=[f"{m} /{r}" for r, m in PERSONAL])
def test_someone_elses_objects_are_always_a_404(world, route, method):
    row = MATRIX[route]
    objects = {**world["own"], **world["strangers"]}
    observed = dict(zip(ROLES, _observe(world, route, row, method, objects), strict=True))
    expected = dict(zip(ROLES, map(int, row.methods[method].split()), strict=True))
    for role in ROLES:
        if role in ("anonymous", "manager"):  # sent to sign in / sees every trip
            continue
        if expected[role] in (401, 403) and observed[role] == expected[role]:
            # Refused whatever the object (the role may not do this at all): nothing leaks.
            continue
        assert observed[role] == 404, (role, observed[role])
