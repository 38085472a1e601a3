"""The briefing panel of the trip page. The trip page belongs to trips, which must not import
briefings (imports flow portal <- advisories <- trips <- briefings); the template asks this
app for the panel instead, so the dependency stays where it belongs."""

from __future__ import annotations

from django import template

from briefings import selectors
from briefings.models import BriefingStatus
from briefings.services import BRIEFABLE, not_acknowledgeable_because
from core import roles
from trips.models import TripStatus
from trips.notes import trip_status_note

# A briefing of a trip in one of these states describes an itinerary or a decision that has
# been replaced: it stays downloadable, marked out of date, and cannot be acknowledged.
AWAITING_NEW_BRIEFING = {TripStatus.SUBMITTED, TripStatus.PENDING_APPROVAL, TripStatus.REJECTED}

register = template.Library()


@register.inclusion_tag("briefings/_trip_panel.html", takes_context=True)
def briefing_panel(context, trip) -> dict:
    user = context["request"].user
    briefing = selectors.briefings_for_trip(trip=trip).filter(superseded=False).first()
    acknowledgement = getattr(briefing, "acknowledgement", None) if briefing else None
    ready = briefing is not None and briefing.status == BriefingStatus.READY
    not_acknowledgeable = not_acknowledgeable_because(trip)
    note = trip_status_note(trip=trip, with_changes=False) if not_acknowledgeable else None
    if note is not None and note.kind == "content_changed":
        # Say what sent the trip back: the advisory that changed, not just "the trip".
        not_acknowledgeable = f"{note.headline} A new briefing will follow."
    manager = roles.is_manager(user)
    pending = briefing is not None and briefing.status in (
        BriefingStatus.QUEUED,
        BriefingStatus.RENDERING,
    )
    return {
        "trip": trip,
        "briefing": briefing,
        "acknowledgement": acknowledgement,
        "pending": pending,
        "out_of_date": ready and trip.status in AWAITING_NEW_BRIEFING,
        "not_acknowledgeable": not_acknowledgeable,
        "may_acknowledge": ready
        and not not_acknowledgeable
        and trip.traveller_id == user.pk
        and acknowledgement is None,
        # Managers may check a file against the audit trail's digest; travellers need no hash.
        "show_digest": manager,
        "may_retry": briefing is not None and briefing.status == BriefingStatus.FAILED and manager,
        # Not while a version is queued or rendering: a second one would only supersede it.
        "may_rebrief": manager and trip.status in BRIEFABLE and not pending,
        # The CSRF token of the page, for the forms in the panel.
        "csrf_token": context.get("csrf_token"),
    }
