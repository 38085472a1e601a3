"""What /healthz/ says, for cron and container probes: the JSON report on standard output,
exit status 1 when anything is down.

    HEALTHCHECK CMD .venv/bin/python manage.py healthcheck

It runs every probe now (no cached answer) and prints the full report: each probe's time and,
for one that failed, its error (`details`), which /healthz/ shows only to operators.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand

from portal.health import OK, health_report


class Command(BaseCommand):
    help = "Check the database, broker, private storage, a Celery worker and the scheduler."

    def handle(self, *args, **options) -> None:
        report = health_report(details=True)
        self.stdout.write(json.dumps(report))
        if report["status"] != OK:
            self.stdout.flush()
            sys.exit(1)
