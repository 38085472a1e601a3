"""The portal's URLs plus /api/bench/trivial/: a DRF view with the API's authentication,
permissions and throttles that answers a constant, so `api_trips_list` compares the trip
list with what the same stack costs when the view itself does nothing."""

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class TrivialView(APIView):
    def get(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("api/bench/trivial/", TrivialView.as_view()),
    path("", include("portal.urls")),
]
