"""Incident routes: the pages (``urlpatterns``, at the site root) and the REST API
(``api_urlpatterns``, under /api/), both included from portal/urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents import api, views
from incidents.checks import api as check_api
from incidents.checks import views as check_views

router = SimpleRouter(trailing_slash=True)
router.register("incidents", api.IncidentViewSet, basename="incident")

api_urlpatterns = [
    # Safety checks (before the router, whose incident routes would not take these anyway).
    path(
        "incidents/<int:pk>/checks/",
        check_api.IncidentChecksView.as_view(),
        name="api-incident-checks",
    ),
    path("checks/<int:pk>/", check_api.CheckDetailView.as_view(), name="api-check-detail"),
    path("checks/<int:pk>/answer/", check_api.CheckAnswerView.as_view(), name="api-check-answer"),
    path(
        "checks/<int:pk>/recipients/<int:rid>/",
        check_api.CheckRecipientView.as_view(),
        name="api-check-recipient",
    ),
    path("checks/<int:pk>/close/", check_api.CheckCloseView.as_view(), name="api-check-close"),
    path("me/checks/", check_api.MyChecksView.as_view(), name="api-my-checks"),
    *router.urls,
]

urlpatterns = [
    path("incidents/", views.incident_list, name="incident-list"),
    path("incidents/new/", views.incident_new, name="incident-new"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident-detail"),
    path("incidents/<int:pk>/edit/", views.incident_edit, name="incident-edit"),
    path("incidents/<int:pk>/close/", views.incident_close, name="incident-close"),
    path(
        "incidents/<int:pk>/checks/start/",
        check_views.check_start,
        name="incident-check-start",
    ),
    path("checks/<int:pk>/close/", check_views.check_close, name="check-close"),
    path("checks/<int:pk>/csv/", check_views.check_csv, name="check-csv"),
    path("checks/<int:pk>/rows/", check_views.check_rows, name="check-rows"),
    path(
        "checks/<int:pk>/recipients/<int:rid>/",
        check_views.check_recipient,
        name="check-recipient",
    ),
    path("checks/<int:pk>/answer/", check_views.check_answer_portal, name="check-answer-portal"),
    # The personal link of the "Are you OK?" e-mail: no login (check_views.check_answer_link).
    path("checks/answer/<str:token>/", check_views.check_answer_link, name="check-answer-link"),
]
