"""Signals the trips app sends, inside the transaction that caused them: a listener records
the work they need in that transaction (core.outbox), so it commits with the change or not
at all. Listeners must not do slow work or talk to the network.

briefing_needed(sender=Trip, trip: Trip, reason: str, changes: list[str], by: User | None,
                recheck: str = "")
    A trip needs a new briefing: it was approved (by a manager or automatically), amended
    while approved, or re-assessed after a material content change. The briefings app
    listens and queues the render. `changes` says in plain words what changed, for the
    traveller's "what changed" note; it is empty for the first briefing. With `recheck`
    (what the trip was re-assessed against, "KZ v5"), an approved or cleared trip re-assessed
    after a content change gets a new briefing only if what its own briefing says changed;
    otherwise the briefings app records that it was checked.
"""

from django.dispatch import Signal

briefing_needed = Signal()
