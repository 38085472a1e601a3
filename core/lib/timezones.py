"""The time zone a traveller's place keeps, from the IANA time zone database itself.

The database's own table of zones (``zone.tab``, shipped in the ``tzdata`` package, which the
project installs with icalendar) lists, for every country, each of its zones with the zone's
principal city and a comment naming what it covers ("Asia/Qyzylorda  Qyzylorda/Kyzylorda/
Kzyl-Orda"). A place is matched against those names as stops are matched against curated
places (``core.lib.places``: whole words, ignoring case and accents); a place the table does
not name gets its country's main zone (the one the table says covers "most" of it, else the
first it lists), and a country the table does not know, UTC. Each answer says which of the
three it is, so a page can say so beside the times it shows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import dateformat

from core.lib.places import PlaceMatcher

Found = Literal["place", "country", "utc"]
# "Tue 8 Dec 2026, 14:05", as core.templatetags.days writes a moment.
MOMENT_FORMAT = "D j M Y, H:i"


@dataclass(frozen=True)
class ZoneRow:
    zone: str  # "Asia/Almaty"
    city: str  # "Almaty"
    comment: str  # "most of Kazakhstan"


@dataclass(frozen=True)
class PlaceZone:
    """The zone a place keeps and how it was found: by the place's own name (``place``), as
    its country's main zone (``country``; ``zones`` says how many the country has), or UTC
    when the country is not in the table."""

    name: str
    found: Found
    zones: int = 1

    @property
    def tz(self) -> dt.tzinfo:
        return dt.UTC if self.name == "UTC" else ZoneInfo(self.name)

    @property
    def city(self) -> str:
        return self.name.rsplit("/", 1)[-1].replace("_", " ")

    def offset(self, when: dt.datetime) -> str:
        """ "UTC+5", "UTC+5:30", "UTC-3" at that moment (summer time included)."""
        delta = when.astimezone(self.tz).utcoffset() or dt.timedelta(0)
        minutes = int(delta.total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        hours, rest = divmod(abs(minutes), 60)
        if not minutes:
            return "UTC"
        return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")

    def moment(self, when: dt.datetime) -> str:
        """The moment in this zone: "Tue 8 Dec 2026, 14:05"."""
        return dateformat.format(when.astimezone(self.tz), MOMENT_FORMAT)

    def label(self, when: dt.datetime) -> str:
        """What the times are in: "Almaty time, UTC+5"; "UTC" alone."""
        if self.found == "utc":
            return "UTC"
        return f"{self.city} time, {self.offset(when)}"


@cache
def zone_table() -> dict[str, tuple[ZoneRow, ...]]:
    """Country code -> its zones, in the table's order (read once per process)."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    table: dict[str, list[ZoneRow]] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            continue
        code, zone = fields[0].strip().upper(), fields[2].strip()
        comment = fields[3].strip() if len(fields) > 3 else ""
        city = zone.rsplit("/", 1)[-1].replace("_", " ")
        table.setdefault(code, []).append(ZoneRow(zone=zone, city=city, comment=comment))
    return {code: tuple(rows) for code, rows in table.items()}


def _names_in_comment(comment: str) -> list[str]:
    # The comment's proper names ("Qyzylorda/Kyzylorda/Kzyl-Orda", "Sulawesi/Celebes, Bali"),
    # not its descriptions ("most areas", "east, south").
    return [
        piece.strip()
        for piece in re.split(r"[,/;()]", comment)
        if piece.strip()[:1].isupper() and not piece.strip().startswith(("MSK", "EST", "CST"))
    ]


@cache
def _matcher(country_code: str) -> PlaceMatcher[ZoneRow]:
    rows = zone_table().get(country_code, ())
    names = {row.zone: _names_in_comment(row.comment) for row in rows}
    # A name the comments give to two zones ("Brazil", "Atlantic") tells neither apart.
    counted: dict[str, int] = {}
    for found in names.values():
        for name in set(found):
            counted[name] = counted.get(name, 0) + 1
    return PlaceMatcher(
        (row, row.city, [name for name in names[row.zone] if counted[name] == 1]) for row in rows
    )


def _main_zone(rows: tuple[ZoneRow, ...]) -> ZoneRow:
    """The zone the table says covers "most" of the country, else the first it lists. The
    table ranks no zone above another, so for a country of several clocks this is a guess:
    the answer's ``found`` says so, and the page says which clock its times are in."""
    for row in rows:
        if re.search(r"\bmost\b", row.comment):
            return row
    return rows[0]


def place_time_zone(country_code: str, names: Iterable[str] = ()) -> PlaceZone:
    """The zone of a place of ``country_code`` known by ``names`` (its name, aliases, or
    what the traveller typed): the first name the table knows, else the country's main zone,
    else UTC."""
    code = (country_code or "").strip().upper()
    rows = tuple(row for row in zone_table().get(code, ()) if _loadable(row.zone))
    if not rows:
        return PlaceZone(name="UTC", found="utc", zones=0)
    matcher = _matcher(code)
    for name in names:
        row = matcher.match(name or "")
        if row is not None and row in rows:
            return PlaceZone(name=row.zone, found="place", zones=len(rows))
    if len(rows) == 1:  # the whole country keeps one clock
        return PlaceZone(name=rows[0].zone, found="place", zones=1)
    main = _main_zone(rows)
    return PlaceZone(name=main.zone, found="country", zones=len(rows))


@cache
def _loadable(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
