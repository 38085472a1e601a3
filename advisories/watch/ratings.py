"""Each watched source's own ratings, mapped onto our 1-5 scale (1 Low, 2 Moderate,
3 Elevated, 4 High, 5 Extreme): the one table, as data.

How the table was decided:

- Four-step government scales (the US State Department's levels 1-4, Australia's Smartraveller)
  map onto 1, 2, 4, 5: their first step is normal precautions (our Low), their second
  increased caution (Moderate); "reconsider travel" is what our High asks of a traveller
  (approval, a briefing read), and "do not travel" is our Extreme. None of them has a step
  between caution and reconsidering, so nothing of theirs maps onto our 3.
- The UK FCDO rates with alert statuses, whole country or parts: no alert status is 1 (it
  does not say "moderate", so we claim nothing more); advice against all but essential travel
  to parts is 3 (most of the country is travelled normally, a region is not), to the whole
  country 4; advice against all travel to parts is 4 (our level is the country's overall: a
  closed region is curated as a place of level 5), to the whole country 5.
- Germany's Auswärtiges Amt: no warning is 1; advice against unnecessary travel
  ("situationPartWarning", "situationWarning") to parts 3, whole country 4; a partial travel
  warning ("Teilreisewarnung") 4; a travel warning ("Reisewarnung") 5.

``against_all_travel`` marks the ratings that advise against all travel to the whole country:
where our level is below 5 they flag the country as "sources disagree" whatever the levels
(product.md); a rating two or more levels above ours flags it too (:func:`disagrees`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rating:
    words: str  # as the source says it, in English
    level: int  # ours, 1-5
    against_all_travel: bool = False


RATINGS: dict[str, dict[str, Rating]] = {
    "us_state": {
        "level_1": Rating("Level 1: Exercise Normal Precautions", 1),
        "level_2": Rating("Level 2: Exercise Increased Caution", 2),
        "level_3": Rating("Level 3: Reconsider Travel", 4),
        "level_4": Rating("Level 4: Do Not Travel", 5, against_all_travel=True),
    },
    "smartraveller": {
        "normal": Rating("Exercise normal safety precautions", 1),
        "high_caution": Rating("Exercise a high degree of caution", 2),
        "reconsider": Rating("Reconsider your need to travel", 4),
        "do_not_travel": Rating("Do not travel", 5, against_all_travel=True),
    },
    "fcdo": {
        "none": Rating("No advice against travel", 1),
        "avoid_all_but_essential_travel_to_parts": Rating(
            "advise against all but essential travel to parts", 3
        ),
        "avoid_all_travel_to_parts": Rating("advise against all travel to parts", 4),
        "avoid_all_but_essential_travel_to_whole_country": Rating(
            "advise against all but essential travel to the whole country", 4
        ),
        "avoid_all_travel_to_whole_country": Rating(
            "advise against all travel to the whole country", 5, against_all_travel=True
        ),
    },
    "auswaertiges_amt": {
        "none": Rating("No travel warning", 1),
        "situation_part_warning": Rating("Advises against unnecessary travel to parts", 3),
        "situation_warning": Rating("Advises against unnecessary travel", 4),
        "partial_warning": Rating("Partial travel warning (Teilreisewarnung)", 4),
        "warning": Rating("Travel warning (Reisewarnung)", 5, against_all_travel=True),
    },
}

# The FCDO can give several alert statuses at once (all travel to one region, all but
# essential to another): the most severe, by this order, is the country's (a level, then the
# whole country before parts).
FCDO_SEVERITY = list(RATINGS["fcdo"])


def rating_for(kind: str, code: str) -> Rating | None:
    return RATINGS.get(kind, {}).get(code)


def disagrees(*, level: int | None, against_all_travel: bool, ours: int | None) -> bool:
    """A source disagrees with us when it rates the country two or more levels above ours, or
    advises against all travel where ours is below 5. Without a level of ours (nothing
    published) there is nothing to disagree with."""
    if ours is None or level is None:
        return False
    return level - ours >= 2 or (against_all_travel and ours < 5)
