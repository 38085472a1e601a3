"""The portal's settings for `make bench`'s gunicorn: the same stack, plus one trivial JSON
endpoint (bench/urls.py) that the trip list is measured against."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
