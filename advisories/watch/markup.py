"""HTML from a source, as the Markdown the document importer reads: headings as ``#`` lines,
paragraphs, ``*`` bullets and ``[text](url)`` links; scripts, styles and page chrome dropped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

_BLOCKS = {"p", "div", "section", "article", "table", "tr", "blockquote", "ul", "ol", "dl", "dd"}
_SKIPPED = {"script", "style", "nav", "header", "footer", "noscript", "form", "button", "svg"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}


class _Markdown(HTMLParser):
    def __init__(self, *, shift: int, base: str | None) -> None:
        super().__init__(convert_charrefs=True)
        self.shift, self.base = shift, base
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skipping = 0
        self.href: str | None = None
        self.link_text: list[str] = []
        self.prefix = ""

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.current)).strip()
        if text:
            self.lines += [self.prefix + text, ""]
        self.current, self.prefix = [], ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
            return
        if self.skipping:
            return
        if tag in _HEADINGS:
            self._flush()
            self.prefix = "#" * min(3, _HEADINGS[tag] + self.shift) + " "
        elif tag == "li":
            self._flush()
            self.prefix = "* "
        elif tag in _BLOCKS:
            self._flush()
        elif tag == "br":
            self.current.append(" ")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            if href.startswith(("http://", "https://")) or (self.base and href.startswith("/")):
                self.href = urljoin(self.base or "", href)
                self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
            return
        if self.skipping:
            return
        if tag == "a" and self.href is not None:
            text = re.sub(r"\s+", " ", "".join(self.link_text)).strip()
            self.current.append(f"[{text}]({self.href})" if text else "")
            self.href = None
        elif tag in _HEADINGS or tag == "li" or tag in _BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        (self.link_text if self.href is not None else self.current).append(data)


def html_to_markdown(html: str, *, shift: int = 0, base: str | None = None) -> str:
    """``html`` as Markdown; ``shift`` moves headings down (an ``h2`` inside a part whose own
    title is a ``##`` becomes a ``###``); ``base`` makes relative links absolute."""
    parser = _Markdown(shift=shift, base=base)
    parser.feed(html)
    parser.close()
    parser._flush()
    text = "\n".join(parser.lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str) -> str:
    """The words of a snippet of HTML on one line (a change note, a heading)."""
    markdown = html_to_markdown(html)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"\s+", " ", re.sub(r"^[#*]+ ", "", text, flags=re.MULTILINE)).strip()
