"""The arranger role, not a name in a traveller's profile, grants an arranger's rights: checked
on every request, so that a demoted arranger loses access at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from briefings.models import Briefing, BriefingStatus
from core import roles
from tests.factories import UserFactory, api_as, arranger_for, employee, logged_in
from tests.trips.helpers import d, file_trip

pytestmark = pytest.mark.django_db


def ready_briefing(trip) -> Briefing:
    """The trip's briefing (approving it queued one), or one made ready here."""
    existing = trip.briefings.order_by("-version").first()
    if existing is not None:
        return existing
    return Briefing.objects.create(
        trip=trip,
        version=1,
        reason="approved",
        content_versions={"MN": 1},
        queued_at=timezone.now(),
        status=BriefingStatus.READY,
        sha256="0" * 64,
        file_name="briefing.pdf",
        rendered_at=timezone.now(),
    )


def demote(user) -> None:
    user.groups.remove(Group.objects.get(name=roles.ARRANGER))
    user.groups.add(Group.objects.get(name=roles.EMPLOYEE))


def trip_body() -> dict:
    return {
        "purpose": "Supplier visit",
        "stops": [
            {
                "country": "MN",
                "place": "Old Harbour",
                "arrival": str(d(10)),
                "departure": str(d(14)),
            }
        ],
    }


@pytest.fixture
def traveller(catalogue):
    return employee()


def test_an_arranger_reads_and_files_for_their_traveller(traveller):
    arranger = arranger_for(traveller)
    trip = file_trip(traveller)
    assert api_as(arranger).get(f"/api/trips/{trip.pk}/").status_code == 200
    response = api_as(arranger).post(
        "/api/trips/", {**trip_body(), "traveller": traveller.username}, format="json"
    )
    assert response.status_code == 201


def test_an_employee_named_as_arranger_without_the_role_gets_nothing(traveller):
    colleague = employee()
    traveller.profile.arrangers.add(colleague)
    trip = file_trip(traveller)
    briefing = ready_briefing(trip)
    client = api_as(colleague)
    assert client.get(f"/api/trips/{trip.pk}/").status_code == 404
    assert client.get("/api/trips/").json()["count"] == 0
    assert client.get(f"/api/briefings/{briefing.pk}/pdf/").status_code == 404
    assert (
        client.patch(f"/api/trips/{trip.pk}/", {"purpose": "x"}, format="json").status_code == 404
    )
    assert logged_in(colleague).get(f"/trips/{trip.pk}/").status_code == 404
    assert logged_in(colleague).get(f"/trips/{trip.pk}/edit/").status_code == 404


def test_a_demoted_arranger_loses_the_trips_and_their_briefings(traveller):
    arranger = arranger_for(traveller)
    trip = file_trip(traveller)
    briefing = ready_briefing(trip)
    demote(arranger)
    client = api_as(arranger)
    assert client.get(f"/api/trips/{trip.pk}/").status_code == 404
    assert client.get(f"/api/trips/{trip.pk}/briefings/").status_code == 404
    assert client.get(f"/api/briefings/{briefing.pk}/pdf/").status_code == 404
    assert client.post(f"/api/trips/{trip.pk}/cancel/").status_code == 404
    page = logged_in(arranger)
    assert page.get(f"/trips/{trip.pk}/").status_code == 404
    assert page.get(f"/briefings/{briefing.pk}/download/").status_code == 404


def test_a_demoted_arranger_cannot_file_for_their_former_traveller(traveller):
    arranger = arranger_for(traveller)
    demote(arranger)
    response = api_as(arranger).post(
        "/api/trips/", {**trip_body(), "traveller": traveller.username}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"traveller": ["You may not file trips for this traveller."]}
    assert not traveller.trips.exists()


def test_a_demoted_arranger_is_offered_no_travellers_on_the_trip_form(traveller):
    arranger = arranger_for(traveller, first_name="Arthur", last_name="Arranger")
    traveller.first_name, traveller.last_name = "Tess", "Traveller"
    traveller.save()
    assert "Tess Traveller" in logged_in(arranger).get("/trips/new/").content.decode()
    demote(arranger)
    assert "Tess Traveller" not in logged_in(arranger).get("/trips/new/").content.decode()


def test_the_profile_arrangers_choice_lists_only_arrangers(admin_client, traveller):
    arranger = UserFactory(role=roles.ARRANGER, username="real-arranger")
    employee(username="just-a-colleague")
    page = admin_client.get(f"/admin/auth/user/{traveller.pk}/change/").content.decode()
    assert f'value="{arranger.pk}"' in page and "real-arranger" in page
    assert (
        "just-a-colleague" not in page.split('name="profile-0-arrangers"')[1].split("</select>")[0]
    )
