"""What a watched source says at one reading, as every parser returns it."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass


class SourceFormatError(ValueError):
    """The response is not what this kind of source publishes; the message says why."""


@dataclass(frozen=True)
class SourceReading:
    kind: str
    title: str
    # The source's own rating: a stable code (ratings.RATINGS' keys) and its words.
    rating_code: str
    rating: str
    # The source's own note of what changed ("Latest update: ...", FCDO's change description).
    change_note: str
    updated_at: dt.datetime | None
    url: str
    # The advisory text as Markdown, in the document importer's "fcdo" format, with credit
    # lines naming the publisher and the URL.
    document: str

    @property
    def digest(self) -> str:
        """SHA-256 of the advisory text and rating: the same text read again, the same digest
        (whatever the headers or the feed's build time say)."""
        body = f"{self.rating_code}\n{self.document}".encode()
        return hashlib.sha256(body).hexdigest()
