import json

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.urls import include, path
from oauth2_provider.views import JwksInfoView


def jwks(request):
    """The real key set, unless the test left another in rogue-jwks.json: then tokens signed
    with the real key no longer verify against what the provider publishes."""
    rogue = settings.STATE / "rogue-jwks.json"
    if rogue.exists():
        return JsonResponse(json.loads(rogue.read_text()))
    return JwksInfoView.as_view()(request)


urlpatterns = [
    path("o/.well-known/jwks.json", jwks),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
]
