"""The destination guide's pages, included by portal/urls.py at the site root (the read API is
in advisories/api_urls.py)."""

from django.urls import path

from advisories import views

urlpatterns = [
    path("destinations/", views.destinations, name="destinations"),
    path("destinations/<str:code>/", views.destination, name="destination"),
]
