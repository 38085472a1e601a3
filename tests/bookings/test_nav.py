import pytest

from bookings.services import booking_receive
from tests.bookings.helpers import booking
from tests.factories import arranger_for, employee, logged_in, manager

pytestmark = pytest.mark.django_db

LINK = 'href="/bookings/"'


def test_managers_and_arrangers_see_the_bookings_link_with_the_count_waiting():
    booking_receive(payload=booking(email="e.green@home.example"), by=None, door="feed")
    page = logged_in(manager()).get("/").content.decode()
    assert LINK in page
    assert 'aria-label="1 waiting"' in page
    arranger = logged_in(arranger_for(employee())).get("/").content.decode()
    assert LINK in arranger
    # Nothing waits for this arranger (the booking is neither theirs nor their traveller's).
    assert "waiting" not in arranger.split(LINK)[1].split("</a>")[0]


def test_an_employee_sees_no_bookings_link():
    booking_receive(payload=booking(email="e.green@home.example"), by=None, door="feed")
    page = logged_in(employee()).get("/").content.decode()
    assert LINK not in page
