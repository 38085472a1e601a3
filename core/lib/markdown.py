"""Advisory Markdown to HTML that is safe to put in a page or a PDF.

Content comes from official documents and admins' typing, so it is untrusted: markdown-it-py
renders it (raw HTML disabled) and nh3 keeps only harmless tags. Only absolute http(s),
mailto and tel links stay links; any other (`guide.html`, `/x`, `#top`, `file:...`) becomes
its plain text, so that no page or PDF points inside the portal or at the install folder
(WeasyPrint would resolve a relative link against its base URL: `file:///...`). Images are
dropped altogether: a briefing never fetches anything a document points to.
"""

from __future__ import annotations

from functools import cache, lru_cache
from urllib.parse import urlsplit

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
LINK_SCHEMES = frozenset({"http", "https", "mailto", "tel"})


def is_absolute_link(href: str) -> bool:
    """An address with one of LINK_SCHEMES, and for http(s) a host: nothing relative."""
    try:
        parts = urlsplit(href.strip())
    except ValueError:  # an unbalanced [ in a host, say
        return False
    scheme = parts.scheme.lower()
    if scheme not in LINK_SCHEMES:
        return False
    if scheme in ("http", "https"):
        return bool(parts.hostname)
    return bool(parts.path)


def _unlink_relative(state: StateCore) -> None:
    """A markdown-it core rule: a link whose address is not absolute loses its link, keeps
    its text."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        kept: list[Token] = []
        opened: list[bool] = []
        for token in block.children:
            if token.type == "link_open":
                keep = is_absolute_link(str(token.attrGet("href") or ""))
                opened.append(keep)
                if keep:
                    kept.append(token)
            elif token.type == "link_close":
                if opened.pop():
                    kept.append(token)
            else:
                kept.append(token)
        block.children = kept


def _only_absolute_hrefs(tag: str, attribute: str, value: str) -> str | None:
    # The same rule again after rendering, in case a link reached the HTML another way.
    if tag == "a" and attribute == "href":
        return value if is_absolute_link(value) else None
    return value


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    parser.core.ruler.push("unlink_relative", _unlink_relative)
    return parser


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> SafeString:
    """Sanitised HTML, marked safe here, once, so no template or view has to vouch for it.

    Remembered per process by its text: a re-brief renders the same advisory sections for
    hundreds of briefings (a fifth of a briefing's document when it was not).
    """
    html = _parser().render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(LINK_SCHEMES),
        attribute_filter=_only_absolute_hrefs,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 (nh3 kept only the tags and links listed above)
