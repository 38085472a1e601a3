"""Reads of watched sources: each source's latest rating beside our published level, whether
the sources disagree with us, and what content admins have still to review."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from advisories.models import Country, SourceRating, WatchedSource
from advisories.watch.ratings import disagrees

# How a line names each kind of source (the trip page, the briefing, the e-mail).
SOURCE_LABELS: dict[str, str] = {
    WatchedSource.Kind.FCDO: "FCDO",
    WatchedSource.Kind.US_STATE: "US State Department",
    WatchedSource.Kind.SMARTRAVELLER: "Smartraveller",
    WatchedSource.Kind.AUSWAERTIGES_AMT: "Auswärtiges Amt",
}


@dataclass(frozen=True)
class TheirRating:
    source: WatchedSource
    rating: SourceRating
    disagrees: bool  # with our level, and not yet reviewed as it stands
    ours: int | None  # our published level of the country

    @property
    def label(self) -> str:
        return SOURCE_LABELS.get(self.source.kind, self.source.get_kind_display())

    @property
    def line(self) -> str:
        """'FCDO: advise against all but essential travel to parts (3 on our scale; ours is
        2)': theirs in their words, then what it is on our scale beside our own level."""
        notes = [f"{self.rating.level} on our scale"] if self.rating.level else []
        notes.append(f"ours is {self.ours}" if self.ours else "none of ours published")
        return f"{self.label}: {self.rating.rating} ({'; '.join(notes)})"


@dataclass(frozen=True)
class CountryRatings:
    code: str
    ours: int | None
    theirs: list[TheirRating]

    @property
    def disagree(self) -> bool:
        return any(their.disagrees for their in self.theirs)

    def as_api(self) -> dict[str, Any]:
        return {
            "ours": self.ours,
            "sources": [
                {
                    "source": their.label,
                    "rating": their.rating.rating,
                    "level": their.rating.level,
                    "retrieved_at": their.rating.retrieved_at,
                    "url": their.rating.url,
                }
                for their in self.theirs
            ],
            "disagree": self.disagree,
        }


def source_disagrees(*, source: WatchedSource, rating: SourceRating, ours: int | None) -> bool:
    """The source disagrees with our level, and no content admin has reviewed that very
    disagreement (the same rating of theirs against the same level of ours)."""
    if not disagrees(level=rating.level, against_all_travel=rating.against_all_travel, ours=ours):
        return False
    return not (source.reviewed_rating == rating.code and source.reviewed_level == ours)


def _ours(codes: list[str]) -> dict[str, int]:
    # The published version of each country: our level as travellers read it.
    return dict(
        Country.objects.filter(code__in=codes, published__isnull=False).values_list(
            "code", "published__level"
        )
    )


def ratings_for(country_codes: Iterable[str]) -> dict[str, CountryRatings]:
    """Our published level and each enabled source's latest rating, per country; a fixed
    number of queries however many countries (the approval queue asks for a page of them)."""
    codes = sorted({code.upper() for code in country_codes if code})
    ours = _ours(codes)
    latest = SourceRating.objects.filter(source=OuterRef("pk")).order_by("-retrieved_at", "-pk")
    sources = (
        WatchedSource.objects.filter(country_id__in=codes, enabled=True)
        .annotate(latest_id=Subquery(latest.values("pk")[:1]))
        .exclude(latest_id=None)
    )
    rows = list(sources)
    by_id = SourceRating.objects.in_bulk([row.latest_id for row in rows])
    found: dict[str, list[TheirRating]] = {code: [] for code in codes}
    for source in rows:
        rating = by_id[source.latest_id]
        found[source.country_id].append(
            TheirRating(
                source=source,
                rating=rating,
                disagrees=source_disagrees(
                    source=source, rating=rating, ours=ours.get(source.country_id)
                ),
                ours=ours.get(source.country_id),
            )
        )
    return {code: CountryRatings(code, ours.get(code), found[code]) for code in codes}


def country_ratings(country_code: str) -> CountryRatings:
    return ratings_for([country_code])[country_code.upper()]


def countries_sources_disagree(country_codes: Iterable[str]) -> set[str]:
    """The countries, among these, flagged "sources disagree"."""
    return {code for code, ratings in ratings_for(country_codes).items() if ratings.disagree}


def sources_with_unreviewed_changes() -> QuerySet[WatchedSource]:
    return WatchedSource.objects.filter(change_unreviewed=True)


def sources_disagreeing() -> list[WatchedSource]:
    """Every watched source whose latest rating disagrees with us, unreviewed."""
    codes = WatchedSource.objects.filter(enabled=True).values_list("country_id", flat=True)
    return [
        their.source
        for ratings in ratings_for(codes).values()
        for their in ratings.theirs
        if their.disagrees
    ]


def sources_due(*, now: dt.datetime, country_code: str | None = None) -> QuerySet[WatchedSource]:
    due = WatchedSource.objects.filter(enabled=True).filter(
        Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
    )
    return due.filter(country_id=country_code.upper()) if country_code else due
