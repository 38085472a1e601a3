from django.urls import path

from bookings import views

urlpatterns = [
    path("", views.bookings_waiting, name="bookings-waiting"),
    path("<int:pk>/assign/", views.booking_assign, name="booking-assign"),
]
