from django.urls import path
from rest_framework.routers import SimpleRouter

from trips import api

router = SimpleRouter(trailing_slash=True)
router.register("trips", api.TripViewSet, basename="trip")

urlpatterns = [
    path("approvals/", api.ApprovalQueueView.as_view(), name="api-approvals"),
    path("locations/", api.LocationsView.as_view(), name="api-locations"),
    path("compliance/", api.ComplianceView.as_view(), name="api-compliance"),
    *router.urls,
]
