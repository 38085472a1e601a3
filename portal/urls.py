from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from advisories.admin_documents import import_document
from core import account_views, api, sso
from portal import assets, health, privacy_api

api_patterns: list[URLPattern | URLResolver] = [
    path("auth/token/", api.TokenObtainView.as_view(), name="api-token"),
    path("auth/tokens/", api.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<str:token_id>/", api.TokenRevokeView.as_view(), name="api-token-revoke"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/data/", privacy_api.MyDataView.as_view(), name="api-me-data"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script from a URL of its own: no inline script
    # (Content-Security-Policy).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    # Each app's API, once each (tests/test_urls.py).
    path("", include("advisories.api_urls")),
    path("", include("trips.api_urls")),
    path("", include("bookings.api_urls")),
    path("", include("briefings.api_urls")),
    path("", include("incidents.api_urls")),
]

urlpatterns = [
    path(
        "admin/advisories/import-document/",
        admin.site.admin_view(import_document),
        name="admin-import-document",
    ),
    path("admin/", admin.site.urls),
    path("favicon.ico", assets.favicon, name="favicon"),
    path("healthz/", health.healthz, name="healthz"),
    path(
        "accounts/password_reset/",
        account_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/oidc/", include(sso.urlpatterns)),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include(api_patterns)),
    # Booking e-mails from the provider named by BOOKINGS_INBOUND (none when unset).
    path("bookings/inbound/", include("bookings.mail.urls")),
    path("bookings/", include("bookings.urls")),
    # Each app's pages, once each (tests/test_urls.py).
    path("", include("incidents.urls")),
    path("", include("portal.page_urls")),
    path("", include("trips.urls")),
    path("", include("advisories.urls")),
    path("briefings/", include("briefings.urls")),
]

handler404 = "portal.errors_views.not_found"
handler400 = "portal.errors_views.bad_request"
handler403 = "portal.errors_views.forbidden"
handler500 = "portal.errors_views.server_error"
