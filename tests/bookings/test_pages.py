import pytest

from bookings.models import Booking, BookingState
from bookings.services import booking_keep_unassigned, booking_receive
from tests.bookings.helpers import booking
from tests.factories import arranger_for, employee, logged_in, manager
from trips.models import Trip

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting():
    return booking_receive(payload=booking(email="e.green@home.example"), by=None, door="feed")


def test_a_manager_sees_what_was_understood_of_a_waiting_booking(waiting):
    page = logged_in(manager()).get("/bookings/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "RXJ34P" in body
    assert "KC 942 LHR 20:15" in body
    assert "e.green@home.example" in body


def test_an_email_without_a_reservation_is_shown_escaped_and_can_only_be_dismissed():
    booking_keep_unassigned(
        raw="<script>alert(1)</script>",
        door="email",
        by=None,
        sender_email="a@b.example",
        reason="No reservation was found in the e-mail.",
    )
    body = logged_in(manager()).get("/bookings/").content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;" in body
    assert "Choose a traveller" not in body


def test_a_manager_assigns_a_waiting_booking_from_the_page(waiting):
    eva = employee(username="eva")
    response = logged_in(manager()).post(
        f"/bookings/{waiting.booking.pk}/assign/", {"traveller": "eva"}
    )
    assert response.status_code == 302
    assert Trip.objects.get().traveller == eva
    assert Booking.objects.get().state == BookingState.ASSIGNED


def test_a_manager_dismisses_a_waiting_booking_from_the_page(waiting):
    logged_in(manager()).post(f"/bookings/{waiting.booking.pk}/assign/", {"dismiss": "1"})
    assert Booking.objects.get().state == BookingState.DISMISSED
    assert Trip.objects.count() == 0


def test_an_arranger_may_not_assign_to_someone_not_theirs(waiting):
    eva = employee(username="eva", email="eva@example.org")
    arranger = arranger_for(eva)
    Booking.objects.update(sender_email="eva@example.org")
    stranger = employee(username="stranger")
    page = logged_in(arranger).post(
        f"/bookings/{waiting.booking.pk}/assign/", {"traveller": stranger.username}, follow=True
    )
    assert "may not assign" in page.content.decode()
    assert Trip.objects.count() == 0


def test_an_employee_may_not_open_the_page():
    assert logged_in(employee()).get("/bookings/").status_code == 403
