"""The portal's own pages (the dashboard, the profile, the audit trail); each app's pages are in
its urls.py, all included from portal/urls.py. Bookmarkable URLs are promises."""

from django.urls import path

from core import account_views
from portal import maps, views

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
    path("map/", maps.map_page, name="map"),
    path("audit/", views.audit_trail, name="audit-trail"),
]
