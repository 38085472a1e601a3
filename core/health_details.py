"""What an app adds to the operators' health report without being a check (the extractor that
reads booking e-mails, the hazard feeds that fail). On the ground floor so that any app can
register its detail in its AppConfig.ready() without importing the roof; portal.health reads
them into `/healthz/`'s details for operators and `manage.py healthcheck`."""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

DETAILS: dict[str, Callable[[], dict]] = {}


def health_detail_register(name: str, describe: Callable[[], dict]) -> None:
    DETAILS[name] = describe


def health_details() -> dict[str, dict]:
    found = {}
    for name, describe in DETAILS.items():
        try:
            found[name] = describe()
        except Exception as exc:
            # A detail is information, never a failure of the health check.
            logger.exception("Health detail %r failed", name)
            found[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return found
