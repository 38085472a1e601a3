"""`manage.py import_bookings PATH`: an .eml file, a Maildir or an mbox, each e-mail printed
with what it became; the same e-mails again change nothing."""

from __future__ import annotations

import io
import mailbox

import pytest
import time_machine
from django.core.management import CommandError, call_command

from advisories.packs import pack_import
from bookings.models import Booking, BookingState
from tests import factories
from tests.bookings.email_helpers import BEFORE_THE_TRIPS, FIXTURES, fixture
from trips.models import Trip

EMAILS = ["flight-jsonld-connection.eml", "hotel-microdata.eml", "no-reservation.eml"]


@pytest.fixture(autouse=True)
def _world(db, settings):
    settings.BOOKINGS_EXTRACTOR = "markup"
    with time_machine.travel(BEFORE_THE_TRIPS, tick=True):
        pack_import(factories.content_pack("KZ"), by=None)
        factories.employee(username="eva", email="eva.green@example.org")
        yield


def run(path) -> str:
    out = io.StringIO()
    call_command("import_bookings", str(path), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_an_eml_file_is_filed_and_printed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        printed = run(FIXTURES / "flight-jsonld-connection.eml")
    assert "flight-jsonld-connection.eml: RXJ34P: new, assigned, trip" in printed
    assert "1 e-mail(s) read, 0 refused." in printed
    assert Booking.objects.get(reference="RXJ34P").trip is not None


def test_a_maildir_is_read_whole_and_twice_changes_nothing(tmp_path):
    box = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for name in EMAILS:
        box.add(fixture(name))
    printed = run(tmp_path / "Maildir")
    assert "3 e-mail(s) read, 0 refused." in printed
    assert "kept unassigned" in printed
    counts = (Booking.objects.count(), Trip.objects.count())
    assert counts == (3, 1)
    again = run(tmp_path / "Maildir")
    assert again.count(": known,") == 2
    assert (Booking.objects.count(), Trip.objects.count()) == counts


def test_an_mbox_is_read_message_by_message(tmp_path):
    box = mailbox.mbox(str(tmp_path / "bookings.mbox"), create=True)
    for name in EMAILS:
        box.add(fixture(name))
    box.close()
    printed = run(tmp_path / "bookings.mbox")
    assert printed.splitlines()[0].startswith("message 1: RXJ34P: new, assigned")
    # Eva's hotel joins the trip of her flights; the e-mail without a booking waits.
    assert printed.splitlines()[1].startswith("message 2: HA-558201: new, assigned")
    assert "message 3: kept unassigned" in printed
    assert Booking.objects.filter(state=BookingState.UNASSIGNED).count() == 1


def test_a_path_that_is_not_there_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run(tmp_path / "missing.mbox")
