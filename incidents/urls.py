"""The incident and safety-check pages, included by portal/urls.py at the site root (the API is
in incidents/api_urls.py)."""

from django.urls import path

from incidents import views
from incidents.checks import views as check_views

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
