"""The trips app listens to the one content hook advisories announces (see
advisories/signals.py): a material publication re-assesses the upcoming trips it touches; and
to portal's password_changed (core/signals.py): a new password ends the calendar feed; and
to a curated place's save (an admin's edit, a content pack's import): its stops take its
coordinates."""

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from advisories.models import Place
from advisories.signals import content_changed, content_reach
from core.outbox import outbox_enqueue
from core.signals import password_changed
from trips.services import calendar_feed_revoke, trips_touching

# How many of the trips reached are listed by name (the count says how many there are).
REACH_LISTED = 100


@receiver(content_reach, dispatch_uid="trips-content-reach")
def upcoming_trips_reached(sender, country_code: str, **kwargs) -> dict:
    """How many upcoming trips (and travellers) a material change of the country re-assesses,
    and the first of them (soonest first) for a content admin to read."""

    trips = trips_touching(country_code, today=timezone.localdate())
    listed = trips.select_related("traveller").order_by("first_arrival", "pk")[:REACH_LISTED]
    return {
        "trips": trips.count(),
        "travellers": trips.values("traveller_id").distinct().count(),
        "upcoming": [
            {
                "id": trip.pk,
                "traveller": trip.traveller.get_full_name() or trip.traveller.get_username(),
                "purpose": trip.purpose,
                "first_arrival": trip.first_arrival,
                "last_departure": trip.last_departure,
                "status": trip.get_status_display(),
            }
            for trip in listed
        ],
    }


@receiver(content_changed, dispatch_uid="trips-reassess-on-content-change")
def reassess_on_content_change(sender, country_code: str, version, **kwargs) -> None:
    # Sent inside the publishing transaction: the re-assessment is recorded with the version
    # and sent to a worker after the commit (it may touch hundreds of trips), broker or not.
    outbox_enqueue(
        task="trips.tasks.reassess_country",
        kwargs={"country_code": country_code, "version": version.number},
        key=f"trips.reassess:{country_code}:{version.number}",
    )


@receiver(password_changed, dispatch_uid="trips-calendar-feed-ends-with-password")
def calendar_feed_ends_with_password(sender, user, **kwargs) -> None:
    # The feed's secret address is a credential like an API token: whoever changes a password
    # because it leaked expects every way in to close.

    calendar_feed_revoke(user=user, by=None, reason="password changed")


@receiver(post_save, sender=Place, dispatch_uid="trips-place-located")
def stops_follow_their_place(sender, instance: Place, raw: bool = False, **kwargs) -> None:
    from trips.services import stops_locate_from_place

    if not raw:  # a fixture being loaded writes its own stops
        stops_locate_from_place(place=instance)
