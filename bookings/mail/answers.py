"""What a booking e-mail became, as the API answers it and `import_bookings` prints it.

The API view does not read the e-mail itself: a worker does (bookings.tasks), and leaves the
answer in the cache under the request's ticket, where the view picks it up.
"""

from __future__ import annotations

from bookings.mail.receive import EmailOutcome
from bookings.services import BookingResult
from core.errors import DomainError

KEEP_SECONDS = 300


def cache_key(ticket: str) -> str:
    return f"bookings.email.answer:{ticket}"


def understood(outcome: EmailOutcome) -> dict:
    """`{"status_code", "body"}`: 201 when a booking is new, 200 when every one was known
    (updated), 202 when the e-mail held none and was kept unassigned."""
    if not outcome.results:
        body = {
            "booking": getattr(outcome.kept, "pk", None),
            "trip": None,
            "status": "unassigned",
            "problem": outcome.problem,
        }
        return {"status_code": 202, "body": body}
    rows = [_row(result) for result in outcome.results]
    body = {**rows[0]}
    if len(rows) > 1:
        body["bookings"] = rows
    return {"status_code": 201 if outcome.created else 200, "body": body}


def refused(exc: DomainError) -> dict:
    errors = getattr(exc, "errors", None) or {"detail": str(exc)}
    return {"status_code": exc.status_code, "body": errors}


def _row(result: BookingResult) -> dict:
    # As POST /api/bookings/ answers one booking.
    return {
        "booking": result.booking.pk,
        "trip": result.trip.pk if result.trip is not None else None,
        "status": str(result.status),
    }


def summary(outcome: EmailOutcome) -> str:
    """One line for a person: what each booking in the e-mail became."""
    if not outcome.results:
        return f"kept unassigned (booking {getattr(outcome.kept, 'pk', '?')}): {outcome.problem}"
    parts = []
    for result in outcome.results:
        verb = "new" if result.created else "known"
        trip = f", trip {result.trip.pk}" if result.trip is not None else ""
        reference = getattr(result.booking, "reference", result.booking.pk)
        parts.append(f"{reference}: {verb}, {result.status}{trip}")
    if outcome.errors:
        parts.append(f"refused: {outcome.problem or outcome.errors}")
    return "; ".join(parts)
