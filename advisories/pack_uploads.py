"""A content pack uploaded in the admin, kept between its preview and its confirmation.

The pack's text stays on the server, in the uploader's own session (the database), keyed by
the SHA-256 of the file as uploaded: the confirmation names the digest, never carries the
pack, so what is imported is byte for byte what was previewed, and nobody else's session can
confirm it. It is validated again on confirmation (the content may have changed meanwhile).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

SESSION_KEY = "advisories.pack_uploads"
# A few uploads at once (two tabs, a corrected file); the oldest is forgotten beyond that.
KEPT = 3


@dataclass(frozen=True)
class PendingPack:
    digest: str
    name: str
    text: str
    draft: bool


def pack_upload_keep(session: Any, *, text: str, name: str, draft: bool) -> str:
    """Keep an uploaded pack's text in the session; returns its SHA-256 (hex)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    uploads = {
        key: value for key, value in (session.get(SESSION_KEY) or {}).items() if key != digest
    }
    uploads[digest] = {"name": name, "text": text, "draft": draft}
    session[SESSION_KEY] = dict(list(uploads.items())[-KEPT:])
    return digest


def pack_upload_get(session: Any, digest: str) -> PendingPack | None:
    """The pack kept under ``digest``; None when there is none (or its text no longer has
    that digest)."""
    entry = (session.get(SESSION_KEY) or {}).get(digest)
    if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
        return None
    if hashlib.sha256(entry["text"].encode("utf-8")).hexdigest() != digest:
        return None
    return PendingPack(
        digest=digest,
        name=str(entry.get("name") or "pack.json"),
        text=entry["text"],
        draft=bool(entry.get("draft")),
    )


def pack_upload_forget(session: Any, digest: str) -> None:
    uploads = dict(session.get(SESSION_KEY) or {})
    if uploads.pop(digest, None) is not None:
        session[SESSION_KEY] = uploads
