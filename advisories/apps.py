from django.apps import AppConfig
from django.db.models.signals import post_migrate


def ensure_countries(sender, using="default", **kwargs) -> None:
    """Every ISO country exists (migration 0002 loads them); put back any that a database
    flush removed, as transactional tests do."""
    # Here, not at the top: apps.py is imported before the app registry is ready, when no
    # model may be imported yet.
    from advisories.models import Country
    from core.lib.countries import country_names

    if Country.objects.using(using).count() < len(country_names()):
        existing = set(Country.objects.using(using).values_list("code", flat=True))
        Country.objects.using(using).bulk_create(
            Country(code=code, name=name)
            for code, name in sorted(country_names().items())
            if code not in existing
        )


class AdvisoriesConfig(AppConfig):
    name = "advisories"

    def ready(self) -> None:
        post_migrate.connect(ensure_countries, sender=self, dispatch_uid="advisories-countries")
