"""Polling a source politely: a conditional GET (If-None-Match, If-Modified-Since), a
timeout, a size limit, redirects followed only to http(s). No Django here: the caller keeps the
validators and decides what a failure means (services.source_poll's backoff)."""

from __future__ import annotations

from dataclasses import dataclass

import requests

TIMEOUT_SECONDS = 20
# An advisory page is tens of kilobytes and the State Department's whole feed under one
# megabyte: more than this is not an advisory.
MAX_BYTES = 5 * 1024 * 1024
USER_AGENT = "travel-risk-portal/1.0 (watching official travel advice; polls at most daily)"


class FetchError(Exception):
    """The source could not be read this time; the message says why, for the admin."""


@dataclass(frozen=True)
class Fetched:
    not_modified: bool
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> Fetched:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with requests.get(url, headers=headers, timeout=timeout, stream=True) as response:
            if response.status_code == 304:
                return Fetched(not_modified=True, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} {response.reason or ''}".strip())
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"the response is larger than {max_bytes} bytes")
            chunks, size = [], 0
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"the response is larger than {max_bytes} bytes")
                chunks.append(chunk)
            return Fetched(
                not_modified=False,
                body=b"".join(chunks),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    except requests.Timeout:
        raise FetchError(f"no answer within {timeout:g} seconds") from None
    except requests.RequestException as exc:
        raise FetchError(f"cannot read the source: {exc.__class__.__name__}: {exc}") from None
