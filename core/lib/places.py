"""Which curated place a traveller means by what they typed: one matcher for the whole portal.

Framework-free on purpose: the trips service matches a stop as it is saved (against the
curated rows) and the engine's loader matches it again as it is assessed (against the published
snapshot), with this same code, so the two can never disagree about what "Baikonur Cosmodrome"
means.

The semantics are ``product.md``'s: ignoring case, accents and punctuation, the typed text
matches a place when it equals the place's name or one of its aliases, or contains one of them
as whole words ("Baikonur Cosmodrome" is Baikonur, "Almatyskaya" is not Almaty). The longest
name or alias found wins ("Almaty Region" over "Almaty" in "Almaty region, north shore").
Decisions where ``product.md`` is silent: between two names of the same length a place's own
name wins over another place's alias, then the one found earlier in the text, then the place
listed first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Generic, TypeVar

Place = TypeVar("Place")


def match_key(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a place name:
    "Almaty", "ALMATY" and "Almaty." match; "Nur-Sultan" matches "nur sultan"."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = "".join(ch if ch.isalnum() else " " for ch in letters)
    return " ".join(words.split())


class PlaceMatcher(Generic[Place]):
    """The curated places of one country, found by name or alias in what a traveller typed.

    Built from ``(place, name, aliases)`` triples, where ``place`` is whatever the caller wants
    back (a model row, an engine ``PlaceRef``).
    """

    def __init__(self, places: Iterable[tuple[Place, str, Iterable[str]]]) -> None:
        # (key, is_alias, listing order, place); the order breaks the last ties.
        self._names: list[tuple[str, bool, int, Place]] = []
        for order, (place, name, aliases) in enumerate(places):
            for key, is_alias in [(match_key(name), False)] + [
                (match_key(alias), True) for alias in aliases
            ]:
                if key:
                    self._names.append((key, is_alias, order, place))

    def __bool__(self) -> bool:
        return bool(self._names)

    def match(self, text: str) -> Place | None:
        """The place ``text`` names, or None when it names none of them."""
        typed = f" {match_key(text or '')} "
        if not typed.strip():
            return None
        best: tuple[int, bool, int, int] | None = None
        found: Place | None = None
        for key, is_alias, order, place in self._names:
            position = typed.find(f" {key} ")
            if position < 0:
                continue
            rank = (-len(key), is_alias, position, order)
            if best is None or rank < best:
                best, found = rank, place
        return found
