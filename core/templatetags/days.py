"""Dates read one way on every page, e-mail and PDF: "Tue 8 Dec 2026" (core.lib.dates).

{{ trip.first_arrival|day }}        Tue 8 Dec 2026
{{ requirement.due|due }}           Tue 8 Dec 2026, or "No deadline" when there is none
{{ entry.created_at|moment }}       Tue 8 Dec 2026, 14:05 CET, in the reader's time zone (the
                                    one core.middleware.ViewerTimeZoneMiddleware activates for
                                    a page, the portal's for an e-mail unless the sender chose)
{{ entry.created_at|moment:"s" }}   Tue 8 Dec 2026, 14:05:09 CET, to the second (the audit trail)
{{ arrival|span:departure }}        Mon 14 Dec - Sun 20 Dec 2026 (an en dash)
{% plural count "traveller" %}      1 traveller, 2 travellers (ngettext; "person|people" too)
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import ngettext

from core.lib.dates import day_text, moment_text, span_text

register = template.Library()

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
    return day_text(when) if when else ""


@register.filter
def due(value) -> str:
    return day(value) or NO_DEADLINE


@register.filter
def moment(value, precision: str = "") -> str:
    if isinstance(value, str) and value:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return day(value)
    zone = timezone.get_current_timezone() if timezone.is_aware(value) else None
    return moment_text(value, zone, seconds=precision == "s")


@register.filter
def span(first, last) -> str:
    """`{{ arrival|span:departure }}`: "Mon 14 Dec - Sun 20 Dec 2026" with an en dash (the
    year once when both ends share it), or each end in full."""
    start, end = _as_date(first), _as_date(last)
    if start is None or end is None:
        return day(start) or day(end)
    return span_text(start, end)


@register.simple_tag
def plural(count, noun: str) -> str:
    """`{% plural n "traveller" %}` -> "1 traveller", "3 travellers"; an irregular plural is
    given after a bar: `{% plural n "person|people" %}`."""
    singular, _, many = noun.partition("|")
    number = int(count or 0)
    return f"{number} {ngettext(singular, many or f'{singular}s', number)}"
