"""The roof's own rows. A package rather than core/models.py: git follows that file to
core/models.py (the ground's models) when it merges branches written before the move."""

from django.db import models


class SchedulerHeartbeat(models.Model):
    """When celery beat last had a task run (portal.tasks.scheduler_heartbeat, every minute):
    one row, read by /healthz/. In the database because every web process, on any machine,
    must see the same answer, whatever cache the installation has."""

    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Scheduler heartbeat at {self.beat_at:%Y-%m-%d %H:%M:%S}"
