"""Fetching a feed over HTTP, politely and within bounds: the poll and ``import_incidents`` share
it. A conditional GET (If-None-Match, If-Modified-Since) when the last answer gave an ETag or a
Last-Modified, so an unchanged feed costs its server a 304; a connect and read timeout and an
overall deadline (a server dripping a byte a second cannot hold a worker), and a size limit
counted on the body as decoded (a compressed bomb stops at the limit too)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

CONNECT_TIMEOUT_SECONDS = 10.0
READ_TIMEOUT_SECONDS = 30.0
DEADLINE_SECONDS = 60.0
# The USGS month-long summaries are the largest feeds read: about 10 MB.
MAX_BYTES = 20 * 1024 * 1024
USER_AGENT = "travel-risk-portal hazard feeds"
CHUNK = 64 * 1024


class FetchError(Exception):
    """The feed could not be read: said in words, for the admin and the command."""


@dataclass(frozen=True)
class Fetched:
    status: int  # 200, or 304 when unchanged since the ETag or Last-Modified given
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: tuple[float, float] | None = None,
    deadline_seconds: float | None = None,
    max_bytes: int | None = None,
) -> Fetched:
    """GET ``url`` (http or https only). Raises FetchError for anything but a 200 or a 304.
    The limits default to the module's (read when called)."""
    timeout = timeout or (CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS)
    deadline_seconds = deadline_seconds or DEADLINE_SECONDS
    max_bytes = max_bytes or MAX_BYTES
    if urlsplit(url).scheme not in ("http", "https"):
        raise FetchError(f"only http and https addresses are fetched, not {url!r}")
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    try:
        with requests.get(url, headers=headers, timeout=timeout, stream=True) as response:
            if response.status_code == 304:
                return Fetched(
                    status=304,
                    etag=response.headers.get("ETag", etag),
                    last_modified=response.headers.get("Last-Modified", last_modified),
                )
            if response.status_code != 200:
                raise FetchError(f"HTTP {response.status_code} {response.reason or ''}".strip())
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"the feed is larger than {max_bytes // 1024} KB")
            body = bytearray()
            for chunk in response.iter_content(CHUNK):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"the feed is larger than {max_bytes // 1024} KB")
                if time.monotonic() - started > deadline_seconds:
                    raise FetchError(f"the feed took longer than {deadline_seconds:g} s to read")
            return Fetched(
                status=200,
                body=bytes(body),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
            )
    except requests.Timeout:
        raise FetchError("the feed did not answer in time") from None
    except requests.RequestException as exc:
        raise FetchError(f"the feed could not be reached: {type(exc).__name__}") from None
