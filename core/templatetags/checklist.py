"""`{{ requirements|steps|length }}`: the requirements that are steps to take and tick off,
leaving out ways to behave (carry a passport, keep within a stay limit), which are never "to
do" (core.lib.vocabulary.RequirementKind.doable)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

register = template.Library()


@register.filter
def steps(rows: Iterable[Any]) -> list[Any]:
    return [row for row in rows or () if getattr(row, "doable", True)]
