"""The ground floor's models moved from `portal` to `core` (core 0001, portal 0009) without
losing a row: a database filled by the demo before the move keeps every row, and the moved
models' content types (which permissions and admin log entries point at) follow them."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from core.audit import audit_record
from core.models import AuditEntry, TravellerProfile

MOVED_TABLES = (
    "portal_travellerprofile",
    "portal_travellerprofile_arrangers",
    "portal_auditentry",
    "portal_outboxmessage",
    "portal_companysettings",
)
MOVED_MODELS = ("travellerprofile", "auditentry", "outboxmessage", "companysettings")
BEFORE_THE_MOVE = [("core", None), ("portal", "0008_scheduler_heartbeat")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()


def row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in MOVED_TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        return counts


def content_type_ids(app_label: str) -> dict[str, int]:
    return dict(
        ContentType.objects.filter(app_label=app_label, model__in=MOVED_MODELS).values_list(
            "model", "id"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_a_database_filled_before_the_move_keeps_every_row_and_content_type():
    migrate(BEFORE_THE_MOVE)
    assert content_type_ids("core") == {}
    call_command("loaddemo", force=True, verbosity=0)
    before = row_counts()
    portal_types = content_type_ids("portal")
    assert before["portal_travellerprofile"] > 0
    assert before["portal_auditentry"] > 0
    assert before["portal_travellerprofile_arrangers"] > 0
    assert set(portal_types) >= {"travellerprofile", "auditentry"}

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert row_counts() == before
    assert content_type_ids("core") == portal_types
    assert content_type_ids("portal") == {}
    assert TravellerProfile.objects.count() == before["portal_travellerprofile"]
    assert AuditEntry.objects.count() == before["portal_auditentry"]


@pytest.mark.django_db(transaction=True)
def test_the_audit_trail_still_refuses_an_update_after_the_move():
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    entry = audit_record(actor=None, action="test.moved")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE portal_auditentry SET action = 'changed' WHERE id = %s", [entry.pk])
