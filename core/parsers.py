"""The API's JSON parser (settings.REST_FRAMEWORK): a module of its own, because DRF imports
its parsers while it is still importing its views."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

NOT_AN_OBJECT = "Expected a JSON object."


class JSONObjectParser(JSONParser):
    """Every body the API accepts is an object: a list, string, number or null is refused
    here, once, so that no view has to guard `request.data.get` against it."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Thousands of nested brackets exhaust the JSON decoder: bad input, not a crash.
            raise ParseError("JSON parse error - nested too deeply.") from None
        if not isinstance(data, dict):
            raise ParseError(NOT_AN_OBJECT)
        return data
