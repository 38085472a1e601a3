"""The personal calendar feed's secret (trips.calendar writes the feed itself)."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.db import transaction

from core.audit import audit_record
from core.errors import NotAllowed
from trips.models import (
    CalendarFeed,
)

CALENDAR_OWNER_ONLY = "Only the owner of a calendar address can change it."


def calendar_feed_renew(*, user: User, by: User) -> CalendarFeed:
    """Give ``user`` a calendar address with a new secret; any previous one stops working at
    once. Only its owner takes one. Audited as ``calendar.created`` or ``calendar.renewed``."""
    if by.pk != user.pk:
        raise NotAllowed(CALENDAR_OWNER_ONLY)
    with transaction.atomic():
        had = CalendarFeed.objects.filter(user=user).delete()[0] > 0
        feed = CalendarFeed.objects.create(user=user, token=secrets.token_urlsafe(32))
        audit_record(actor=by, action="calendar.renewed" if had else "calendar.created", obj=feed)
    return feed


def calendar_feed_revoke(*, user: User, by: User | None, reason: str = "") -> bool:
    """Stop ``user``'s calendar address from working; True if there was one. By its owner
    (the profile page), or by the portal itself (``by`` None) when their password changes, as
    their API tokens end. Audited as ``calendar.revoked`` with the reason."""
    if by is not None and by.pk != user.pk:
        raise NotAllowed(CALENDAR_OWNER_ONLY)
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            return False
        # Recorded against the owner: the feed's row goes, and whose address it was is what
        # the trail (and the owner's "download my data") must find.
        audit_record(
            actor=by,
            action="calendar.revoked",
            obj=user,
            details={"reason": reason} if reason else {},
        )
        feed.delete()
    return True
