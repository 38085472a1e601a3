import pytest
from django.contrib.admin.sites import site
from django.db import connection

from core.audit import audit_record
from core.models import AuditEntry
from tests.factories import content_admin, manager


@pytest.fixture
def entry(db):
    return audit_record(
        actor=None, action="trip.approved", details={"comment": "ok"}, ip="10.0.0.1"
    )


def test_an_entry_records_actor_action_ip_and_details(entry):
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.action, stored.ip, stored.details) == (
        "trip.approved",
        "10.0.0.1",
        {"comment": "ok"},
    )
    assert stored.created_at is not None


def test_an_entry_cannot_be_changed(entry):
    entry.action = "something.else"
    with pytest.raises(PermissionError):
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).action == "trip.approved"


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.update(action="x")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_on_postgresql_the_database_itself_refuses_updates(entry):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    from django.db import DatabaseError, transaction

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE portal_auditentry SET action = 'x' WHERE id = %s", [entry.pk])


@pytest.mark.django_db
def test_content_admins_see_only_the_contents_history_in_the_trail(client, entry):
    published = audit_record(actor=None, action="advisory.published", details={"version": 2})
    user = content_admin()
    user.is_staff = True
    user.save()
    client.force_login(user)
    listing = client.get("/admin/core/auditentry/").content.decode()
    assert "advisory.published" in listing
    assert "trip.approved" not in listing  # someone's trip: not theirs to see
    assert client.get(f"/admin/core/auditentry/{entry.pk}/change/").status_code in (302, 404)
    assert client.get(f"/admin/core/auditentry/{published.pk}/change/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("make_user", [manager])
def test_the_admin_shows_the_trail_read_only(client, entry, make_user):
    user = make_user()
    user.is_staff = True
    user.save()
    client.force_login(user)
    listing = client.get("/admin/core/auditentry/")
    assert listing.status_code == 200
    assert b"trip.approved" in listing.content
    model_admin = site._registry[AuditEntry]
    request = listing.wsgi_request
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert (
        client.post(f"/admin/core/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy configured: the header proves nothing
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),  # a spoofed entry on the left
        (2, "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (2, "", "10.0.0.2"),  # fewer entries than proxies: not behind them after all
    ],
)
def test_the_client_address_behind_trusted_proxies(settings, proxies, forwarded, expected):
    from django.test import RequestFactory

    from core.audit import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


@pytest.mark.django_db
def test_entries_written_during_a_request_carry_the_forwarded_address(settings):
    from django.http import HttpResponse
    from django.test import RequestFactory

    from core.audit import AuditRequestMiddleware

    settings.TRUSTED_PROXY_COUNT = 1

    def view(request):
        audit_record(actor=None, action="test.request", obj=None, details={})
        return HttpResponse()

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    AuditRequestMiddleware(view)(request)
    assert AuditEntry.objects.get(action="test.request").ip == "203.0.113.9"


@pytest.mark.django_db
def test_sign_ins_sign_outs_and_failed_attempts_are_in_the_trail(client):
    from tests.factories import employee

    user = employee(username="ada")
    user.set_password("right")
    user.save()
    client.post(
        "/accounts/login/", {"username": "ada", "password": "wrong"}, REMOTE_ADDR="198.51.100.4"
    )
    client.post(
        "/accounts/login/", {"username": "ada", "password": "right"}, REMOTE_ADDR="198.51.100.4"
    )
    client.post("/accounts/logout/")
    entries = list(AuditEntry.objects.order_by("id").values_list("action", "ip"))
    assert entries[:2] == [("auth.login_failed", "198.51.100.4"), ("auth.login", "198.51.100.4")]
    assert entries[2][0] == "auth.logout"
    failed = AuditEntry.objects.get(action="auth.login_failed")
    assert failed.details == {"username": "ada"}
    assert "wrong" not in str(failed.details)
