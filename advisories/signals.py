"""The one hook by which content changes leave the advisories app.

content_changed(sender=AdvisoryVersion, country_code: str, version: AdvisoryVersion)
    Sent by ``advisories.services.advisory_publish`` when a *material* version of a country's
    content is published, *inside* the publishing transaction: a listener records the work
    the change needs in that transaction (``core.outbox.outbox_enqueue``), so the work
    commits with the version or not at all, and is sent to a worker after the commit even if
    the broker is down at the time. Listeners must not do slow work or talk to the network
    here. Sent once per material version; non-material publications (typo fixes) send
    nothing.

    This is THE hook the trips app listens to in order to re-assess and re-brief the upcoming
    trips that touch ``country_code``. Imports flow portal <- advisories <- trips: advisories
    never imports trips, it only announces.
"""

from django.dispatch import Signal

content_changed = Signal()

# content_reach(sender=Country, country_code: str) -> {"trips": int, "travellers": int}
#     Asked by the admin's publish step before publishing, so the editor reads what a material
#     change will touch ("publishing re-assesses 14 upcoming trips (9 travellers)"). The trips
#     app answers; advisories never imports trips.
content_reach = Signal()

# content_impact(sender=Country, country_code: str, snapshot: dict) -> list[dict]
#     Asked by the admin's publish step before publishing: what publishing `snapshot` (the
#     country's draft) as its next version would do to each upcoming trip that touches the
#     country: re-brief it ("rebrief"), send it back for a decision ("decision"), or only
#     re-check it, its briefing standing ("checked"). Each row: trip (id), traveller, purpose,
#     first_arrival, last_departure, outcome and why (sentences). The briefings app answers;
#     advisories never imports it.
content_impact = Signal()
