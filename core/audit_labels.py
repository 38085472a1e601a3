"""What each audit action means, in words: the audit trail page shows "Trip sent for approval"
where the record says `trip.pending_approval`. The record keeps its codes (the CSV and the API
carry them; filters and integrations match on them); only the page translates, the details
too."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.utils import timezone
from django.utils.html import strip_tags

from core.lib.countries import country_name
from core.lib.dates import day_text, moment_text
from core.lib.markdown import render_markdown

ACTION_LABELS: dict[str, str] = {
    # Trips: `trip.<status>` is a move to that status.
    "trip.draft": "Trip saved as a draft",
    "trip.submitted": "Trip submitted",
    "trip.pending_approval": "Trip sent for approval",
    "trip.approved": "Trip approved",
    "trip.rejected": "Trip rejected",
    "trip.cleared": "Trip cleared to travel",
    "trip.cancelled": "Trip cancelled",
    "trip.completed": "Trip completed",
    "trip.first_approval": "First of two approvals given",
    "trip.approval_withdrawn": "Approval withdrawn",
    "trip.deleted": "Draft trip deleted",
    "trip.recorded_after_start": "Trip recorded after it started",
    "trip.requirement_done": "Requirement ticked off",
    "trip.requirement_reopened": "Requirement ticked back on",
    "travellers.messaged": "Travellers e-mailed from who-is-where",
    "calendar.created": "Calendar feed created",
    "calendar.renewed": "Calendar feed address renewed",
    "calendar.revoked": "Calendar feed revoked",
    # Bookings
    "booking.received": "Booking received: trip made or joined",
    "booking.updated": "Booking updated",
    "booking.unassigned": "Booking waiting for a traveller",
    "booking.assigned": "Waiting booking assigned",
    "booking.dismissed": "Waiting booking dismissed",
    # Briefings
    "briefing.requested": "New briefing requested",
    "briefing.acknowledged": "Briefing acknowledged",
    "briefing.failed": "Briefing could not be prepared",
    "briefing.retried": "Briefing render retried",
    "briefing.checked": "Briefing checked against new content: unchanged",
    # Content
    "advisory.published": "Advisory published",
    "advisory.document_imported": "Official document imported as a draft",
    "content_pack.imported": "Content pack imported",
    "approval_policy.changed": "Approval policy changed",
    "company_settings.changed": "Company settings changed",
    # Incidents and safety checks
    "incident.declared": "Incident declared",
    "incident.updated": "Incident updated",
    "incident.deleted": "Incident deleted",
    "incident.alert_sent": "Incident alert sent",
    "hazard_feed.added": "Hazard feed added",
    "hazard_feed.changed": "Hazard feed changed",
    "check.started": "Safety check started",
    "check.answered": "Safety check answered",
    "check.asked_again": "Safety check asked again",
    "check.escalated": "Safety check escalated to managers",
    "check.handled": "Call for help handled",
    "check.closed": "Safety check closed",
    # Accounts and privacy
    "auth.login": "Signed in",
    "auth.logout": "Signed out",
    "auth.login_failed": "Failed sign-in",
    "auth.password_reset_throttled": "Password reset refused (too many)",
    "auth.token_created": "API token created",
    "auth.token_revoked": "API token revoked",
    "auth.tokens_revoked": "All API tokens revoked",
    "auth.sso_user_created": "Account created at first single sign-on",
    "auth.roles_changed": "Roles changed (from the identity provider's groups)",
    "auth.sso_refused": "Single sign-on refused",
    "privacy.trip_erased": "Trip's personal data erased",
    "privacy.user_erased": "User's personal data erased",
    "privacy.data_exported": "Personal data downloaded",
}

# Sign-ins, sign-outs and failed sign-ins outnumber everything else: the page hides them
# unless asked (they stay in the record, the CSV of a filter that asks, and the admin).
SESSION_ACTIONS = ("auth.login", "auth.logout", "auth.login_failed")


def action_label(action: str) -> str:
    """The words for `action`; an action recorded before it had words reads from its code
    ("widget.moved" -> "Widget: moved")."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    subject, _, verb = action.partition(".")
    words = subject.replace("_", " ").capitalize()
    return f"{words}: {verb.replace('_', ' ')}" if verb else words


# --- details, as the page shows them -------------------------------------------------------
# The record keeps what the code wrote (codes, ISO times, lists, Markdown); the page writes each
# detail as a reader would: "Comment: Fine by me", "Starts: Tue 8 Dec 2026", "Roles: Employee,
# Security manager", never `['employee']`, `None` or `**bold**`.

DETAIL_LABELS: dict[str, str] = {
    "sha256": "SHA-256",
    "email_sha256": "E-mail address (SHA-256)",
    "content_hash": "Content hash",
    "from": "From",
    "to": "To",
    "expiry": "Expires",
    "approved_at": "Approved",
    "first_arrival": "First arrival",
    "starts_on": "Starts",
    "ends_on": "Ends",
    "lookahead_days": "Lookahead (days)",
    "interval_minutes": "Every (minutes)",
    "external_id": "Feed id",
    "material_changes": "What changed materially",
    "change_note": "Change note",
    "without_email": "Without an e-mail address",
    "briefing_files": "Briefing files erased",
    "after_cycles": "After asking (times)",
    "of": "Out of",
    "user_id": "User id",
    "changed": "Changed",
    "via": "Through",
}
# Values that are codes of a vocabulary ("pending_approval", "need_help"): read as words.
CODE_KEYS = frozenset({"from", "to", "status", "severity", "category", "channel", "reason_code"})
# Free text written in Markdown: shown as the plain text it reads as.
MARKDOWN_KEYS = frozenset({"summary", "body", "change_note", "detail"})
# Values that are ISO country codes: shown with the country's name.
COUNTRY_KEYS = frozenset({"country", "countries", "nationalities", "nationality"})
EMPTY = "—"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def detail_label(key: str) -> str:
    return DETAIL_LABELS.get(key) or key.replace("_", " ").capitalize()


def _code_words(code: str) -> str:
    return code.replace("_", " ").capitalize()


def _text(key: str, value: str) -> str:
    if not value:
        return EMPTY
    if _ISO_DATETIME.match(value):
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        zone = timezone.get_current_timezone() if when.tzinfo is not None else None
        return moment_text(when, zone)
    if _ISO_DATE.match(value):
        try:
            return day_text(dt.date.fromisoformat(value))
        except ValueError:
            return value
    if key in MARKDOWN_KEYS:
        return " ".join(strip_tags(render_markdown(value)).split()) or EMPTY
    if key in CODE_KEYS and value.islower() and " " not in value:
        return _code_words(value)
    if key in COUNTRY_KEYS and len(value) == 2 and value.isalpha() and value.isupper():
        return f"{country_name(value)} ({value})"
    return value


def detail_value(key: str, value: Any) -> str:
    """One detail's value as text to read."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return _text(key, value)
    if isinstance(value, list | tuple):
        shown = [detail_value(key, item) for item in value]
        if key == "changed":
            shown = [detail_label(str(item)) for item in value]
        return ", ".join(shown) if shown else "none"
    if isinstance(value, dict):
        if set(value) == {"from", "to"}:
            return f"{detail_value(key, value['from'])} → {detail_value(key, value['to'])}"
        return "; ".join(
            f"{detail_label(str(name))}: {detail_value(str(name), item)}"
            for name, item in value.items()
        )
    return str(value)


def detail_rows(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """An entry's details as (label, text) pairs, in the order they were recorded."""
    return [(detail_label(key), detail_value(key, value)) for key, value in (details or {}).items()]
