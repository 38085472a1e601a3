"""The portal's URLs plus two addresses that fail, for the error-page tests."""

from django.urls import path

from portal.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("api/boom/", boom), path("boom/", boom), *urlpatterns]
