"""The trip pages (contracts.md, "Pages"), included by portal/urls.py at the site root:
trips, approvals, who is where, compliance and the calendar feeds. Bookmarkable URLs are
promises."""

from django.urls import path

from trips import views

urlpatterns = [
    path("trips/", views.trip_list, name="trip-list"),
    path("trips/new/", views.trip_new, name="trip-new"),
    path("trips/<int:pk>/", views.trip_detail, name="trip-detail"),
    path("trips/<int:pk>/edit/", views.trip_edit, name="trip-edit"),
    path("trips/<int:pk>/submit/", views.trip_submit, name="trip-submit"),
    path("trips/<int:pk>/cancel/", views.trip_cancel, name="trip-cancel"),
    path("trips/<int:pk>/approve/", views.trip_approve, name="trip-approve"),
    path("trips/<int:pk>/reject/", views.trip_reject, name="trip-reject"),
    path(
        "trips/<int:pk>/requirements/<str:requirement_id>/",
        views.requirement_tick,
        name="trip-requirement-tick",
    ),
    path("trips/<int:pk>/calendar.ics", views.trip_calendar, name="trip-calendar"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar-feed"),
    path("profile/calendar/", views.calendar_feed_manage, name="calendar-feed-manage"),
    path("approvals/", views.approvals, name="approvals"),
    path("locations/", views.locations, name="locations"),
    path("compliance/", views.compliance, name="compliance"),
    path("locations/message/", views.locations_message, name="locations-message"),
]
