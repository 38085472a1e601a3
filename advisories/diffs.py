"""What changed between two published versions of a country, in words a content admin reads:
each section, rule and level compared on its own, word by word, old on the left and new on the
right. Pure functions over two content-pack snapshots (AdvisoryVersion.content); the admin's
comparison page lays the result out as two columns with <del> and <ins> marks."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from advisories.selectors import rule_in_words

# A changed line shows this many unchanged lines around it; the rest of a long body folds away.
CONTEXT_LINES = 1
EQUAL, DELETED, INSERTED = "equal", "del", "ins"
# Words and the spaces between them, so that a diff of tokens puts the text back as it was.
TOKENS = re.compile(r"\s+|[^\s]+")

Segment = tuple[str, str]  # (EQUAL | DELETED | INSERTED, text)


@dataclass(frozen=True)
class Block:
    """One thing compared on its own: the level and summary, a section, a rule, a list."""

    key: str
    kind: str  # "advisory", "section", "rule", "places", "contacts", "sources", "calendar"
    title: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class DiffRow:
    """One line side by side; None on a side where the line does not exist (added or
    removed), and `folded` for a run of unchanged lines left out."""

    old: tuple[Segment, ...] | None
    new: tuple[Segment, ...] | None
    folded: int = 0


@dataclass
class BlockDiff:
    key: str
    kind: str
    title: str
    status: str  # "added", "removed", "changed"
    rows: list[DiffRow] = field(default_factory=list)


def _list(values: Any) -> str:
    return ", ".join(str(value) for value in values or [])


def snapshot_blocks(content: dict[str, Any]) -> list[Block]:
    """The snapshot cut into the blocks a person compares, in the order the snapshot has."""
    advisory = content.get("advisory") or {}
    blocks = [
        Block(
            key="advisory",
            kind="advisory",
            title="Country level and summary",
            lines=(
                f"Level: {advisory.get('level')}",
                *(advisory.get("summary") or "").splitlines(),
            ),
        )
    ]
    blocks += [_section_block(section) for section in advisory.get("sections", [])]
    blocks += [_rule_block(rule) for rule in content.get("rules", [])]
    for key, title, lines in _list_blocks(content):
        if lines:
            blocks.append(Block(key=key, kind=key, title=title, lines=tuple(lines)))
    return blocks


def _section_block(section: dict[str, Any]) -> Block:
    return Block(
        key=f"section:{section['key']}",
        kind="section",
        title=f"Section: {section.get('heading') or section['key']}",
        lines=(
            f"Heading: {section.get('heading', '')}",
            f"Topic: {section.get('topic', '')}",
            f"Level: {section.get('level') or 'none'}",
            f"Places: {_list(section.get('places')) or 'whole country'}",
            f"Activities: {_list(section.get('activities')) or 'any'}",
            f"Months: {_list(section.get('months')) or 'all year'}",
            f"Source: {section.get('source') or 'none'}",
            *(section.get("body") or "").splitlines(),
        ),
    )


def _rule_block(rule: dict[str, Any]) -> Block:
    fields = [
        f"{name}: {json.dumps(rule[name], ensure_ascii=False)}"
        for name in sorted(rule)
        if name not in ("key", "kind", "title", "detail")
    ]
    return Block(
        key=f"rule:{rule['key']}",
        kind="rule",
        title=f"Rule: {rule.get('title') or rule['key']} ({rule['kind']})",
        lines=(
            f"Title: {rule.get('title', '')}",
            f"In words: {rule_in_words(rule)}",
            *fields,
            *(rule.get("detail") or "").splitlines(),
        ),
    )


def _list_blocks(content: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    """The country's lists, a line per item: places, emergency contacts, sources, calendar."""
    places = [
        f"{place['name']}: {place.get('kind')}, level {place.get('level') or 'none'}"
        + (f", also {_list(place.get('aliases'))}" if place.get("aliases") else "")
        for place in content.get("places", [])
    ]
    contacts = [
        f"{contact['label']}: {contact['number']}"
        + (f" ({contact['place']})" if contact.get("place") else "")
        + (
            f", for {_list(contact['nationalities'])} passports"
            if contact.get("nationalities")
            else ""
        )
        for contact in content.get("emergency_contacts", [])
    ]
    sources = [
        f"{source['key']}: {source.get('publisher')}, {source.get('title')} "
        f"({source.get('url') or 'no address'}, retrieved {source.get('retrieved') or 'unknown'})"
        for source in content.get("sources", [])
    ]
    calendar = [
        f"{label}: {_list(content.get(name))}"
        for name, label in (
            ("non_working_days", "Non-working days"),
            ("working_days", "Working days"),
        )
        if content.get(name)
    ]
    return [
        ("places", "Places", places),
        ("contacts", "Emergency contacts", contacts),
        ("sources", "Sources", sources),
        ("calendar", "Calendar corrections", calendar),
    ]


def _words(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Two versions of a line, marked word by word: deleted words on the left, inserted on
    the right, the rest as it was."""
    before, after = TOKENS.findall(old), TOKENS.findall(new)
    left: list[Segment] = []
    right: list[Segment] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            left.append((EQUAL, "".join(before[i1:i2])))
            right.append((EQUAL, "".join(after[j1:j2])))
            continue
        if i2 > i1:
            left.append((DELETED, "".join(before[i1:i2])))
        if j2 > j1:
            right.append((INSERTED, "".join(after[j1:j2])))
    return tuple(left), tuple(right)


def _rows(old: tuple[str, ...], new: tuple[str, ...]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows.extend(DiffRow(old=((EQUAL, line),), new=((EQUAL, line),)) for line in old[i1:i2])
        elif op == "replace":
            # Pair the lines in order; the longer side's extra lines stand alone.
            for offset in range(max(i2 - i1, j2 - j1)):
                a = old[i1 + offset] if i1 + offset < i2 else None
                b = new[j1 + offset] if j1 + offset < j2 else None
                if a is not None and b is not None:
                    left, right = _words(a, b)
                    rows.append(DiffRow(old=left, new=right))
                elif a is not None:
                    rows.append(DiffRow(old=((DELETED, a),), new=None))
                elif b is not None:
                    rows.append(DiffRow(old=None, new=((INSERTED, b),)))
        elif op == "delete":
            rows.extend(DiffRow(old=((DELETED, line),), new=None) for line in old[i1:i2])
        else:
            rows.extend(DiffRow(old=None, new=((INSERTED, line),)) for line in new[j1:j2])
    return _fold(rows)


def _unchanged(row: DiffRow) -> bool:
    return (
        row.old is not None
        and row.new is not None
        and all(op == EQUAL for op, _ in row.old + row.new)
    )


def _fold(rows: list[DiffRow]) -> list[DiffRow]:
    """Keep CONTEXT_LINES unchanged lines around each change; a longer run becomes one
    `folded` row that says how many lines it hides."""
    changed = [i for i, row in enumerate(rows) if not _unchanged(row)]
    keep = {
        i
        for c in changed
        for i in range(c - CONTEXT_LINES, c + CONTEXT_LINES + 1)
        if 0 <= i < len(rows)
    }
    folded: list[DiffRow] = []
    hidden = 0
    for i, row in enumerate(rows):
        if i in keep:
            if hidden:
                folded.append(DiffRow(old=None, new=None, folded=hidden))
                hidden = 0
            folded.append(row)
        else:
            hidden += 1
    if hidden:
        folded.append(DiffRow(old=None, new=None, folded=hidden))
    return folded


def draft_diff(published: dict[str, Any] | None, draft: dict[str, Any]) -> list[BlockDiff]:
    """``version_diff`` from what is published (None: nothing yet, so every block of the
    draft is added) to a draft, or to what an import would make of it."""
    if published is None:
        return [
            BlockDiff(block.key, block.kind, block.title, "added", _rows((), block.lines))
            for block in snapshot_blocks(draft)
        ]
    return version_diff(published, draft)


def version_diff(older: dict[str, Any], newer: dict[str, Any]) -> list[BlockDiff]:
    """Every block that differs between two snapshots: changed and added blocks in the newer
    version's order, then the removed ones. An unchanged block is left out."""
    before = {block.key: block for block in snapshot_blocks(older)}
    after = {block.key: block for block in snapshot_blocks(newer)}
    diffs: list[BlockDiff] = []
    for key, block in after.items():
        old = before.get(key)
        if old is None:
            diffs.append(BlockDiff(key, block.kind, block.title, "added", _rows((), block.lines)))
        elif old.lines != block.lines:
            diffs.append(
                BlockDiff(key, block.kind, block.title, "changed", _rows(old.lines, block.lines))
            )
    for key, block in before.items():
        if key not in after:
            diffs.append(BlockDiff(key, block.kind, block.title, "removed", _rows(block.lines, ())))
    return diffs


# --- a publication's changes in words, named as people name them --------------------------


@dataclass(frozen=True)
class ChangesInWords:
    """What a new version changes, for the editor about to publish it: the level changes on
    their own ("Country level 2 -> 3", "Baikonur level 4 -> 5", "Section 'Closed areas' level
    4 -> 3"), then everything else, each section by its heading and each place by its name."""

    levels: list[str]
    others: list[str]


def _level(value: Any) -> str:
    return str(value) if value else "none"


def changes_in_words(older: dict[str, Any] | None, newer: dict[str, Any]) -> ChangesInWords:
    """The changes from `older` (None: never published) to `newer`, two snapshots of one
    country (AdvisoryVersion.content). A first version lists all it brings as added."""
    if older is None:
        level = (newer.get("advisory") or {}).get("level")
        first = changes_in_words({"advisory": {"level": level}}, newer)
        return ChangesInWords(
            levels=[f"Country level {_level(level)}"], others=["First version", *first.others]
        )
    levels: list[str] = []
    others: list[str] = []
    before, after = older.get("advisory") or {}, newer.get("advisory") or {}
    if before.get("level") != after.get("level"):
        levels.append(
            f"Country level {_level(before.get('level'))} -> {_level(after.get('level'))}"
        )
    if (before.get("summary") or "") != (after.get("summary") or ""):
        others.append("The country's summary is reworded")
    _sections(before, after, levels, others)
    _places(older, newer, levels, others)
    _keyed(older, newer, "rules", "Rule", lambda rule: rule.get("title") or rule["key"], others)
    _keyed(
        older,
        newer,
        "sources",
        "Source",
        lambda source: ", ".join(p for p in (source.get("publisher"), source.get("title")) if p),
        others,
    )
    old_contacts = {_contact(c) for c in older.get("emergency_contacts") or []}
    new_contacts = {_contact(c) for c in newer.get("emergency_contacts") or []}
    others += [f"Emergency contact added: {c}" for c in sorted(new_contacts - old_contacts)]
    others += [f"Emergency contact removed: {c}" for c in sorted(old_contacts - new_contacts)]
    for name, words in (("non_working_days", "non-working days"), ("working_days", "working days")):
        if sorted(older.get(name) or []) != sorted(newer.get(name) or []):
            others.append(f"The calendar's {words} change")
    return ChangesInWords(levels=levels, others=others)


def _text(body: str | None) -> str:
    """A body as it reads: a browser's textarea sends CRLF line ends where a pack has LF."""
    return "\n".join((body or "").splitlines()).strip()


def _contact(contact: dict[str, Any]) -> str:
    where = f" ({contact['place']})" if contact.get("place") else ""
    return f"{contact.get('label')}{where}, {contact.get('number')}"


def _sections(
    before: dict[str, Any], after: dict[str, Any], levels: list[str], others: list[str]
) -> None:
    old = {s["key"]: s for s in before.get("sections") or []}
    new = {s["key"]: s for s in after.get("sections") or []}
    for key, section in new.items():
        heading = f"Section '{section.get('heading') or key}'"
        previous = old.get(key)
        if previous is None:
            others.append(f"{heading} added")
            continue
        if previous.get("level") != section.get("level"):
            levels.append(
                f"{heading} level {_level(previous.get('level'))} -> {_level(section.get('level'))}"
            )
        if previous.get("heading") != section.get("heading"):
            others.append(f"Section '{previous.get('heading')}' renamed {section.get('heading')!r}")
        where = [
            words
            for name, words in (
                ("places", "places"),
                ("activities", "activities"),
                ("months", "months"),
            )
            if (previous.get(name) or None) != (section.get(name) or None)
        ]
        if where:
            others.append(f"{heading}: where it applies ({', '.join(where)})")
        if _text(previous.get("body")) != _text(section.get("body")) or previous.get(
            "source"
        ) != section.get("source"):
            others.append(f"{heading} reworded")
    for key, section in old.items():
        if key not in new:
            others.append(f"Section '{section.get('heading') or key}' removed")


def _places(
    older: dict[str, Any], newer: dict[str, Any], levels: list[str], others: list[str]
) -> None:
    old = {p["name"]: p for p in older.get("places") or []}
    new = {p["name"]: p for p in newer.get("places") or []}
    for name, place in new.items():
        previous = old.get(name)
        if previous is None:
            others.append(f"Place {name} added")
            continue
        if previous.get("level") != place.get("level"):
            levels.append(
                f"{name} level {_level(previous.get('level'))} -> {_level(place.get('level'))}"
            )
        if previous.get("kind") != place.get("kind"):
            others.append(f"{name} is now a {str(place.get('kind')).replace('_', ' ')}")
        if sorted(previous.get("aliases") or []) != sorted(place.get("aliases") or []):
            others.append(f"{name}: other names change")
    others += [f"Place {name} removed" for name in old if name not in new]


def _keyed(
    older: dict[str, Any],
    newer: dict[str, Any],
    part: str,
    noun: str,
    label: Any,
    others: list[str],
) -> None:
    old = {item["key"]: item for item in older.get(part) or []}
    new = {item["key"]: item for item in newer.get(part) or []}
    for key, item in new.items():
        if key not in old:
            others.append(f"{noun} '{label(item)}' added")
        elif old[key] != item:
            others.append(f"{noun} '{label(item)}' changed")
    others += [f"{noun} '{label(item)}' removed" for key, item in old.items() if key not in new]
