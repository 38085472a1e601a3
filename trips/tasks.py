from celery import shared_task

from trips import services
from trips.services import ticks


@shared_task(acks_late=True, reject_on_worker_lost=True)
def complete_past_trips() -> int:
    return services.trips_complete_past()


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    # A trip that failed is tried again later; the ones already done are skipped.
    autoretry_for=(ConnectionError, services.ReassessmentIncomplete),
    retry_backoff=True,
)
def reassess_country(country_code: str, version: int) -> int:
    # Idempotent: a trip already assessed against this version is skipped, so a second
    # delivery re-assesses and re-briefs nobody.
    return services.trips_reassess_for_country(country_code=country_code, version=version)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(ConnectionError, services.ReassessmentIncomplete),
    retry_backoff=True,
)
def reassess_trips(trip_ids: list[int], reason: str) -> int:
    # An incident was declared, changed or closed where these trips go (incidents.services).
    # Idempotent: a trip whose assessment comes out as stored is left alone.
    return services.trips_reassess(trip_ids=trip_ids, reason=reason)


@shared_task(
    name="trips.tasks.send_trip_email",
    acks_late=True,
    reject_on_worker_lost=True,
    # No Celery retries: an e-mail that fails goes back to the outbox, which delivers it again
    # (with backoff) until it is sent, and runs it once per key (core.outbox.outbox_run_once).
)
def send_trip_email(email: str, trip_id: int, key: str, params: dict | None = None) -> bool:
    return services.trip_email_send(email=email, trip_id=trip_id, key=key, params=params or {})


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_requirement_reminders() -> int:
    # Idempotent per requirement and day (trips.ticks claims a row before each e-mail).
    return ticks.requirement_reminders_send()
