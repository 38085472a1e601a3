"""What /healthz/ says, for cron and container probes: the JSON report on standard output,
exit status 1 when anything is down.

    HEALTHCHECK CMD .venv/bin/python manage.py healthcheck
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand

from portal.health import OK, health_report


class Command(BaseCommand):
    help = "Check the database, broker, private storage, a Celery worker and the scheduler."

    def handle(self, *args, **options) -> None:
        report = health_report()
        self.stdout.write(json.dumps(report))
        if report["status"] != OK:
            self.stdout.flush()
            sys.exit(1)
