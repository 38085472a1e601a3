"""What each audit action means, in words: the audit trail page shows "Trip sent for approval"
where the record says `trip.pending_approval`. The record keeps its codes (the CSV and the API
carry them; filters and integrations match on them); only the page translates."""

from __future__ import annotations

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
