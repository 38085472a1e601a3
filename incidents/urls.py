"""Incident routes: the pages (``urlpatterns``, at the site root) and the REST API
(``api_urlpatterns``, under /api/), both included from portal/urls.py."""

from django.urls import path  # noqa: F401

api_urlpatterns: list = []

urlpatterns: list = []
