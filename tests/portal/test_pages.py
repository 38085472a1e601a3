"""Pages every user has: log in and out, the dashboard, the profile, destination guides."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.factories import TripFactory, employee, logged_in, manager, without_role
from tests.trips import helpers as trips_helpers
from tests.trips.helpers import d

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def file_trip(traveller, **kwargs):
    """A trip leaving in three days, the dashboard's "soon"."""
    return trips_helpers.file_trip(traveller, **{"start": 3, "purpose": "Audit", **kwargs})


@pytest.mark.parametrize("path", ["/", "/profile/", "/destinations/", "/destinations/MN/"])
def test_every_page_requires_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_the_login_page_has_a_protected_form(client):
    response = client.get("/accounts/login/?next=/profile/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in body
    assert 'name="next" value="/profile/"' in body
    assert 'name="username"' in body and 'name="password"' in body


def test_logging_in_through_the_form_and_out_again(db):
    user = employee(username="ada")
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/accounts/login/",
        {"username": "ada", "password": "pw-for-tests-1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Log out" in page.content.decode()
    assert page.context["user"] == user
    token = client.cookies["csrftoken"].value
    assert client.post("/accounts/logout/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_logging_in_without_the_csrf_token_is_refused(db):
    employee(username="grace")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "grace", "password": "pw-for-tests-1"})
    assert response.status_code == 403


def test_a_wrong_password_shows_an_error(client, db):
    employee(username="alan")
    response = client.post("/accounts/login/", {"username": "alan", "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_repeated_failures_lock_the_account(client, db, settings):
    employee(username="mallory")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "mallory", "password": "guess"})
    response = client.post(
        "/accounts/login/", {"username": "mallory", "password": "pw-for-tests-1"}
    )
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()


# --- users with no role ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/trips/new/", "/trips/{trip}/", "/trips/{trip}/edit/", "/profile/", "/destinations/"],
)
def test_a_user_with_no_role_gets_a_page_saying_so(path):
    user = without_role()
    trip = TripFactory(traveller=user)
    response = logged_in(user).get(path.format(trip=trip.pk))
    body = response.content.decode()
    assert response.status_code == 403
    assert "You have no role in the travel risk portal" in body
    assert "ask an administrator" in body
    assert 'href="/trips/new/"' not in body  # no navigation to pages they cannot use
    assert "Log out" in body


def test_a_user_with_no_role_cannot_file_a_trip_through_the_form(db):
    user = without_role()
    response = logged_in(user).post(
        "/trips/new/",
        {
            "purpose": "Sneaky",
            "stops-TOTAL_FORMS": "1",
            "stops-INITIAL_FORMS": "0",
            "stops-0-country": "MN",
            "stops-0-arrival": d(5).isoformat(),
            "stops-0-departure": d(6).isoformat(),
        },
    )
    assert response.status_code == 403
    assert not user.trips.exists()


def test_a_user_with_no_role_can_still_log_out(db):
    client = logged_in(without_role())
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_a_superuser_without_a_group_sees_the_dashboard(db):
    assert logged_in(without_role(is_superuser=True)).get("/").status_code == 200


# --- the profile -----------------------------------------------------------------------------


def test_the_profile_page_saves_through_the_service(db):
    user = employee()
    client = logged_in(user)
    assert client.get("/profile/").status_code == 200
    response = client.post(
        "/profile/",
        {
            "nationality": "GB",
            "passport_type": "service",
            "date_of_birth": "1990-05-01",
            "department": "Engineering",
            "phone": "+44 7911 123456",
            "emergency_contact_name": "Sam",
            "emergency_contact_phone": "020 7946 0999",
        },
    )
    assert response.status_code == 302
    user.profile.refresh_from_db()
    assert user.profile.nationality == "GB"
    assert user.profile.passport_type == "service"
    assert user.profile.date_of_birth == dt.date(1990, 5, 1)
    assert user.profile.emergency_contact_name == "Sam"
    # Typed as dialled in the UK, stored as a manager abroad dials it.
    assert user.profile.emergency_contact_phone == "+44 20 7946 0999"


def test_the_profile_rejects_bad_input_and_keeps_what_was_typed(db):
    user = employee()
    response = logged_in(user).post(
        "/profile/",
        {
            "nationality": "XX",
            "passport_type": "fake",
            "date_of_birth": "yesterday",
            "department": "Typed",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Select a valid choice" in body
    assert "Enter a valid date." in body
    assert 'value="Typed"' in body and 'value="yesterday"' in body
    user.profile.refresh_from_db()
    assert user.profile.department == ""


def test_the_profile_form_needs_the_csrf_token(db):
    user = employee()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.post("/profile/", {"department": "Hacked"}).status_code == 403
    user.profile.refresh_from_db()
    assert user.profile.department == ""


# --- the dashboard ---------------------------------------------------------------------------


def test_the_employee_dashboard_says_what_each_trip_needs(catalogue):
    user = employee()
    # One traveller's trips going ahead never overlap (a second one is refused at submit).
    pending = file_trip(user, place="Sealed Valley", purpose="Valley survey", start=12)
    draft = file_trip(user, submit=False, purpose="Draft idea", start=40)
    approved = file_trip(user, purpose="Harbour talks", start=2)
    file_trip(employee(), purpose="Someone else's trip")
    body = logged_in(user).get("/").content.decode()
    for trip in (pending, draft, approved):
        assert f'href="/trips/{trip.pk}/"' in body
    assert "Someone else" not in body
    assert "Awaiting a security manager" in body
    assert "Finish and submit" in body
    assert "Register your stay" in body  # due within the fortnight
    assert "tile-number" not in body  # no manager tiles


def test_the_manager_dashboard_counts_the_work(catalogue):
    file_trip(employee(), place="Sealed Valley", start=0)
    file_trip(employee(), start=0)
    response = logged_in(manager()).get("/")
    assert response.status_code == 200
    assert response.context["pending_count"] == 1
    assert response.context["abroad_count"] == 2
    assert response.context["gaps_count"] >= 1
    body = response.content.decode()
    assert 'href="/approvals/"' in body and 'href="/locations/"' in body


def test_the_dashboard_runs_a_constant_number_of_queries(catalogue, django_assert_max_num_queries):
    user = manager()
    client = logged_in(user)
    file_trip(user, place="Sealed Valley")
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for n in range(5):
        # One traveller's trips going ahead never overlap: 20-28, 30-38, 40-48 ...
        file_trip(user, place="Sealed Valley", start=20 + 20 * n)
        file_trip(user, start=30 + 20 * n)
        file_trip(employee(), start=1)
    with django_assert_max_num_queries(len(one)):
        assert client.get("/").status_code == 200


def briefing_for(trip, status, **fields):
    from django.utils import timezone

    from briefings.models import Briefing

    if status == "ready":
        fields = {"sha256": "a" * 64, "file_name": "b.pdf", "rendered_at": timezone.now(), **fields}
    # Approving the trip queued its first briefing: this is what became of it.
    briefing, _ = Briefing.objects.update_or_create(
        trip=trip,
        version=1,
        defaults={"reason": "approved", "status": status, "queued_at": timezone.now(), **fields},
    )
    return briefing


def test_an_arranger_is_told_whom_the_briefing_waits_for(catalogue):
    from tests.factories import arranger_for

    traveller = employee(first_name="Dana", last_name="Traveller")
    arranger = arranger_for(traveller)
    trip = file_trip(traveller, purpose="Harbour talks")
    assert trip.status == "approved"
    briefing_for(trip, "ready")

    as_arranger = logged_in(arranger).get("/").content.decode()
    assert f'href="/trips/{trip.pk}/"' in as_arranger
    assert "Waiting for Dana Traveller to acknowledge the briefing" in as_arranger
    assert "Read and acknowledge your briefing" not in as_arranger
    as_traveller = logged_in(traveller).get("/").content.decode()
    assert "Read and acknowledge your briefing" in as_traveller
    assert "Waiting for" not in as_traveller


def test_the_dashboard_says_when_the_briefing_could_not_be_prepared(catalogue):
    user = employee()
    trip = file_trip(user, purpose="Harbour talks")
    briefing_for(trip, "failed", error="OSError: disk full")
    body = logged_in(user).get("/").content.decode()
    assert "The briefing could not be prepared; the security team has been told" in body
    assert "Briefing being prepared" not in body
    assert "OSError" not in body


# --- destination guides ----------------------------------------------------------------------


def test_destination_guides_show_only_published_advisories(catalogue):
    from tests.factories import AdvisoryFactory, country

    AdvisoryFactory(country=country("FR"), summary="Draft only")
    client = logged_in(employee())
    listing = client.get("/destinations/").content.decode()
    assert 'href="/destinations/MN/"' in listing
    assert "/destinations/FR/" not in listing
    assert client.get("/destinations/FR/").status_code == 404
    assert client.get("/destinations/ZZ/").status_code == 404
    page = client.get("/destinations/MN/").content.decode()
    assert "Normal precautions." in page
    assert "<p>Watch your bag.</p>" in page
    assert "Sealed Valley" in page and "closed area" in page
    assert "A stay of more than 5 days must be registered within 5 days of arrival." in page
    assert "Police" in page and "102" in page
    assert "Version 1" in page


def test_advisory_bodies_are_sanitised(db):
    import copy

    from advisories.packs import pack_import
    from tests.trips.helpers import TEST_PACK

    pack = copy.deepcopy(TEST_PACK)
    pack["countries"][0]["advisory"]["sections"][0]["body"] = (
        "Hi <script>alert(1)</script> [x](javascript:alert(2))"
    )
    pack_import(pack, by=None)
    body = logged_in(employee()).get("/destinations/MN/").content.decode()
    assert "<script>alert(1)" not in body
    assert 'href="javascript:' not in body


# --- the manager's dashboard in a crisis (issue 22) -----------------------------------------


def crisis_in_almaty():
    """A critical incident in Almaty since yesterday, two travellers there (one needing
    help, asked by its check) and one arriving tomorrow."""
    from incidents.checks.services import check_answer, check_start
    from incidents.models import CheckRecipient
    from tests.factories import IncidentFactory, PlaceFactory, country, trip_with_stops

    almaty = PlaceFactory(country=country("KZ"), name="Almaty")
    incident = IncidentFactory(
        title="Earthquake in Almaty", severity="warning", places=[almaty], starts_on=d(-1)
    )
    helpless, fine, coming = employee(), employee(), employee()
    for user, start in ((helpless, -1), (fine, -1), (coming, 1)):
        trip_with_stops(
            {"country": country("KZ"), "place": almaty, "arrival": d(start), "departure": d(4)},
            traveller=user,
        )
    check = check_start(incident=incident, by=manager())
    recipient = CheckRecipient.objects.get(safety_check=check, traveller=helpless)
    check_answer(recipient=recipient, status="need_help", channel="portal", by=helpless)
    return incident


def test_in_a_crisis_the_manager_dashboard_opens_with_the_incident_and_its_counts(db):
    incident = crisis_in_almaty()

    response = logged_in(manager()).get("/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "In a crisis now: 1 open incident touching travellers" in body
    assert f'href="/incidents/{incident.pk}/"' in body
    assert f'href="/incidents/{incident.pk}/#safety-check"' in body
    counts = {name: value for name, value in re.findall(r'data-crisis-count="(\w+)">(\d+)<', body)}
    assert counts == {
        "there": "2",
        "arriving": "1",
        "safe": "0",
        "need_help_unhandled": "1",
        "no_answer": "1",
    }
    assert body.index("crisis-title") < body.index("manage-title")


def test_without_a_crisis_the_dashboard_has_no_crisis_panel(db):
    body = logged_in(manager()).get("/").content.decode()

    assert "In a crisis now" not in body


def test_travellers_do_not_see_the_crisis_panel(db):
    crisis_in_almaty()

    body = logged_in(employee()).get("/").content.decode()

    assert "In a crisis now" not in body


def test_the_crisis_panel_costs_the_same_queries_for_more_incidents_and_travellers(db):
    from tests.factories import IncidentFactory, country, trip_with_stops

    def camp(n):
        IncidentFactory(country=country("MN"), starts_on=d(-2))
        trip_with_stops(
            {
                "country": country("MN"),
                "place_text": f"Camp {n}",
                "arrival": d(-1),
                "departure": d(2),
            },
            traveller=employee(),
        )

    crisis_in_almaty()
    camp(0)
    client = logged_in(manager())
    with CaptureQueriesContext(connection) as one:
        client.get("/")
    for n in range(1, 5):
        camp(n)
    with CaptureQueriesContext(connection) as many:
        body = client.get("/").content.decode()

    assert "In a crisis now: 6 open incidents touching travellers" in body
    assert len(many) == len(one)


# --- phones: a menu button, folding filters, a trip page's contents ---------------------------


def test_every_page_has_a_menu_button_that_the_script_reveals_and_a_menu_it_controls(catalogue):
    body = logged_in(manager()).get("/trips/").content.decode()
    button = body.split('<button type="button" class="menu-button"')[1].split(">")[0]
    # Hidden until portal.js runs: without the script the menu simply stays open.
    assert 'aria-expanded="false"' in button and 'aria-controls="site-menu"' in button
    assert " hidden" in button
    menu = body.split('id="site-menu"')[1]
    assert 'aria-label="Main"' in menu and 'href="/trips/"' in menu and "Log out" in menu


def test_list_filters_sit_in_a_disclosure_that_folds_on_phones(catalogue):
    client = logged_in(manager())
    for path, summary in [
        ("/trips/", "Search and filters"),
        ("/audit/", "Filters and CSV"),
        ("/approvals/", "Filters"),
    ]:
        body = client.get(path).content.decode()
        fold = body.split('<details class="card filters-fold" open data-fold-on-phone>')[1]
        assert fold.split("</summary>")[0].startswith(f"\n<summary>{summary}"), path
        assert '<form method="get" class="filters"' in fold.split("</details>")[0], path
    body = client.get("/trips/?q=audit").content.decode()
    assert 'Search and filters <span class="muted">(applied)</span>' in body


def test_the_trip_page_lists_its_sections_and_each_link_has_its_target(catalogue):
    user = employee()
    trip = trips_helpers.file_trip(user)
    body = logged_in(user).get(f"/trips/{trip.pk}/").content.decode()
    toc = body.split('<nav class="page-toc" aria-labelledby="toc-title">')[1].split("</nav>")[0]
    targets = re.findall(r'href="#([a-z-]+)"', toc)
    assert targets == [
        "briefing-title",
        "risk-title",
        "req-title",
        "advice-title",
        "itin-title",
        "history-title",
    ]
    for target in targets:
        assert f'id="{target}"' in body
