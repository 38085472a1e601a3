"""The API's JSON parser (settings.REST_FRAMEWORK): a module of its own, because DRF imports
its parsers while it is still importing its views."""

from __future__ import annotations

from django.conf import settings
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser

NOT_AN_OBJECT = "Expected a JSON object."


class RequestTooLarge(APIException):
    status_code = 413
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class JSONObjectParser(JSONParser):
    """Every body the API accepts is an object: a list, string, number or null is refused
    here, once, so that no view has to guard `request.data.get` against it."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request is not None and limit is not None:
            # DRF reads the body as a stream, which Django does not measure: refuse a body
            # larger than Django would hold for a form before reading any of it.
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                raise RequestTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Thousands of nested brackets exhaust the JSON decoder: bad input, not a crash.
            raise ParseError("JSON parse error - nested too deeply.") from None
        if not isinstance(data, dict):
            raise ParseError(NOT_AN_OBJECT)
        return data
