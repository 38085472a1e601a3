"""The only way a briefing render may load anything: our own static assets and data: URLs.

Advisory content is untrusted (it comes from official documents and admins' typing), and
WeasyPrint would otherwise fetch whatever an <img>, a stylesheet, an @import or a
<link rel="attachment"> points to: the network, or any file on the worker's disk. Everything
that is not a file under static/briefings/ or a data: URL is refused; WeasyPrint logs the
refusal and renders on without the resource.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.conf import settings
from weasyprint import URLFetcher
from weasyprint.urls import URLFetcherResponse


class RefusedURL(ValueError):
    """A render tried to load something outside our own assets."""


def assets_root() -> Path:
    return (Path(settings.BASE_DIR) / "static" / "briefings").resolve()


def assets_base_url() -> str:
    return assets_root().as_uri() + "/"


class AssetsOnlyURLFetcher(URLFetcher):
    def __init__(self, root: Path | None = None) -> None:
        # No redirects, no protocols but ours: the parent's urllib opener is never reached
        # for anything but data: URLs.
        super().__init__(timeout=1, allowed_protocols=("data",), allow_redirects=False)
        self.root = (root or assets_root()).resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self._asset_path(url)
            if path is not None:
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    url, body=path.read_bytes(), headers={"Content-Type": content_type}
                )
        self.refused.append(url)
        raise RefusedURL(f"Briefings load only their own assets; refused {url[:200]!r}")

    def _asset_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        try:
            path = Path(url2pathname(parts.path)).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        if not path.is_file() or not path.is_relative_to(self.root):
            return None
        return path
