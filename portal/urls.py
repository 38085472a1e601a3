from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser

from advisories.admin_documents import import_document
from incidents import urls as incident_urls
from portal import api
from portal.parsers import JSONObjectParser

api_patterns = [
    path(
        "auth/token/",
        # The project's JSON parser (a body that is not an object, or is nested without end,
        # is a 400), and no multipart: nobody uploads files to get a token.
        ObtainAuthToken.as_view(parser_classes=[JSONObjectParser, FormParser]),
        name="api-token",
    ),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("advisories.urls")),
    path("", include("trips.api_urls")),
    path("", include("briefings.urls")),
    path("", include(incident_urls.api_urlpatterns)),
]

urlpatterns = [
    path(
        "admin/advisories/import-document/",
        admin.site.admin_view(import_document),
        name="admin-import-document",
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include(api_patterns)),
    path("", include(incident_urls.urlpatterns)),
    path("", include("portal.page_urls")),
]

handler404 = "portal.errors_views.not_found"
handler403 = "portal.errors_views.forbidden"
handler500 = "portal.errors_views.server_error"
