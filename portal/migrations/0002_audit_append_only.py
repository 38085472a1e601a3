"""On PostgreSQL the database itself refuses to change or delete an audit entry, so the
trail holds even against code that bypasses the model (raw SQL, a future bug)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION portal_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_auditentry_append_only
    BEFORE UPDATE OR DELETE ON portal_auditentry
    FOR EACH ROW EXECUTE FUNCTION portal_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS portal_auditentry_append_only ON portal_auditentry;
DROP FUNCTION IF EXISTS portal_audit_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
