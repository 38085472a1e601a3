"""Advisory sections grouped by topic, in the readers' order of topics (core.lib.vocabulary):
the trip page, the destination guide and the briefing PDF group the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from core.lib.vocabulary import Topic

T = TypeVar("T")


@dataclass(frozen=True)
class TopicGroup(Generic[T]):
    topic: str
    label: str
    anchor: str
    items: tuple[T, ...]

    @property
    def sections(self) -> tuple[T, ...]:
        return self.items

    @property
    def code(self) -> str:
        return self.topic


def topic_label(topic: str) -> str:
    return Topic.labels().get(topic) or topic.replace("_", " ").capitalize()


def group_by_topic(
    items: Iterable[T], *, topic: Callable[[T], str], anchor_prefix: str = ""
) -> list[TopicGroup[T]]:
    """`items` grouped by topic (each group keeps the items' order), topics in reading order;
    an unknown topic goes last."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(topic(item), []).append(item)
    order = Topic.order()
    prefix = f"topic-{anchor_prefix}-" if anchor_prefix else "topic-"
    return [
        TopicGroup(
            topic=code, label=topic_label(code), anchor=f"{prefix}{code}", items=tuple(group)
        )
        for code, group in sorted(groups.items(), key=lambda item: order.get(item[0], 99))
    ]
