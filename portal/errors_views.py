"""Error pages: the API answers in its own shape (contracts.md: `{"detail": "..."}`) even for
addresses no API view matched; pages get the portal's templates (404.html, 403.html,
500.html)."""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults


def _api(request) -> bool:
    return request.path_info.startswith("/api/")


def bad_request(request, exception):
    # Django's own 400s (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields, a bad
    # Host): the API's still in its field-error shape.
    if _api(request):
        return JsonResponse({"non_field_errors": [BAD_REQUEST]}, status=400)
    return defaults.bad_request(request, exception)


BAD_REQUEST = "The request could not be read (too large, or malformed)."


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
