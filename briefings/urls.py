"""Page routes, included by portal/urls.py under /briefings/ (namespace "briefings")."""

from django.urls import path

from briefings import views

app_name = "briefings"

urlpatterns = [
    path("failed/", views.failed, name="failed"),
    path("trips/<int:trip_id>/rebrief/", views.rebrief, name="rebrief"),
    path("<int:pk>/retry/", views.retry, name="retry"),
    path("<int:pk>/download/", views.download, name="download"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/acknowledge/", views.acknowledge, name="acknowledge"),
]
