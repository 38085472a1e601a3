"""Topics, guessed from a section's heading first, then from its body.

The topics are the portal's own (:class:`core.lib.vocabulary.Topic`); the keyword table
below only says which words point to each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

from core.lib.vocabulary import Topic

from .text import fold, inline_text

# Keywords match whole words or phrases, case- and accent-insensitively, with an optional
# plural "s"/"es".  A phrase of n words weighs n, so "illegal drugs" (laws) beats "drugs"
# (crime).  Ties go to the more specific topic: the order of _TIE_ORDER.
DEFAULT_TOPIC_KEYWORDS: dict[str, tuple[str, ...]] = {
    Topic.SECURITY: (
        "security",
        "safety",
        "personal security",
        "police response",
        "kidnap",
        "kidnapping",
        "hostage",
        "military",
        "armed conflict",
        "conflict",
        "landmine",
        "unexploded",
        "harassment",
        "espionage",
        "surveillance",
    ),
    Topic.TERRORISM: (
        "terrorism",
        "terrorist",
        "terror",
        "counterterrorism",
        "counter-terrorism",
        "extremism",
        "extremist",
        "violent extremism",
        "radicalised",
        "radicalized",
        "bombing",
        "explosion",
    ),
    Topic.CRIME: (
        "crime",
        "criminal",
        "violent crime",
        "organised crime",
        "organized crime",
        "robbery",
        "theft",
        "thieves",
        "pickpocket",
        "pickpocketing",
        "mugging",
        "burglary",
        "belongings",
        "fraud",
        "scam",
        "drink spiking",
        "spiking",
        "sexual assault",
        "assault",
        "trafficking",
        "drug trafficking",
        "human trafficking",
        "smuggling",
        "money laundering",
        "extortion",
        "corruption",
        "drug",
    ),
    Topic.CIVIL_UNREST: (
        "civil unrest",
        "unrest",
        "political situation",
        "political",
        "protest",
        "demonstration",
        "riot",
        "strike",
        "ethnic",
        "clashes",
        "civil society",
    ),
    Topic.TRANSPORT: (
        "transport",
        "transportation",
        "public transport",
        "road",
        "road travel",
        "road safety",
        "road conditions",
        "driving",
        "driver",
        "drink-driving",
        "car",
        "taxi",
        "bus",
        "train",
        "rail",
        "railway",
        "air travel",
        "aviation",
        "airport",
        "airline",
        "ferry",
        "traffic",
        "border crossing",
    ),
    Topic.NATURAL_HAZARDS: (
        "natural disaster",
        "natural hazard",
        "extreme weather",
        "weather",
        "earthquake",
        "seismic",
        "flood",
        "flooding",
        "mudslide",
        "landslide",
        "avalanche",
        "wildfire",
        "storm",
        "hurricane",
        "cyclone",
        "tsunami",
        "volcano",
        "heatwave",
        "environmental hazard",
    ),
    Topic.LAWS_CUSTOMS: (
        "law",
        "local laws",
        "legal",
        "illegal",
        "illegal drugs",
        "drug laws",
        "customs",
        "cultural",
        "culture",
        "religion",
        "religious",
        "ramadan",
        "alcohol",
        "smoking",
        "vaping",
        "e-cigarette",
        "photography",
        "photo",
        "drone",
        "social media",
        "lgbt",
        "dress code",
        "id",
        "personal id",
        "identification",
        "identity document",
        "money",
        "currency",
        "souvenir",
        "export",
        "detention",
        "arrest",
    ),
    Topic.HEALTH: (
        "health",
        "medical",
        "medical care",
        "medical services",
        "medicine",
        "hospital",
        "clinic",
        "doctor",
        "pharmacy",
        "vaccination",
        "vaccine",
        "disease",
        "insurance",
        "travel insurance",
        "altitude sickness",
        "pandemic",
        "covid",
    ),
    Topic.ENTRY_REGISTRATION: (
        "entry",
        "entry requirements",
        "visa",
        "visa-free",
        "registration",
        "register",
        "registered",
        "re-register",
        "re-registration",
        "migration",
        "migration card",
        "migration police",
        "immigration",
        "passport",
        "travel document",
        "residence",
        "residence permit",
        "permit",
        "permission",
        "period of stay",
        "length of stay",
        "term of stay",
        "order of stay",
        "overstay",
        "transit",
        "closed area",
        "exempt",
        "foreigners",
    ),
    Topic.OUTDOOR_ACTIVITIES: (
        "outdoor",
        "outdoor activities",
        "adventure",
        "adventure tourism",
        "trekking",
        "hiking",
        "mountaineering",
        "climbing",
        "skiing",
        "mountain",
        "diving",
        "swimming",
        "rafting",
        "camping",
    ),
    Topic.EMERGENCY: (
        "emergency",
        "emergencies",
        "emergency services",
        "emergency numbers",
        "ambulance",
        "rescue",
        "embassy",
        "consulate",
        "consular",
        "contact information",
        "contact numbers",
        "hotline",
        "duty officer",
        "victim assistance",
    ),
}

_TIE_ORDER = (
    Topic.TERRORISM,
    Topic.CRIME,
    Topic.CIVIL_UNREST,
    Topic.TRANSPORT,
    Topic.NATURAL_HAZARDS,
    Topic.ENTRY_REGISTRATION,
    Topic.LAWS_CUSTOMS,
    Topic.HEALTH,
    Topic.OUTDOOR_ACTIVITIES,
    Topic.EMERGENCY,
    Topic.SECURITY,
)
FALLBACK_TOPIC = Topic.SECURITY
_CODES = frozenset(Topic.codes())


@lru_cache(maxsize=4096)
def _keyword_re(keyword: str) -> re.Pattern[str]:
    folded = fold(keyword.strip())
    body = r"\s+".join(re.escape(part) for part in folded.split())
    return re.compile(rf"(?<!\w){body}(?:s|es)?(?!\w)")


def _scores(text: str, table: Mapping[str, Sequence[str]], *, count: bool) -> dict[str, int]:
    folded = fold(text)
    scores: dict[str, int] = {}
    for topic, keywords in table.items():
        if topic not in _CODES:
            continue
        total = 0
        for keyword in {k for k in keywords if k and k.strip()}:
            hits = len(_keyword_re(keyword).findall(folded))
            if hits:
                total += len(keyword.split()) * (hits if count else 1)
        if total:
            scores[Topic(topic).value] = total
    return scores


def _best(scores: Mapping[str, int]) -> str | None:
    if not scores:
        return None
    return max(scores, key=lambda t: (scores[t], -_TIE_ORDER.index(t)))


def heading_topic(heading: str, extra: Mapping[str, Sequence[str]] | None) -> str | None:
    if extra:
        found = _best(_scores(heading, extra, count=False))
        if found:
            return found
    return _best(_scores(heading, DEFAULT_TOPIC_KEYWORDS, count=False))


def guess_topic(
    heading: str,
    body: str = "",
    extra_keywords: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The topic of a section: from its heading if any keyword matches, else from its body.

    ``extra_keywords`` (topic -> keywords, the admin-curated mapping) are consulted before
    the defaults, at each step; topics that are not a :class:`Topic` are ignored.  Falls back to
    "security".
    """
    found = heading_topic(heading, extra_keywords)
    if found:
        return found
    plain = inline_text(body)
    if extra_keywords:
        found = _best(_scores(plain, extra_keywords, count=True))
        if found:
            return found
    return _best(_scores(plain, DEFAULT_TOPIC_KEYWORDS, count=True)) or FALLBACK_TOPIC.value
