"""Every safety-check answer is kept and shown (issue 22): a manager's record of a phone call
is a new answer beside the traveller's own, whose note stays on the panel, in the API, the CSV
and the audit trail; handling notes are apart from answers; the panel's rows change live."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEntry
from incidents.checks import services as check_services
from incidents.checks.services import answer_token
from incidents.models import CheckAnswer
from tests.factories import api_as, logged_in
from tests.incidents.test_checks import recipient, scene, start  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

HURT = "Room 412, Hotel Kazakhstan: ankle broken"
CALLED = "Called her: an ambulance is on its way"


def traveller_needs_help_then_manager_records_safe(scene, run):  # noqa: F811
    check = start(scene, run)
    path = reverse("check-answer-link", args=[answer_token(recipient(check, scene.there))])
    assert Client().post(path, {"status": "need_help", "note": HURT}).status_code == 302
    row = recipient(check, scene.there)
    response = api_as(scene.boss).post(
        reverse("api-check-recipient", args=[check.pk, row.pk]),
        {"status": "safe", "note": CALLED},
        format="json",
    )
    assert response.status_code == 200, response.content
    return check, response.json()


def test_a_phone_answer_is_kept_beside_the_travellers_own(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    check, body = traveller_needs_help_then_manager_records_safe(
        scene, django_capture_on_commit_callbacks
    )
    row = recipient(check, scene.there)
    # The current answer is the latest; the traveller's own words stay theirs.
    assert (row.status, row.channel, row.note) == ("safe", "manager", HURT)
    assert (body["status"], body["note"]) == ("safe", HURT)
    assert [(a["status"], a["channel"], a["note"], a["by"]) for a in body["answers"]] == [
        ("need_help", "link", HURT, None),
        ("safe", "manager", CALLED, "morgan"),
    ]
    assert CheckAnswer.objects.filter(recipient=row).count() == 2


def test_the_check_document_lists_each_recipients_answers_oldest_first(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    check, _ = traveller_needs_help_then_manager_records_safe(
        scene, django_capture_on_commit_callbacks
    )
    document = api_as(scene.boss).get(reverse("api-check-detail", args=[check.pk])).json()
    tara = next(r for r in document["recipients"] if r["traveller"] == "tara")
    assert {"id", "traveller", "status", "answered_at", "channel", "handled", "note"} <= set(tara)
    assert [a["note"] for a in tara["answers"]] == [HURT, CALLED]
    assert tara["answers"][0]["answered_at"] <= tara["answers"][1]["answered_at"]
    pete = next(r for r in document["recipients"] if r["traveller"] == "pete")
    assert pete["answers"] == [] and pete["status"] == "no_answer"


def test_the_panel_shows_both_answers_who_gave_them_and_the_travellers_note(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    traveller_needs_help_then_manager_records_safe(scene, django_capture_on_commit_callbacks)
    page = (
        logged_in(scene.boss)
        .get(reverse("incident-detail", args=[scene.incident.pk]))
        .content.decode()
    )
    assert HURT in page and CALLED in page
    assert "E-mail link" in page and "by phone, recorded by Morgan Security" in page
    assert page.index(HURT) < page.index(CALLED)  # oldest first


def test_the_csv_keeps_the_travellers_note_and_every_answer(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    import csv
    import io

    check, _ = traveller_needs_help_then_manager_records_safe(
        scene, django_capture_on_commit_callbacks
    )
    text = logged_in(scene.boss).get(reverse("check-csv", args=[check.pk])).content.decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    tara = next(r for r in rows if r["traveller"] == "Tara There")
    assert (tara["status"], tara["channel"], tara["note"]) == ("safe", "manager", HURT)
    history = tara["answers"].splitlines()
    assert len(history) == 2
    assert "need_help (E-mail link, Tara There): " + HURT in history[0]
    assert "safe (Recorded by a manager, Morgan Security): " + CALLED in history[1]


def test_the_audit_trail_keeps_both_answers_with_their_notes(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    traveller_needs_help_then_manager_records_safe(scene, django_capture_on_commit_callbacks)
    entries = AuditEntry.objects.filter(action="check.answered").order_by("pk")
    assert [
        (e.actor.username, e.details["status"], e.details["channel"], e.details["note"])
        for e in entries
    ] == [("tara", "need_help", "link", HURT), ("morgan", "safe", "manager", CALLED)]
    assert entries[1].details["answered_for"] == "tara"
    assert "answered_for" not in entries[0].details


def test_a_handling_note_is_apart_from_the_answers(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    check = start(scene, django_capture_on_commit_callbacks)
    row = recipient(check, scene.there)
    check_services.check_answer(
        recipient=row, status="need_help", note=HURT, channel="api", by=scene.there
    )
    response = api_as(scene.boss).post(
        reverse("api-check-recipient", args=[check.pk, row.pk]),
        {"status": "need_help", "note": CALLED, "handled": True, "handled_note": "Driver sent"},
        format="json",
    )
    body = response.json()
    assert (body["note"], body["handled"], body["handled_note"]) == (HURT, True, "Driver sent")
    assert [a["note"] for a in body["answers"]] == [HURT, CALLED]
    handled = AuditEntry.objects.get(action="check.handled")
    assert handled.details["note"] == "Driver sent"
    bad = api_as(scene.boss).post(
        reverse("api-check-recipient", args=[check.pk, row.pk]),
        {"handled": True, "handled_note": "x\x00"},
        format="json",
    )
    assert bad.status_code == 400 and "handled_note" in bad.json()


def test_the_panels_form_records_a_phone_answer_without_touching_the_handling(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    check = start(scene, django_capture_on_commit_callbacks)
    row = recipient(check, scene.there)
    check_services.check_answer(
        recipient=row, status="need_help", note=HURT, channel="api", by=scene.there
    )
    client = logged_in(scene.boss)
    url = reverse("check-recipient", args=[check.pk, row.pk])
    # The form sends its handling fields (unchecked, empty) with every phone answer.
    client.post(url, {"status": "safe", "note": CALLED, "handled": "0", "handled_note": ""})
    assert not AuditEntry.objects.filter(action__in=["check.handled", "check.unhandled"]).exists()
    client.post(url, {"status": "", "handled": ["0", "1"], "handled_note": "Driver sent"})
    row.refresh_from_db()
    assert (row.status, row.note, row.handled, row.handled_note) == (
        "safe",
        HURT,
        True,
        "Driver sent",
    )
    # Nothing chosen and nothing changed: said so, nothing recorded.
    same = {"status": "", "handled": ["0", "1"], "handled_note": "Driver sent"}
    response = client.post(url, same)
    assert response.status_code == 302
    assert CheckAnswer.objects.filter(recipient=row).count() == 2
    assert AuditEntry.objects.filter(action="check.handled").count() == 1


# --- the panel's live rows --------------------------------------------------------------------


def test_the_live_update_sends_only_the_rows_that_changed_rendered_as_the_panel_renders_them(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    check = start(scene, django_capture_on_commit_callbacks)
    client = logged_in(scene.boss)
    url = reverse("check-rows", args=[check.pk])
    page = client.get(reverse("incident-detail", args=[scene.incident.pk])).content.decode()
    shown = dict(re.findall(r'data-recipient="(\d+)"[^>]*? data-version="([^"]+)"', page))
    assert len(shown) == 2
    query = ",".join(f"{pk}.{version}" for pk, version in shown.items())
    quiet = client.get(url, {"rows": query})
    assert quiet.status_code == 200 and quiet["Cache-Control"].startswith("max-age=0")
    assert quiet.json()["rows"] == []
    assert quiet.json()["counts"]["no_answer"] == 2

    tara = recipient(check, scene.there)
    check_services.check_answer(
        recipient=tara, status="need_help", note=HURT, channel="api", by=scene.there
    )
    body = client.get(url, {"rows": query}).json()
    assert body["counts"]["need_help"] == 1 and body["status"] == "open"
    [row] = body["rows"]
    assert (row["id"], row["status"], row["answers"]) == (tara.pk, "need_help", 1)
    assert HURT in row["html"] and 'class="check-row check-row-need_help"' in row["html"]
    assert "csrfmiddlewaretoken" in row["html"]  # its form still records
    assert row["latest"] == "Tara There: needs help (API)."


def test_the_live_update_refuses_a_malformed_list_and_anyone_but_managers(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    check = start(scene, django_capture_on_commit_callbacks)
    url = reverse("check-rows", args=[check.pk])
    response = logged_in(scene.boss).get(url, {"rows": "12.x,abc"})
    assert response.status_code == 400 and "rows" in response.json()
    many = ",".join(f"{n}.v" for n in range(1, 400))
    assert logged_in(scene.boss).get(url, {"rows": many}).status_code == 400
    assert logged_in(scene.there).get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_the_travellers_dashboard_says_when_the_security_team_recorded_their_answer(
    scene,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    traveller_needs_help_then_manager_records_safe(scene, django_capture_on_commit_callbacks)
    page = logged_in(scene.there).get(reverse("dashboard")).content.decode()
    assert "The security team recorded <strong>“safe”</strong> from a phone call" in page
    assert "You answered" not in page
