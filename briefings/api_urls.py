"""The briefings API (contracts.md), included by portal/urls.py under /api/."""

from django.urls import path

from briefings import api

urlpatterns = [
    path(
        "trips/<int:trip_id>/briefings/",
        api.TripBriefingsView.as_view(),
        name="api-trip-briefings",
    ),
    path("briefings/<int:pk>/pdf/", api.BriefingPdfView.as_view(), name="api-briefing-pdf"),
    path(
        "briefings/<int:pk>/acknowledge/",
        api.BriefingAcknowledgeView.as_view(),
        name="api-briefing-acknowledge",
    ),
    path("briefings/<int:pk>/retry/", api.BriefingRetryView.as_view(), name="api-briefing-retry"),
]
