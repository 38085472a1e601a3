"""The company approval policy exists from the start, with product.md's defaults."""

from django.db import migrations


def create_policy(apps, schema_editor):
    apps.get_model("trips", "ApprovalPolicy").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("trips", "0001_initial")]
    operations = [migrations.RunPython(create_policy, migrations.RunPython.noop)]
