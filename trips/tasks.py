from celery import shared_task

from trips import services, ticks


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
    name="trips.tasks.send_trip_email",
    acks_late=True,
    reject_on_worker_lost=True,
    # The mail server is down or slow: try again later (the outbox key keeps it to one e-mail).
    autoretry_for=(Exception,),
    retry_backoff=5,
    retry_backoff_max=600,
    max_retries=10,
)
def send_trip_email(email: str, trip_id: int, key: str, params: dict | None = None) -> bool:
    return services.trip_email_send(email=email, trip_id=trip_id, key=key, params=params or {})


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_requirement_reminders() -> int:
    # Idempotent per requirement and day (trips.ticks claims a row before each e-mail).
    return ticks.requirement_reminders_send()
