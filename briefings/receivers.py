"""The briefings app listens to trips' one announcement (trips/signals.py): a trip needs a
new briefing. The signal is sent inside the trips transaction, so the briefing row (and its
render, through the outbox) commits with the approval or the re-assessment."""

from django.dispatch import receiver

from briefings.services import briefing_recheck, briefing_request
from trips.signals import briefing_needed


@receiver(briefing_needed, dispatch_uid="briefings-request-on-briefing-needed")
def request_briefing(
    sender, trip, reason: str = "approved", changes=(), by=None, recheck: str = "", **kwargs
):
    if recheck:
        # A content change: a new version only if this trip's own briefing changed.
        briefing_recheck(trip=trip, checked_against=recheck, changes=changes or ())
        return
    briefing_request(trip=trip, reason=reason, changes=changes or (), by=by)
