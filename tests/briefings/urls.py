from django.urls import include, path

urlpatterns = [
    path("api/", include("briefings.urls")),
    path("briefings/", include("briefings.page_urls")),
]
