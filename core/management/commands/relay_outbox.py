"""Send the outbox messages the broker has not taken yet: for cron, beside (or instead of) the
Celery beat entry, which cannot run while the broker it would use is down.

    */1 * * * * cd /srv/portal && .venv/bin/python manage.py relay_outbox --for 55
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from core.outbox import outbox_relay


class Command(BaseCommand):
    help = "Send recorded outbox messages to the Celery broker (one pass, or passes for a while)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--for",
            dest="seconds",
            type=int,
            default=0,
            help="Keep relaying every --every seconds for this many seconds (default: one pass).",
        )
        parser.add_argument("--every", type=int, default=5, help="Seconds between passes.")

    def handle(self, *args, seconds: int, every: int, **options) -> None:
        if seconds < 0 or every < 1:
            raise CommandError("--for must be 0 or more and --every at least 1.")
        deadline = time.monotonic() + seconds
        while True:
            result = outbox_relay()
            self.stdout.write(
                f"sent {result.sent}, waiting {result.waiting}, deleted {result.deleted}"
            )
            if time.monotonic() + every > deadline:
                return
            time.sleep(every)
