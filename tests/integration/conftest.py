from tests.workers import celery_worker_factory  # noqa: F401 (a fixture)
