"""Incident routes: the pages (``urlpatterns``, at the site root) and the REST API
(``api_urlpatterns``, under /api/), both included from portal/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents import api, views

router = SimpleRouter(trailing_slash=True)
router.register("incidents", api.IncidentViewSet, basename="incident")

api_urlpatterns = [*router.urls]

urlpatterns = [
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/new/", views.incident_new, name="incident-new"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/edit/", views.incident_edit, name="incident-edit"),
]
