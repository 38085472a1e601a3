"""The incidents API and the safety checks' API (contracts.md), included by portal/urls.py
under /api/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from incidents import api
from incidents.checks import api as check_api

router = SimpleRouter(trailing_slash=True)
router.register("incidents", api.IncidentViewSet, basename="incident")

urlpatterns = [
    path("map/incidents/", api.MapIncidentsView.as_view(), name="api-map-incidents"),
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
