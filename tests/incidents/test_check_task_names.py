"""The safety checks' Celery tasks keep the names they were registered under before they moved
into incidents/checks/: the outbox table, the broker and the beat schedule hold those names."""

from __future__ import annotations

from django.conf import settings

from incidents.checks import tasks

NAMES = {
    "check_ask_cycle",
    "check_send_asks",
    "check_alert_help",
    "check_escalate",
    "checks_tick",
}


def test_each_check_task_answers_to_its_old_module_path():
    for name in NAMES:
        assert getattr(tasks, name).name == f"incidents.check_tasks.{name}"


def test_the_beat_entry_still_finds_the_tick():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "incidents.check_tasks.checks_tick" in scheduled
