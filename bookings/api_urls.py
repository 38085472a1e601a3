from django.urls import path

from bookings import api, email_api

urlpatterns = [
    path("bookings/", api.BookingFeedView.as_view(), name="api-bookings"),
    path("bookings/email/", email_api.BookingEmailView.as_view(), name="api-booking-email"),
    path(
        "bookings/unassigned/", api.UnassignedBookingsView.as_view(), name="api-bookings-unassigned"
    ),
    path("bookings/<int:pk>/assign/", api.AssignBookingView.as_view(), name="api-booking-assign"),
    path("flights/", api.FlightsView.as_view(), name="api-flights"),
]
