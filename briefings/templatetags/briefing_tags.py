"""The briefing panel of the trip page. The trip page belongs to trips, which must not import
briefings (imports flow portal <- advisories <- trips <- briefings); the template asks this
app for the panel instead, so the dependency stays where it belongs."""

from __future__ import annotations

from django import template

from briefings import selectors
from briefings.models import BriefingStatus
from portal import roles

register = template.Library()


@register.inclusion_tag("briefings/_trip_panel.html", takes_context=True)
def briefing_panel(context, trip) -> dict:
    user = context["request"].user
    briefing = selectors.briefings_for_trip(trip=trip).filter(superseded=False).first()
    acknowledgement = getattr(briefing, "acknowledgement", None) if briefing else None
    ready = briefing is not None and briefing.status == BriefingStatus.READY
    return {
        "trip": trip,
        "briefing": briefing,
        "acknowledgement": acknowledgement,
        "pending": briefing is not None
        and briefing.status in (BriefingStatus.QUEUED, BriefingStatus.RENDERING),
        "may_acknowledge": ready and trip.traveller_id == user.pk and acknowledgement is None,
        "may_retry": briefing is not None
        and briefing.status == BriefingStatus.FAILED
        and roles.is_manager(user),
        # The CSRF token of the page, for the forms in the panel.
        "csrf_token": context.get("csrf_token"),
    }
