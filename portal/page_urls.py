"""The server-rendered pages (contracts.md, "Pages"): bookmarkable URLs are promises."""

from django.urls import include, path

from advisories import views as advisory_views
from core import account_views
from portal import maps, views
from trips import views as trip_views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("profile/", views.profile, name="profile"),
    path(
        "profile/tokens/<str:token_id>/revoke/",
        account_views.token_revoke,
        name="profile-token-revoke",
    ),
    path("profile/tokens/new/", account_views.token_new, name="profile-token-new"),
    path("profile/data/", views.my_data, name="profile-data"),
    path("trips/", trip_views.trip_list, name="trip-list"),
    path("trips/new/", trip_views.trip_new, name="trip-new"),
    path("trips/<int:pk>/", trip_views.trip_detail, name="trip-detail"),
    path("trips/<int:pk>/edit/", trip_views.trip_edit, name="trip-edit"),
    path("trips/<int:pk>/submit/", trip_views.trip_submit, name="trip-submit"),
    path("trips/<int:pk>/cancel/", trip_views.trip_cancel, name="trip-cancel"),
    path("trips/<int:pk>/approve/", trip_views.trip_approve, name="trip-approve"),
    path("trips/<int:pk>/reject/", trip_views.trip_reject, name="trip-reject"),
    path(
        "trips/<int:pk>/requirements/<str:requirement_id>/",
        trip_views.requirement_tick,
        name="trip-requirement-tick",
    ),
    path("trips/<int:pk>/calendar.ics", trip_views.trip_calendar, name="trip-calendar"),
    path("calendar/<str:token>.ics", trip_views.calendar_feed, name="calendar-feed"),
    path("profile/calendar/", trip_views.calendar_feed_manage, name="calendar-feed-manage"),
    path("destinations/", advisory_views.destinations, name="destinations"),
    path("destinations/<str:code>/", advisory_views.destination, name="destination"),
    path("approvals/", trip_views.approvals, name="approvals"),
    path("locations/", trip_views.locations, name="locations"),
    path("map/", maps.map_page, name="map"),
    path("compliance/", trip_views.compliance, name="compliance"),
    path("locations/message/", trip_views.locations_message, name="locations-message"),
    path("audit/", views.audit_trail, name="audit-trail"),
    path("briefings/", include("briefings.page_urls")),
]
