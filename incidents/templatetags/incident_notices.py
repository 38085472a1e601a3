"""Open incidents on the traveller's dashboard and trip page. Both pages belong to apps below
incidents (portal, trips), which must not import it; their templates ask this app for the
notice instead, so the dependency stays where it belongs."""

from __future__ import annotations

from django import template

from incidents import selectors

register = template.Library()


def _by_incident(found: list[selectors.TripIncident]) -> list[dict]:
    groups: dict[int, dict] = {}
    for item in found:
        group = groups.setdefault(item.incident.pk, {"incident": item.incident, "stops": []})
        group["stops"].append(item)
    return list(groups.values())


@register.inclusion_tag("incidents/_notices.html", takes_context=True)
def my_incident_notices(context) -> dict:
    """The open incidents touching the current or upcoming stops of my own trips."""
    user = context["request"].user
    found = selectors.incidents_for_traveller(user=user) if user.is_authenticated else []
    return {"groups": _by_incident(found), "show_trip": True}


@register.inclusion_tag("incidents/_notices.html", takes_context=True)
def trip_incident_notices(context, trip) -> dict:
    """The open incidents touching this trip's current or upcoming stops, worded for whoever
    reads them: "your stop" to the traveller, their name to a manager or arranger."""
    viewer = context["request"].user
    return {
        "groups": _by_incident(selectors.incidents_for_trip(trip=trip)),
        "show_trip": False,
        "traveller": None if trip.traveller_id == viewer.pk else trip.traveller,
    }
