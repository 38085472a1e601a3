from django.urls import path
from rest_framework.routers import SimpleRouter

from trips import api, api_tools

router = SimpleRouter(trailing_slash=True)
router.register("trips", api.TripViewSet, basename="trip")

urlpatterns = [
    path("approvals/", api.ApprovalQueueView.as_view(), name="api-approvals"),
    path("locations/", api.LocationsView.as_view(), name="api-locations"),
    path("locations/message/", api.LocationsMessageView.as_view(), name="api-locations-message"),
    path("compliance/", api.ComplianceView.as_view(), name="api-compliance"),
    path("map/travellers/", api.MapTravellersView.as_view(), name="api-map-travellers"),
    # Before the router's trips/<pk>/, which would take "preview" for a trip id.
    path("trips/preview/", api_tools.TripPreviewView.as_view(), name="api-trip-preview"),
    path(
        "trips/<int:pk>/requirements/<str:requirement_id>/",
        api_tools.RequirementTickView.as_view(),
        name="api-requirement-tick",
    ),
    *router.urls,
]
