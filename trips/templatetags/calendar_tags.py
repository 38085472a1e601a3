"""The profile page's calendar panel (the profile view belongs to portal; this keeps the
calendar's reads in trips)."""

from django import template
from django.urls import reverse

from trips.calendar import calendar_feed_of

register = template.Library()


@register.inclusion_tag("trips/_calendar_feed.html", takes_context=True)
def calendar_feed_panel(context) -> dict:
    request = context["request"]
    feed = calendar_feed_of(user=request.user)
    url = (
        request.build_absolute_uri(reverse("calendar-feed", args=[feed.token]))
        if feed is not None
        else ""
    )
    return {"feed": feed, "feed_url": url, "csrf_token": context.get("csrf_token")}
