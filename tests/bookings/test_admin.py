import pytest

from bookings.models import Booking
from bookings.services import booking_receive
from tests.bookings.helpers import booking
from tests.factories import employee, logged_in, manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    result = booking_receive(
        payload=booking(email="e.green@home.example"),
        by=None,
        door="email",
        raw='<img src="https://tracker.example/p.gif"><script>alert(1)</script>',
    )
    return Booking.objects.get(reference="RXJ34P"), result


def test_a_manager_reads_bookings_and_their_raw_input_escaped(received):
    booking_row, _ = received
    client = logged_in(manager())
    changelist = client.get("/admin/bookings/booking/")
    assert changelist.status_code == 200
    assert "RXJ34P" in changelist.content.decode()
    assert client.get("/admin/bookings/booking/", {"q": "RXJ34P"}).status_code == 200
    page = client.get(f"/admin/bookings/booking/{booking_row.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>alert(1)" not in body
    assert '<img src="https://tracker.example' not in body
    assert "KC" in body and "LHR" in body
    assert 'name="reference"' not in body
    assert client.get("/admin/bookings/booking/add/").status_code == 403


def test_an_employee_cannot_open_the_bookings_admin(received):
    booking_row, _ = received
    client = logged_in(employee())
    assert client.get("/admin/bookings/booking/").status_code in (302, 403)
    page = client.get(f"/admin/bookings/booking/{booking_row.pk}/change/")
    assert page.status_code in (302, 403)
