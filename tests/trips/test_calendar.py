"""Trips and deadlines in the traveller's calendar: a personal feed at a secret URL (no login,
revocable from the profile page) and a per-trip .ics download (permission-checked)."""

import datetime as dt

import pytest
from icalendar import Calendar

from core.errors import NotAllowed
from core.models import AuditEntry
from tests.factories import arranger_for, employee, logged_in, manager
from tests.trips.helpers import d, file_trip
from trips import services
from trips.models import CalendarFeed

PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's

pytestmark = pytest.mark.django_db


def events(content: bytes) -> dict[str, tuple[dt.date, dt.date]]:
    calendar = Calendar.from_ical(content)
    return {
        str(event["summary"]): (event.decoded("dtstart"), event.decoded("dtend"))
        for event in calendar.walk("VEVENT")
    }


def feed_url(user) -> str:
    client = logged_in(user)
    client.post("/profile/calendar/", {"action": "renew"})
    return f"/calendar/{CalendarFeed.objects.get(user=user).token}.ics"


def test_the_profile_page_gives_a_calendar_address_on_request(catalogue):
    user = employee()
    client = logged_in(user)
    assert "Get my calendar address" in client.get("/profile/").content.decode()
    response = client.post("/profile/calendar/", {"action": "renew"}, follow=True)
    feed = CalendarFeed.objects.get(user=user)
    assert f"/calendar/{feed.token}.ics" in response.content.decode()
    assert len(feed.token) >= 40
    assert AuditEntry.objects.filter(action="calendar.created", actor=user).exists()


def test_the_feed_needs_no_login_and_holds_trip_dates_and_due_dates(client, catalogue):
    user = employee()
    file_trip(user, purpose="Harbour audit", activities=["driving"], start=10, days=8)
    response = client.get(feed_url(user))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    found = events(response.content)
    # All-day events: the end date is the day after the last day.
    assert found["Trip: Harbour audit"] == (d(10), d(19))
    assert found["Due: International Driving Permit"] == (d(10), d(11))
    assert found["Due: Register your stay"] == (d(14), d(15))


def test_a_renewed_or_revoked_address_stops_working(client, catalogue):
    user = employee()
    file_trip(user)
    old = feed_url(user)
    new = feed_url(user)
    assert old != new
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    logged_in(user).post("/profile/calendar/", {"action": "revoke"})
    assert client.get(new).status_code == 404
    assert not CalendarFeed.objects.exists()
    assert AuditEntry.objects.filter(action="calendar.revoked").count() == 1


def test_a_password_change_ends_the_calendar_address_as_it_ends_api_tokens(client, catalogue):
    user = employee()
    file_trip(user)
    url = feed_url(user)
    assert client.get(url).status_code == 200

    response = logged_in(user).post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new secret 81",
            "new_password2": "a brand new secret 81",
        },
    )

    assert response.status_code == 302
    assert client.get(url).status_code == 404
    revoked = AuditEntry.objects.get(action="calendar.revoked")
    assert (revoked.actor, revoked.details) == (None, {"reason": "password changed"})
    user.refresh_from_db()
    page = logged_in(user).get("/profile/").content.decode()
    assert "Get my calendar address" in page


def test_saving_a_user_without_a_new_password_keeps_their_calendar_address(client, catalogue):
    user = employee()
    file_trip(user)
    url = feed_url(user)
    user.first_name = "Renamed"
    user.save()
    assert client.get(url).status_code == 200


def test_only_the_owner_renews_or_revokes_a_calendar_address(catalogue):
    user, other = employee(), manager()
    feed_url(user)
    with pytest.raises(NotAllowed):
        services.calendar_feed_revoke(user=user, by=other)
    with pytest.raises(NotAllowed):
        services.calendar_feed_renew(user=user, by=other)
    assert CalendarFeed.objects.filter(user=user).exists()


def test_a_made_up_token_is_a_404(client, catalogue):
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_the_feed_leaves_out_other_peoples_and_cancelled_trips(client, catalogue):
    user = employee()
    file_trip(user, purpose="Mine")
    file_trip(employee(), purpose="Someone else's", start=40)
    cancelled = file_trip(user, purpose="Called off", start=60)
    cancelled.status = "cancelled"
    cancelled.save()
    summaries = events(client.get(feed_url(user)).content)
    assert "Trip: Mine" in summaries
    assert "Trip: Someone else's" not in summaries and "Trip: Called off" not in summaries


def test_the_per_trip_download_is_for_those_who_may_see_the_trip(catalogue):
    traveller = employee()
    trip = file_trip(traveller, purpose="Harbour audit")
    for user in (traveller, arranger_for(traveller), manager()):
        response = logged_in(user).get(f"/trips/{trip.pk}/calendar.ics")
        assert response.status_code == 200
        assert f'filename="trip-{trip.pk}.ics"' in response["Content-Disposition"]
        assert "Trip: Harbour audit" in events(response.content)
    assert logged_in(employee()).get(f"/trips/{trip.pk}/calendar.ics").status_code == 404
    page = logged_in(traveller).get(f"/trips/{trip.pk}/").content.decode()
    assert f'href="/trips/{trip.pk}/calendar.ics"' in page
