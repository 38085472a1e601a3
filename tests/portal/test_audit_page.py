"""The security managers' audit trail page: filters, pages, CSV, and nobody else."""

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.audit import audit_record
from core.models import AuditEntry
from tests.factories import content_admin, employee, logged_in, manager

pytestmark = pytest.mark.django_db


def test_the_audit_trail_is_for_managers_only(client):
    assert client.get("/audit/")["Location"] == "/accounts/login/?next=/audit/"
    assert logged_in(employee()).get("/audit/").status_code == 403
    assert logged_in(employee()).get("/audit/?format=csv").status_code == 403
    assert logged_in(content_admin()).get("/audit/").status_code == 403


def test_managers_see_entries_newest_first_and_filter_them():
    boss, ada = manager(username="boss"), employee(username="ada")
    audit_record(actor=ada, action="briefing.acknowledged", details={"sha256": "ab" * 32})
    audit_record(actor=boss, action="trip.approved", ip="10.0.0.7", details={"comment": "ok"})
    client = logged_in(boss)

    # Sign-ins are hidden unless asked for.
    entries = client.get("/audit/").context["page"].object_list
    assert [e.action for e in entries] == ["trip.approved", "briefing.acknowledged"]
    entries = client.get("/audit/?sessions=on").context["page"].object_list
    assert [e.action for e in entries] == ["auth.login", "trip.approved", "briefing.acknowledged"]

    body = client.get("/audit/?action=trip.approved").content.decode()
    assert "Trip approved" in body and "10.0.0.7" in body
    assert "Briefing acknowledged" not in body.split("<tbody>")[1]
    only_ada = client.get("/audit/?actor=ADA").context["page"].object_list
    assert [e.actor for e in only_ada] == [ada]


def test_a_bad_filter_value_is_a_field_error_not_a_crash():
    response = logged_in(manager()).get("/audit/?since=not-a-date&action=no.such.action")
    assert response.status_code == 200
    errors = response.context["filter"].form.errors
    assert "since" in errors and "action" in errors


def test_the_trail_is_paged_fifty_at_a_time_in_constant_queries():
    boss = manager()
    client = logged_in(boss)
    audit_record(actor=boss, action="trip.approved")
    with CaptureQueriesContext(connection) as few:
        client.get("/audit/")
    for number in range(60):
        audit_record(actor=employee(), action="trip.submitted", details={"n": number})
    with CaptureQueriesContext(connection) as many:
        first = client.get("/audit/")
    assert len(many) == len(few)
    assert len(first.context["page"].object_list) == 50
    second = client.get("/audit/?page=2")
    assert len(second.context["page"].object_list) == 11  # 61 entries; the sign-in is hidden
    assert "Page 2 of 2" in second.content.decode()


def test_the_csv_carries_the_filtered_entries_with_formulas_neutralised():
    boss = manager()
    audit_record(actor=boss, action="trip.rejected", details={"reason": "=HYPERLINK(1)"})
    audit_record(actor=boss, action="trip.approved")
    response = logged_in(boss).get("/audit/?action=trip.rejected&format=csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["time", "user", "action"]
    assert [row[2] for row in rows[1:]] == ["trip.rejected"]
    assert '"reason": "=HYPERLINK(1)"' in rows[1][7]
    assert AuditEntry.objects.exclude(action__startswith="auth.").count() == 2


def test_entries_written_while_serving_a_request_carry_its_ip(catalogue):
    from tests.trips.helpers import file_trip

    trip = file_trip(employee(), place="Sealed Valley")  # a closed area: needs a decision
    boss = manager()
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(boss)
    client.post(f"/trips/{trip.pk}/approve/", {"comment": "fine"})
    entry = AuditEntry.objects.get(action="trip.approved", actor__isnull=False)
    assert (entry.actor, entry.ip) == (boss, "203.0.113.9")


def test_actions_read_in_words_and_sign_ins_are_hidden_until_asked_for():
    boss = manager(username="boss")
    audit_record(actor=boss, action="trip.pending_approval")
    audit_record(actor=None, action="auth.login_failed", details={"username": "mallory"})
    audit_record(actor=boss, action="widget.moved_aside")
    client = logged_in(boss)

    body = client.get("/audit/").content.decode()
    table = body.split("<tbody>")[1]
    assert "Trip sent for approval" in table and "trip.pending_approval" not in table
    assert "Widget: moved aside" in table  # an action without words reads from its code
    assert "Failed sign-in" not in table and "Signed in" not in table
    assert "Sign-ins and sign-outs are hidden" in body
    # The action filter offers words too.
    assert '<option value="trip.pending_approval">Trip sent for approval</option>' in body

    shown = client.get("/audit/?sessions=on").content.decode().split("<tbody>")[1]
    assert "Failed sign-in" in shown and "Signed in" in shown
    asked = client.get("/audit/?action=auth.login_failed").context["page"].object_list
    assert [e.action for e in asked] == ["auth.login_failed"]


def test_details_read_as_labels_and_formatted_values_not_raw_codes(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    boss = manager(username="boss")
    audit_record(
        actor=boss,
        action="travellers.messaged",
        details={
            "date": "2026-12-08",
            "country": "KZ",
            "place": "",
            "recipients": ["employee"],
            "countries": ["KZ", "MN"],
            "without_email": [],
        },
    )
    audit_record(
        actor=boss,
        action="trip.first_approval",
        details={"approved_at": "2026-12-08T13:05:00+00:00", "comment": None, "material": True},
    )
    audit_record(
        actor=boss,
        action="incident.updated",
        details={"summary": "**Roads closed** near [Medeu](https://x.example)", "to": "need_help"},
    )
    body = logged_in(boss).get("/audit/").content.decode().split("<tbody>")[1]
    assert "<dt>Date</dt><dd>Tue 8 Dec 2026</dd>" in body
    assert "<dt>Country</dt><dd>Kazakhstan (KZ)</dd>" in body
    assert "<dt>Recipients</dt><dd>employee</dd>" in body
    assert "<dt>Countries</dt><dd>Kazakhstan (KZ), Mongolia (MN)</dd>" in body
    assert "<dt>Without an e-mail address</dt><dd>none</dd>" in body
    # A time in the reader's zone with its abbreviation, not an ISO string in UTC.
    assert "<dt>Approved</dt><dd>Tue 8 Dec 2026, 14:05 CET</dd>" in body
    assert "<dt>Comment</dt><dd>—</dd>" in body and "<dt>Material</dt><dd>Yes</dd>" in body
    assert "<dt>Summary</dt><dd>Roads closed near Medeu</dd>" in body
    assert "<dt>To</dt><dd>Need help</dd>" in body
    for raw in ("['employee']", "None", "**", "2026-12-08T13:05", "[]", "True"):
        assert raw not in body


def test_the_csv_keeps_the_recorded_codes_and_iso_times():
    boss = manager(username="boss")
    audit_record(actor=boss, action="trip.approved", details={"to": "approved", "comment": None})
    text = logged_in(boss).get("/audit/?format=csv").content.decode()
    assert '""to"": ""approved""' in text and '""comment"": null' in text


def test_audit_times_are_in_the_viewers_zone_with_its_abbreviation(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    boss = manager(username="boss")
    audit_record(actor=boss, action="trip.approved", details={})
    body = logged_in(boss).get("/audit/").content.decode()
    assert " JST</time>" in body
