"""The same filing sent twice files one trip (issue 22: the back button after submitting the
trip form, then submitting again, made a second draft). The form carries a key of its own;
an API client may send an Idempotency-Key header, through the same service."""

import re
import uuid

import pytest

from tests.factories import employee, logged_in
from tests.trips.test_pages import form_data
from trips.models import Trip, TripStatus

pytestmark = pytest.mark.django_db


def the_forms_key(client) -> str:
    body = client.get("/trips/new/").content.decode()
    found = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', body)
    assert found, "the new-trip form carries no submission key"
    return found.group(1)


def test_saving_the_same_form_twice_keeps_one_draft_with_what_was_sent_last(catalogue):
    user = employee()
    client = logged_in(user)
    key = the_forms_key(client)

    first = client.post("/trips/new/", form_data(submission_key=key))
    # The back button, a corrected purpose, and "Save draft" again.
    second = client.post("/trips/new/", form_data(submission_key=key, purpose="Plant audit"))

    trips = list(Trip.objects.filter(traveller=user))
    assert len(trips) == 1
    assert first["Location"] == second["Location"] == f"/trips/{trips[0].pk}/"
    assert trips[0].purpose == "Plant audit"
    assert trips[0].stops.count() == 2


def test_submitting_the_same_form_again_after_it_was_submitted_files_nothing_new(catalogue):
    user = employee()
    client = logged_in(user)
    key = the_forms_key(client)
    client.post("/trips/new/", form_data(submission_key=key, action="submit"))
    trip = Trip.objects.get(traveller=user)
    status = trip.status
    transitions = trip.transitions.count()
    assert status in (TripStatus.APPROVED, TripStatus.PENDING_APPROVAL)

    again = client.post("/trips/new/", form_data(submission_key=key, action="submit"), follow=True)

    assert Trip.objects.filter(traveller=user).count() == 1
    trip.refresh_from_db()
    assert trip.status == status
    assert trip.transitions.count() == transitions
    assert "This trip was already filed" in again.content.decode()


def test_two_fresh_forms_file_two_trips(catalogue):
    user = employee()
    client = logged_in(user)
    client.post("/trips/new/", form_data(submission_key=the_forms_key(client)))
    client.post("/trips/new/", form_data(submission_key=the_forms_key(client)))
    assert Trip.objects.filter(traveller=user).count() == 2


def test_the_typed_place_is_one_the_browser_restores_after_the_back_button(catalogue):
    body = logged_in(employee()).get("/trips/new/").content.decode()
    place = re.search(r"<input[^>]*name=\"stops-0-place\"[^>]*>", body).group(0)
    assert 'autocomplete="off"' not in place


API_TRIP = {
    "purpose": "Customer visit",
    "stops": [
        {
            "country": "MN",
            "place": "Old Harbour",
            "arrival": "2027-03-01",
            "departure": "2027-03-05",
        }
    ],
}


def test_the_api_files_one_trip_for_one_idempotency_key(api, catalogue):
    user = employee()
    api.force_authenticate(user)
    key = str(uuid.uuid4())

    first = api.post("/api/trips/", API_TRIP, format="json", HTTP_IDEMPOTENCY_KEY=key)
    second = api.post("/api/trips/", API_TRIP, format="json", HTTP_IDEMPOTENCY_KEY=key)

    assert first.status_code == 201
    assert second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert Trip.objects.filter(traveller=user).count() == 1


def test_a_malformed_idempotency_key_is_a_field_error_and_files_nothing(api, catalogue):
    user = employee()
    api.force_authenticate(user)

    response = api.post("/api/trips/", API_TRIP, format="json", HTTP_IDEMPOTENCY_KEY="again")

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Trip.objects.filter(traveller=user).exists()
