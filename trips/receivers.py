"""The trips app listens to the one content hook advisories announces (see
advisories/signals.py): a material publication re-assesses the upcoming trips it touches."""

from django.dispatch import receiver

from advisories.signals import content_changed
from trips.tasks import reassess_country


@receiver(content_changed, dispatch_uid="trips-reassess-on-content-change")
def reassess_on_content_change(sender, country_code: str, version, **kwargs) -> None:
    # Already sent after the publication committed; the work may touch hundreds of trips, so
    # it runs on a worker.
    reassess_country.delay(country_code, version.number)
