"""Read API of published content; the project includes these under /api/."""

from django.urls import path

from advisories import api

urlpatterns = [
    path("countries/", api.CountryList.as_view(), name="api-country-list"),
    path(
        "countries/<str:code>/advisory/",
        api.CountryAdvisory.as_view(),
        name="api-country-advisory",
    ),
    path(
        "countries/<str:code>/ratings/",
        api.CountryRatings.as_view(),
        name="api-country-ratings",
    ),
    path("activities/", api.ActivityList.as_view(), name="api-activity-list"),
]
