"""Who is where counts people, not stops; it downloads as CSV; and a manager can e-mail the
travellers listed (audited, one e-mail each)."""

import csv
import datetime as dt
import io

import pytest
from django.core import mail
from django.utils import timezone

from core.models import AuditEntry
from tests.factories import api_as, employee, logged_in, manager, trip_with_stops

pytestmark = pytest.mark.django_db

ON = dt.date(2027, 5, 10)


def d(offset: int) -> dt.date:
    return ON + dt.timedelta(days=offset)


@pytest.fixture
def travellers():
    """Ada changes city twice on the 10th (three stops cover it) and ends it in Astana; Bo is in
    Ulaanbaatar; Cy's trip is cancelled; Dee has no e-mail address."""
    ada = employee(first_name="Ada", last_name="Lovelace", email="ada@example.com")
    ada.profile.phone = "+44 20 7946 0000"
    ada.profile.save()
    trip_with_stops(
        {"country_id": "KZ", "place_text": "Almaty", "arrival": d(-3), "departure": d(0)},
        {"country_id": "KZ", "place_text": "Karaganda", "arrival": d(0), "departure": d(0)},
        {"country_id": "KZ", "place_text": "Astana", "arrival": d(0), "departure": d(4)},
        traveller=ada,
        purpose="Pipeline audit",
    )
    bo = employee(first_name="Bo", last_name="Berg", email="bo@example.com")
    trip_with_stops(
        {"country_id": "MN", "place_text": "Ulaanbaatar", "arrival": d(-1), "departure": d(2)},
        traveller=bo,
    )
    cy = employee(first_name="Cy", email="cy@example.com")
    trip_with_stops(
        {"country_id": "MN", "place_text": "Darkhan", "arrival": d(-1), "departure": d(2)},
        traveller=cy,
        status="cancelled",
    )
    dee = employee(first_name="Dee", email="")
    trip_with_stops(
        {"country_id": "MN", "place_text": "Erdenet", "arrival": d(-1), "departure": d(2)},
        traveller=dee,
    )
    return ada, bo, dee


def test_each_traveller_is_counted_once_on_the_page_where_they_end_the_day(travellers):
    response = logged_in(manager()).get(f"/locations/?date={ON}")
    body = response.content.decode()
    assert response.context["travellers"] == 3
    assert "3 travellers" in body
    assert {bar["name"]: bar["count"] for bar in response.context["bars"]} == {
        "Kazakhstan": 1,
        "Mongolia": 2,
    }
    assert body.count("Ada Lovelace") == 1
    assert "Astana, Kazakhstan" in body and "Almaty, Kazakhstan" not in body


def test_the_api_lists_each_traveller_once(travellers):
    ada, _, _ = travellers
    page = api_as(manager()).get(f"/api/locations/?date={ON}").json()
    assert page["count"] == 3
    kz = api_as(manager()).get(f"/api/locations/?date={ON}&country=KZ").json()["results"]
    assert [(row["traveller"], row["place"]) for row in kz] == [(ada.username, "Astana")]


def test_who_is_where_downloads_as_csv_with_the_same_filters(travellers):
    response = logged_in(manager()).get(f"/locations/?date={ON}&country=MN&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"who-is-where-{ON}-MN.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(row["name"] for row in rows) == ["Bo Berg", "Dee"]
    assert rows[0]["country"] == "Mongolia"
    assert logged_in(employee()).get(f"/locations/?date={ON}&format=csv").status_code == 403


def test_a_manager_emails_the_travellers_listed_one_message_each_audited(
    travellers, django_capture_on_commit_callbacks
):
    boss = manager(first_name="Maria", last_name="Boss")
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(boss).post(
            "/locations/message/",
            {
                "date": ON.isoformat(),
                "country": "",
                "subject": "Road closures tonight",
                "message": "Stay in your hotel after 20:00.\nCall the desk if stuck.",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == f"/locations/?date={ON}"
    sent = sorted(mail.outbox, key=lambda m: m.to)
    assert [m.to for m in sent] == [["ada@example.com"], ["bo@example.com"]]
    assert all(m.subject == "Road closures tonight" for m in sent)
    assert "Stay in your hotel after 20:00." in sent[0].body and "Maria Boss" in sent[0].body
    entry = AuditEntry.objects.get(action="travellers.messaged")
    assert entry.actor == boss
    assert sorted(entry.details["recipients"]) == sorted(
        [travellers[0].username, travellers[1].username]
    )
    assert entry.details["without_email"] == [travellers[2].username]


def test_a_message_needs_a_subject_and_a_body_and_is_for_managers_only(travellers):
    boss = logged_in(manager())
    response = boss.post(
        "/locations/message/", {"date": ON.isoformat(), "subject": "", "message": ""}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Give the e-mail a subject." in body and "Write the message." in body
    bad = boss.post(
        "/locations/message/",
        {"date": ON.isoformat(), "subject": "Two\nlines", "message": "x"},
    )
    assert bad.status_code == 400 and "one line" in bad.content.decode()
    assert (
        logged_in(employee())
        .post("/locations/message/", {"date": ON.isoformat(), "subject": "s", "message": "m"})
        .status_code
        == 403
    )
    assert not mail.outbox
    assert not AuditEntry.objects.filter(action="travellers.messaged").exists()


def test_the_api_sends_the_same_message_through_the_same_service(
    travellers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(manager()).post(
            "/api/locations/message/",
            {"date": ON.isoformat(), "country": "KZ", "subject": "Check in", "message": "Reply."},
            format="json",
        )
    assert response.status_code == 202 and response.json() == {"sent": 1}
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    empty = api_as(manager()).post(
        "/api/locations/message/",
        {"date": "2030-01-01", "subject": "Check in", "message": "Reply."},
        format="json",
    )
    assert empty.status_code == 400
    assert empty.json() == {"non_field_errors": ["No one listed has an e-mail address."]}
    assert api_as(employee()).post("/api/locations/message/", {}, format="json").status_code == 403


def test_the_compliance_report_filters_by_country_on_the_page_its_csv_and_the_api():
    soon = timezone.localdate() + dt.timedelta(days=3)
    ada = employee(first_name="Ada", last_name="Lovelace")
    trip_with_stops(
        {"country_id": "KZ", "place_text": "Almaty", "arrival": soon, "departure": soon},
        traveller=ada,
        status="pending_approval",
    )
    bo = employee(first_name="Bo", last_name="Berg")
    trip_with_stops(
        {"country_id": "MN", "place_text": "Ulaanbaatar", "arrival": soon, "departure": soon},
        traveller=bo,
        status="pending_approval",
    )
    boss = logged_in(manager())
    body = boss.get("/compliance/?days=14&country=KZ").content.decode()
    assert "Ada Lovelace" in body and "Bo Berg" not in body
    assert 'name="country" data-combobox' in body
    assert "country=KZ&amp;format=csv" in body
    csv_text = boss.get("/compliance/?days=14&country=KZ&format=csv").content.decode()
    assert "Ada Lovelace" in csv_text and "Bo Berg" not in csv_text
    api = api_as(manager()).get("/api/compliance/?days=14&country=kz").json()
    assert [row["traveller"] for row in api["results"]] == [ada.username]
    assert "Bo Berg" in boss.get("/compliance/?days=14").content.decode()
