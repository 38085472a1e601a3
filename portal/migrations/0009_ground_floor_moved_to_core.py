"""The profile, the audit trail, the outbox and the company settings moved to `core` (issue 24):
portal forgets them without touching their tables (core's 0001 took them over), and their
content types follow them, so that permissions, the admin's log entries and the roles keep
pointing at the same rows."""

from django.db import migrations

MOVED = ("travellerprofile", "auditentry", "outboxmessage", "companysettings")


def _relabel(apps, *, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType")
    # A row already under the new label (post_migrate of an earlier run) has no permissions
    # or log entries of the moved rows: the old row, which has, wins.
    taken = set(
        content_types.objects.filter(app_label=new, model__in=MOVED).values_list("model", flat=True)
    )
    for model in taken:
        if content_types.objects.filter(app_label=old, model=model).exists():
            content_types.objects.filter(app_label=new, model=model).delete()
    content_types.objects.filter(app_label=old, model__in=MOVED).update(app_label=new)


def content_types_to_core(apps, schema_editor):
    _relabel(apps, old="portal", new="core")


def content_types_to_portal(apps, schema_editor):
    _relabel(apps, old="core", new="portal")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_scheduler_heartbeat"),
        ("core", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(model_name="auditentry", name="actor"),
                migrations.RemoveField(model_name="travellerprofile", name="arrangers"),
                migrations.RemoveField(model_name="travellerprofile", name="user"),
                migrations.DeleteModel(name="AuditEntry"),
                migrations.DeleteModel(name="CompanySettings"),
                migrations.DeleteModel(name="OutboxMessage"),
                migrations.DeleteModel(name="TravellerProfile"),
            ],
        ),
        migrations.RunPython(content_types_to_core, content_types_to_portal),
    ]
