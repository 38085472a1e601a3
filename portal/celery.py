"""The `portal` Celery application: `celery -A portal worker` and `celery -A portal beat`.

Configured from Django settings (the CELERY_ namespace), so the broker is whatever the
environment names: Redis in production, an embedded filesystem broker by default.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
