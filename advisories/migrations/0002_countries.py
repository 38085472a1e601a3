"""Every ISO 3166-1 country exists from the start, with or without an advisory."""

from django.db import migrations


def load_countries(apps, schema_editor):
    from core.lib.countries import country_names

    Country = apps.get_model("advisories", "Country")
    existing = set(Country.objects.values_list("code", flat=True))
    Country.objects.bulk_create(
        Country(code=code, name=name)
        for code, name in sorted(country_names().items())
        if code not in existing
    )


class Migration(migrations.Migration):
    dependencies = [("advisories", "0001_initial")]
    operations = [migrations.RunPython(load_countries, migrations.RunPython.noop)]
