"""The outline: a document's headings with the Markdown body under each.

``fcdo`` documents are Markdown: headings are found with markdown-it (so ``#`` inside code is
no heading) and bodies kept as written. ``osac`` and ``plain`` text is classified line by line
(:mod:`.headings`); ``•`` bullets become Markdown ``- `` bullets and blocks of short lines
(addresses, contact numbers) keep their line breaks as Markdown hard breaks. Text before the
first heading is the preamble; a first line with no body followed by a heading, or level-1
headings that all say the same thing, are the document's title.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from .headings import is_fragment_heading, is_question_heading, is_title_case_heading
from .text import (
    BOLD_LINE_RE,
    BULLET_RE,
    MD_HEADING_RE,
    block_spans,
    ends_terminal,
    inline_text,
    is_bullet,
    line_key,
    starts_lower,
    strip_bold,
)

_URL_RE = re.compile(r"https?://[^\s<>()\[\]]*[^\s<>()\[\].,;:!?'\"\u201d\u2019]")


@dataclass
class Node:
    level: int
    heading: str | None  # None: text before the first heading
    body: list[str] = field(default_factory=list)  # Markdown blocks


@dataclass
class _Item:
    kind: str  # "heading" | "para" | "list" | "lines"
    text: str = ""
    level: int = 0
    items: list[str] = field(default_factory=list)


def _escape_line(text: str) -> str:
    text = text.strip()
    text = re.sub(r"^(#{1,6}\s)", r"\\\1", text)
    text = re.sub(r"^(\d+)([.)]\s)", r"\1\\\2", text)
    text = re.sub(r"^([>+*-]\s)", r"\\\1", text)
    return _URL_RE.sub(lambda m: f"<{m.group(0)}>", text)


def _render(item: _Item) -> str:
    if item.kind == "list":
        return "\n".join(f"- {_escape_line(entry)}" for entry in item.items)
    if item.kind == "lines":
        return "\\\n".join(_escape_line(entry) for entry in item.items)
    return _escape_line(item.text)


def _text_items(block: list[str], *, dense: bool) -> list[_Item]:
    """Paragraphs, lists and line-broken blocks of one block of non-heading lines."""
    items: list[_Item] = []
    run: list[str] = []

    def flush_run() -> None:
        if not run:
            return
        if dense:
            items.extend(_Item("para", text=line) for line in run)
        elif all(
            not ends_terminal(a) and (starts_lower(b) or len(a) >= 60)
            for a, b in itertools.pairwise(run)
        ):
            items.append(_Item("para", text=" ".join(x.strip() for x in run)))
        else:
            items.append(_Item("lines", items=[x.strip() for x in run]))
        run.clear()

    for line in block:
        bullet = BULLET_RE.match(line)
        if bullet:
            flush_run()
            entry = bullet.group("text").strip()
            if items and items[-1].kind == "list":
                items[-1].items.append(entry)
            else:
                items.append(_Item("list", items=[entry]))
        elif items and items[-1].kind == "list" and not run and starts_lower(line):
            items[-1].items[-1] += " " + line.strip()
        else:
            run.append(line)
    flush_run()
    return items


def _is_dense(block: list[str]) -> bool:
    prose = [line for line in block if not is_bullet(line)]
    sentences = [line for line in prose if len(line) >= 60 and ends_terminal(line)]
    return len(prose) >= 2 and len(sentences) * 2 >= len(prose)


def outline_text(lines: list[str], *, osac: bool) -> tuple[str, list[Node]]:
    spans = block_spans(lines)
    blocks = [[line.strip() for line in lines[s:e]] for s, e in spans]
    has_md_headings = not osac and any(MD_HEADING_RE.match(x) for b in blocks for x in b)
    bare_level = 7 if has_md_headings else 2

    # 1. candidates, per line
    flat: list[tuple[str, int, str]] = []  # (kind, level, text); kinds: md, bare, line, blank
    for block in blocks:
        if flat:
            flat.append(("blank", 0, ""))
        for line in block:
            md = None if osac else MD_HEADING_RE.match(line)
            if md:
                flat.append(("md", len(md.group(1)), strip_bold(md.group(2))))
            else:
                flat.append(("line", 0, line))

    # 2. classify the lines of each block
    items: list[_Item] = []
    title = ""
    chunks: list[list[tuple[str, int, str]]] = [[]]
    for entry in flat:
        if entry[0] == "blank":
            chunks.append([])
        else:
            chunks[-1].append(entry)
    chunks = [c for c in chunks if c]

    def next_is_content(ci: int, li: int) -> bool:
        if li + 1 < len(chunks[ci]):
            return True
        return ci + 1 < len(chunks)

    for ci, chunk in enumerate(chunks):
        texts = [t for _, _, t in chunk]
        dense = len(chunk) > 1 and _is_dense([t for k, _, t in chunk if k == "line"])
        pending: list[str] = []

        for li, (kind, level, text) in enumerate(chunk):
            if kind == "md":
                items.extend(_text_items(pending, dense=dense))
                pending = []
                items.append(_Item("heading", text=text, level=level))
                continue
            bold = None if osac else BOLD_LINE_RE.match(text)
            single = len(chunk) == 1
            heading = False
            if next_is_content(ci, li) and not is_bullet(text):
                if bold and single:
                    heading = True
                    text = strip_bold(text)
                elif single:
                    heading = is_title_case_heading(text) or (
                        not osac and is_question_heading(text)
                    )
                elif dense and not osac:
                    heading = (
                        is_title_case_heading(text)
                        or is_question_heading(text)
                        or is_fragment_heading(text)
                    ) and not (li + 1 < len(chunk) and is_bullet(texts[li + 1]))
            if heading:
                items.extend(_text_items(pending, dense=dense))
                pending = []
                items.append(_Item("heading", text=text, level=bare_level))
            else:
                pending.append(text)
        items.extend(_text_items(pending, dense=dense))

    # 3. the title: a first line with no body of its own, followed by a heading
    if items and not any(i.kind == "heading" and i.level == 1 for i in items):
        first = items[0]
        candidate = first.text if first.kind in {"para", "heading"} else ""
        if (
            candidate
            and len(candidate) <= 200
            and not ends_terminal(candidate)
            and len(items) > 1
            and items[1].kind == "heading"
            and candidate[0].isupper()
        ):
            title = candidate
            items = items[1:]

    # 4. a label left hanging ("Compliance with International Law:") before a heading
    kept: list[_Item] = []
    for i, item in enumerate(items):
        nxt = items[i + 1] if i + 1 < len(items) else None
        if (
            item.kind == "para"
            and item.text.endswith(":")
            and len(item.text) <= 60
            and (nxt is None or nxt.kind == "heading")
        ):
            continue
        kept.append(item)

    nodes: list[Node] = [Node(0, None)]
    for item in kept:
        if item.kind == "heading":
            nodes.append(Node(item.level, item.text))
        else:
            nodes[-1].body.append(_render(item))
    return title, nodes


def outline_markdown(lines: list[str]) -> tuple[str, list[Node]]:
    tokens = MarkdownIt("commonmark").parse("\n".join(lines))
    headings: list[tuple[int, str, int, int]] = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.map and token.level == 0:
            text = inline_text(strip_bold(tokens[i + 1].content))
            headings.append((int(token.tag[1]), text, token.map[0], token.map[1]))

    def body(start: int, end: int) -> list[str]:
        chunk = "\n".join(lines[start:end]).strip("\n")
        chunk = re.sub(r"\n{3,}", "\n\n", chunk)
        return [chunk] if chunk.strip() else []

    nodes = [Node(0, None, body(0, headings[0][2] if headings else len(lines)))]
    for n, (level, text, _start, end) in enumerate(headings):
        stop = headings[n + 1][2] if n + 1 < len(headings) else len(lines)
        nodes.append(Node(level, text, body(end, stop)))
    return "", nodes


def take_title(title: str, nodes: list[Node]) -> tuple[str, list[Node]]:
    """Level-1 headings that all say the same thing are the document's title."""
    tops = [n for n in nodes if n.level == 1 and n.heading]
    if not tops or len({line_key(n.heading or "") for n in tops}) != 1:
        return title, nodes
    title = title or (tops[0].heading or "")
    preamble = nodes[0]
    rest: list[Node] = []
    for node in nodes[1:]:
        if node.level == 1:
            preamble.body.extend(node.body)
        else:
            rest.append(node)
    return title, [preamble, *rest]
