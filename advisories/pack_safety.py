"""What importing a content pack would lose, country by country (product.md: "importing
content never loses work silently").

Two losses are named, from three snapshots of a country (advisories.selectors' format): the
*published* version, the *draft* before the import, and the draft *after* writing the pack.

- **Unpublished drafts.** An item (the level, the summary, a section, a rule, a place, the
  emergency contacts, the calendar corrections) whose draft differs from its published
  version carries an editor's unpublished work; the pack discards it when it leaves that item
  other than the draft has it. A country never published is all draft. Sources are shared
  rows, not a country's draft, and are left out.
- **A newer publication.** The country's published version was published after the pack's
  ``exported_at`` and the pack would replace its content: the pack was exported from older
  content. A pack without ``exported_at`` (written by hand) is not "newer" than anything:
  only its drafts check applies.

Pure functions over plain data: no queries, so the command, the admin's preview and its
confirmation all judge alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from advisories.models import match_key

NEWER_VERSION, DRAFTS = "newer_version", "drafts"


@dataclass(frozen=True)
class PublishedVersion:
    """What the import check needs of a country's published version."""

    number: int
    published_at: dt.datetime
    published_by: str  # a username, "" when published by a command
    content: dict[str, Any]
    content_hash: str


@dataclass(frozen=True)
class PackLoss:
    """One thing an import would lose: ``message`` names it for a person; ``items`` are the
    draft items' names (for the audit trail)."""

    country: str
    kind: str  # NEWER_VERSION or DRAFTS
    message: str
    items: tuple[str, ...] = field(default=())

    def as_record(self) -> dict[str, Any]:
        return {
            "country": self.country,
            "kind": self.kind,
            "message": self.message,
            "items": list(self.items),
        }


# --- the items of a snapshot ------------------------------------------------------------

# The order and the words items are named in: (kind, one, many).
ITEM_KINDS = (
    ("level", "the level", "the level"),
    ("summary", "the summary", "the summary"),
    ("section", "section", "sections"),
    ("rule", "rule", "rules"),
    ("place", "place", "places"),
    ("contacts", "the emergency contacts", "the emergency contacts"),
    ("calendar", "the calendar corrections", "the calendar corrections"),
)


def snapshot_items(snapshot: dict[str, Any] | None) -> dict[tuple[str, str], tuple[str, Any]]:
    """A snapshot cut into the items an editor changes one at a time:
    ``{(kind, key): (name, value)}``; empty for no snapshot."""
    if not snapshot:
        return {}
    advisory = snapshot.get("advisory") or {}
    items: dict[tuple[str, str], tuple[str, Any]] = {
        ("level", ""): ("the level", advisory.get("level")),
        ("summary", ""): ("the summary", advisory.get("summary")),
        ("contacts", ""): ("the emergency contacts", snapshot.get("emergency_contacts") or []),
        ("calendar", ""): (
            "the calendar corrections",
            (
                sorted(snapshot.get("non_working_days") or []),
                sorted(snapshot.get("working_days") or []),
            ),
        ),
    }
    for section in advisory.get("sections") or []:
        items[("section", section["key"])] = (section.get("heading") or section["key"], section)
    for rule in snapshot.get("rules") or []:
        items[("rule", rule["key"])] = (rule.get("title") or rule["key"], rule)
    for place in snapshot.get("places") or []:
        items[("place", match_key(place["name"]))] = (place["name"], place)
    return items


def _value(items: dict[tuple[str, str], tuple[str, Any]], key: tuple[str, str]) -> Any:
    return items[key][1] if key in items else None


def discarded_draft_items(
    *,
    published: dict[str, Any] | None,
    draft: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> list[tuple[str, str]]:
    """The draft items with unpublished changes that ``after`` does not keep, as
    ``(kind, name)`` in snapshot order, named as the draft has them (or, for an item the
    draft deleted, as it was published)."""
    if draft is None:
        return []
    old, mine, new = snapshot_items(published), snapshot_items(draft), snapshot_items(after)
    lost = []
    for key in [*mine, *(key for key in old if key not in mine)]:
        ours = _value(mine, key)
        if ours == _value(old, key) or ours == _value(new, key):
            continue
        name = (mine.get(key) or old[key])[0]
        lost.append((key[0], name))
    return lost


def _quoted_names(names: list[str]) -> str:
    return ", ".join(f"'{name}'" for name in names)


def drafts_loss(code: str, lost: list[tuple[str, str]]) -> PackLoss | None:
    """One message for a country's discarded draft items, by kind:
    "KZ: unpublished draft changes to 3 sections would be discarded: 'Crime in Almaty', ..."
    """
    if not lost:
        return None
    parts: list[tuple[str, list[str]]] = []
    for kind, one, many in ITEM_KINDS:
        names = [name for item_kind, name in lost if item_kind == kind]
        if not names:
            continue
        if one.startswith("the "):
            parts.append((one, []))
        else:
            parts.append((f"{len(names)} {one if len(names) == 1 else many}", names))
    if len(parts) == 1:
        what, names = parts[0]
        tail = f": {_quoted_names(names)}" if names else ""
        message = f"{code}: unpublished draft changes to {what} would be discarded{tail}"
    else:
        words = [f"{what} ({_quoted_names(names)})" if names else what for what, names in parts]
        joined = ", ".join(words[:-1]) + f" and {words[-1]}"
        message = f"{code}: unpublished draft changes to {joined} would be discarded"
    return PackLoss(
        country=code,
        kind=DRAFTS,
        message=message,
        items=tuple(f"{kind}: {name}" for kind, name in lost),
    )


def newer_version_loss(
    code: str,
    *,
    published: PublishedVersion | None,
    exported_at: dt.datetime | None,
    after_hash: str | None,
) -> PackLoss | None:
    """The loss of a version published after the pack was exported, when the pack would
    replace its content; None without ``exported_at`` (a hand-written pack)."""
    if published is None or exported_at is None or after_hash == published.content_hash:
        return None
    if published.published_at <= exported_at:
        return None
    by = f" by {published.published_by}" if published.published_by else ""
    published_on = timezone.localtime(published.published_at).date().isoformat()
    return PackLoss(
        country=code,
        kind=NEWER_VERSION,
        message=(
            f"{code}: version {published.number} published {published_on}{by} after this pack "
            f"was exported ({exported_at.date().isoformat()}): it would be overwritten"
        ),
        items=(f"version {published.number}",),
    )
