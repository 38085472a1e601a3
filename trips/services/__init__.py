"""Writes for the trips app, split by what they do:

- validation: what a trip's input must be before anything is saved, who may file or cancel;
- filing: create (idempotent), edit or amend, delete a draft;
- lifecycle: submit, cancel, approve, reject, the briefing's acknowledgement, completion;
- reassessment: re-running the engine after a content change or an incident;
- notifications: trip e-mails through the outbox, a manager's message to travellers;
- calendar: the personal calendar feed's secret;
- ticks: a traveller's ticks on their requirements and the reminders before they are due.

The rest of the code base calls them through this package (`from trips import services;
services.trip_submit(...)`); the modules import one another in that order, never back.
"""

# The domain errors these services raise, so callers catch them as services.NotAllowed etc.
from core.errors import Conflict, InvalidInput, NotAllowed, TransitionNotAllowed
from trips.services import ticks
from trips.services.calendar import CALENDAR_OWNER_ONLY, calendar_feed_renew, calendar_feed_revoke
from trips.services.filing import (
    DRAFTS_ONLY,
    stop_location,
    stops_locate_from_place,
    trip_create,
    trip_delete,
    trip_filed_with,
    trip_input_apply,
    trip_update,
)
from trips.services.lifecycle import (
    assessment_store,
    briefing_request,
    trip_approve,
    trip_assess_and_route,
    trip_briefing_acknowledged,
    trip_briefing_superseded,
    trip_cancel,
    trip_lock,
    trip_move,
    trip_refuse_clash,
    trip_reject,
    trip_submit,
    trips_complete_past,
)
from trips.services.notifications import (
    DECISION,
    DECISION_NEEDED,
    MESSAGE_MAX_LENGTH,
    MESSAGE_SUBJECT_MAX_LENGTH,
    REOPENED,
    TRAVELLERS_MESSAGE,
    TRIP_EMAILS,
    notify_managers_decision_needed,
    notify_traveller_decision,
    notify_traveller_message,
    notify_traveller_reopened,
    travellers_message,
    trip_email_after_commit,
    trip_email_send,
)
from trips.services.reassessment import (
    REASSESS_GRACE,
    ReassessmentIncomplete,
    assessment_changes,
    assessment_unsaved,
    trip_reassess,
    trips_reassess,
    trips_reassess_for_country,
    trips_reassess_outdated,
    trips_touching,
)
from trips.services.validation import (
    MAX_STOPS,
    NOT_YOUR_TRAVELLER,
    PASSPORT_TYPE_CODES,
    PAST_RECORD_YEARS,
    PURPOSE_ONE_LINE,
    TRIP_HORIZON_YEARS,
    ItineraryInvalid,
    StopInput,
    TripInput,
    itinerary_earliest_start,
    itinerary_validate,
    may_cancel,
    may_file_for,
    note_clean,
)

__all__ = [
    "CALENDAR_OWNER_ONLY",
    "DECISION",
    "DECISION_NEEDED",
    "DRAFTS_ONLY",
    "MAX_STOPS",
    "MESSAGE_MAX_LENGTH",
    "MESSAGE_SUBJECT_MAX_LENGTH",
    "NOT_YOUR_TRAVELLER",
    "PASSPORT_TYPE_CODES",
    "PAST_RECORD_YEARS",
    "PURPOSE_ONE_LINE",
    "REASSESS_GRACE",
    "REOPENED",
    "TRAVELLERS_MESSAGE",
    "TRIP_EMAILS",
    "TRIP_HORIZON_YEARS",
    "Conflict",
    "InvalidInput",
    "ItineraryInvalid",
    "NotAllowed",
    "ReassessmentIncomplete",
    "StopInput",
    "TransitionNotAllowed",
    "TripInput",
    "assessment_changes",
    "assessment_store",
    "assessment_unsaved",
    "briefing_request",
    "calendar_feed_renew",
    "calendar_feed_revoke",
    "itinerary_earliest_start",
    "itinerary_validate",
    "may_cancel",
    "may_file_for",
    "note_clean",
    "notify_managers_decision_needed",
    "notify_traveller_decision",
    "notify_traveller_message",
    "notify_traveller_reopened",
    "stop_location",
    "stops_locate_from_place",
    "ticks",
    "travellers_message",
    "trip_approve",
    "trip_assess_and_route",
    "trip_briefing_acknowledged",
    "trip_briefing_superseded",
    "trip_cancel",
    "trip_create",
    "trip_delete",
    "trip_email_after_commit",
    "trip_email_send",
    "trip_filed_with",
    "trip_input_apply",
    "trip_lock",
    "trip_move",
    "trip_reassess",
    "trip_refuse_clash",
    "trip_reject",
    "trip_submit",
    "trip_update",
    "trips_complete_past",
    "trips_reassess",
    "trips_reassess_for_country",
    "trips_reassess_outdated",
    "trips_touching",
]
