from django.db import migrations

BOOKING_FEED = "Booking feed"  # core.roles.BOOKING_FEED, frozen as it was when written


def create_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).get_or_create(name=BOOKING_FEED)


class Migration(migrations.Migration):
    dependencies = [
        ("bookings", "0001_bookings"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
