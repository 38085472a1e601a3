"""Error pages: the API answers in its own shape (contracts.md: `{"detail": "..."}`) even for
addresses no API view matched; pages get the portal's templates (404.html, 403.html,
500.html)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults


def _api(request) -> bool:
    return request.path_info.startswith("/api/")


def not_found(request, exception):
    if _api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def forbidden(request, exception):
    if _api(request):
        return JsonResponse(
            {"detail": "You do not have permission to perform this action."}, status=403
        )
    return defaults.permission_denied(request, exception)


def server_error(request):
    if _api(request):
        return JsonResponse(
            {"detail": "Server error: the request could not be completed; try again."}, status=500
        )
    return defaults.server_error(request)
