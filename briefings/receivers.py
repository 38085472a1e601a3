"""The briefings app listens to trips' one announcement (trips/signals.py): a trip needs a
new briefing. The signal is sent inside the trips transaction, so the briefing row (and its
render, through the outbox) commits with the approval or the re-assessment. It also answers
the admin's publish step (advisories.signals.content_impact): which trips a publication would
re-brief and which it would only re-check."""

from django.dispatch import receiver
from django.utils import timezone

from advisories.signals import content_impact
from briefings.impact import content_change_impact
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


@receiver(content_impact, dispatch_uid="briefings-content-impact")
def trips_impacted(sender, country_code: str, snapshot: dict, **kwargs) -> list[dict]:
    """What publishing the draft would do to each upcoming trip (briefings.impact)."""

    return [
        row.as_dict()
        for row in content_change_impact(
            country_code=country_code, snapshot=snapshot, today=timezone.localdate()
        )
    ]
