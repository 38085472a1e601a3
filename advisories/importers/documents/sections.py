"""Sections from the outline: every heading with text under it is a section.

A heading with no text of its own is no section. When it has two or more sub-sections that
share one topic (and, if the heading names a topic, that one) and fit in one readable section,
they are merged under it with their headings kept as ``###`` sub-headings (the UK advice:
"Crime" holds "Robbery and violent crime", "Bank card fraud", ...). Otherwise its sub-sections
stand on their own ("Transport risks" yields "Road travel", "Closed areas", ...); so does a
lone sub-heading, whose heading is the one that says what the section is about ("Outdoor
activities" over nothing but "Trekking and mountaineering" yields a trekking section).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .outline import Node
from .parsed import ParsedSection
from .topics import guess_topic, heading_topic

# A heading with no text of its own absorbs its sub-sections only up to this size.
MAX_MERGED_CHARS = 4000


@dataclass
class Tree:
    node: Node
    children: list[Tree] = field(default_factory=list)


def forest(nodes: Iterable[Node]) -> list[Tree]:
    roots: list[Tree] = []
    stack: list[Tree] = []
    for node in nodes:
        tree = Tree(node)
        while stack and stack[-1].node.level >= node.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(tree)
        stack.append(tree)
    return roots


def sections_of(
    trees: Sequence[Tree], keywords: Mapping[str, Sequence[str]] | None
) -> list[ParsedSection]:
    out: list[ParsedSection] = []
    for tree in trees:
        heading = tree.node.heading or ""
        body = "\n\n".join(tree.node.body).strip()
        children = sections_of(tree.children, keywords)
        if body:
            out.append(ParsedSection(heading, guess_topic(heading, body, keywords), body))
            out.extend(children)
            continue
        own = heading_topic(heading, keywords)
        if len(children) == 1:
            # A lone sub-heading says what its text is about ("Trekking and mountaineering",
            # which the trekking activity's section needs): merging it would lose it. The
            # heading above still says which topic it is under when its own heading does not.
            (lone,) = children
            if own is not None and heading_topic(lone.heading, keywords) is None:
                lone.topic = own
            out.append(lone)
            continue
        topics = {s.topic for s in children}
        merged = "\n\n".join(f"### {s.heading}\n\n{s.body}" for s in children)
        if len(topics) == 1 and (own is None or own in topics) and len(merged) <= MAX_MERGED_CHARS:
            out.append(ParsedSection(heading, topics.pop(), merged))
        else:
            out.extend(children)
    return out
