"""Secrets in URLs stay out of the logs.

Two addresses carry their key in the path, because whoever opens them cannot sign in: a safety
check's answer link (/checks/answer/<token>/, in an e-mail) and the personal calendar feed
(/calendar/<token>.ics, polled by calendar apps). Anyone who reads an access log must not be
able to answer for a traveller or read their whereabouts, so every log line that passes through
HideURLSecrets has the token part of those paths replaced, wherever it appears: the request
line, the path, the referer of a page those addresses loaded, a "Not Found" warning.

settings.LOGGING puts the filter on the loggers that write request paths: ``django.server``
(runserver), ``django.request`` (4xx and 5xx warnings) and ``gunicorn.access`` (the access log
of ``make serve``, whose handler it also defines), and on the console handler for anything else.
"""

from __future__ import annotations

import logging
import re
from collections.abc import MutableMapping
from typing import Any

HIDDEN = "[hidden]"

# The token is whatever sits in its path segment: signed tokens hold ":" and base64, a
# percent-encoded one "%", so everything up to the next "/", "?", "#", quote or space goes.
_SECRET_PATHS = (
    (re.compile(r"(/checks/answer/)[^/?#\s\"']+"), rf"\g<1>{HIDDEN}"),
    (re.compile(r"(/calendar/)[^/?#\s\"']+?(\.ics)"), rf"\g<1>{HIDDEN}\g<2>"),
)


def hide_url_secrets(text: str) -> str:
    """``text`` with the token of every answer-link and calendar-feed path replaced."""
    for pattern, replacement in _SECRET_PATHS:
        text = pattern.sub(replacement, text)
    return text


def _hidden(value: Any) -> Any:
    return hide_url_secrets(value) if isinstance(value, str) else value


class HideURLSecrets(logging.Filter):
    """Masks URL secrets in a record's message and arguments; never drops a record.

    Arguments are a tuple for Django's loggers and a mapping for gunicorn's access log (its
    atoms: request line, path, referer, headers); a mapping is changed in place, so gunicorn's
    own mapping type (which answers '-' for a missing atom) keeps working."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _hidden(record.msg)
        if isinstance(record.args, MutableMapping):
            for key, value in list(record.args.items()):
                if isinstance(value, str):
                    record.args[key] = hide_url_secrets(value)
        elif isinstance(record.args, tuple):
            record.args = tuple(_hidden(value) for value in record.args)
        return True
