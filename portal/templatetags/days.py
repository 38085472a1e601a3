"""Dates read one way on every page, e-mail and PDF: "Mon 14 Dec 2026".

{{ trip.first_arrival|day }}       Mon 14 Dec 2026
{{ requirement.due|due }}          Mon 14 Dec 2026, or "No deadline" when there is none
{{ entry.created_at|moment }}      Mon 14 Dec 2026, 14:05 (in the portal's time zone)
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import dateformat, timezone

register = template.Library()

DAY_FORMAT = "D j M Y"
NO_DEADLINE = "No deadline"


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


@register.filter
def day(value) -> str:
    when = _as_date(value)
    return dateformat.format(when, DAY_FORMAT) if when else ""


@register.filter
def due(value) -> str:
    return day(value) or NO_DEADLINE


@register.filter
def moment(value) -> str:
    if not isinstance(value, dt.datetime):
        return day(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return dateformat.format(local, f"{DAY_FORMAT}, H:i")


@register.filter
def span(first, last) -> str:
    """`{{ arrival|span:departure }}`: "Mon 14 Dec - Sun 20 Dec 2026" with an en dash (the
    year once when both ends share it), or each end in full."""
    start, end = _as_date(first), _as_date(last)
    if start is None or end is None:
        return day(start) or day(end)
    if start.year == end.year:
        return f"{dateformat.format(start, 'D j M')} – {day(end)}"
    return f"{day(start)} – {day(end)}"
