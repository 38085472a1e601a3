"""One parser per kind of watched source: the response's bytes in, a SourceReading out.

Pure (no Django, no network): ``manage.py watch_sources --file`` and the poller both call
:func:`parse_source`. Each parser raises SourceFormatError when the bytes are not what its
source publishes, or do not mention the country.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import Any

import feedparser
from defusedxml import ElementTree

from .markup import html_to_markdown, html_to_text
from .ratings import FCDO_SEVERITY, RATINGS
from .reading import SourceFormatError, SourceReading

FCDO_PUBLISHER = "Foreign, Commonwealth & Development Office (GOV.UK)"
US_PUBLISHER = "U.S. Department of State, Bureau of Consular Affairs"
SMARTRAVELLER_PUBLISHER = "Australian Government, Department of Foreign Affairs and Trade"
AA_PUBLISHER = "Auswärtiges Amt (German Federal Foreign Office)"


def _json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceFormatError(f"not JSON: {exc}") from None


def _when(value: Any) -> dt.datetime | None:
    """An ISO 8601 time, an RFC 822 date (RSS) or a Unix time in seconds or milliseconds."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 10**11 else value
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    text = str(value).strip()
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _document(
    *, title: str, publisher: str, url: str, updated: dt.datetime | None, body: str
) -> str:
    """The advisory as the document importer reads it: a title, credit lines, the text."""
    credits = [f"Published by {publisher}", f"Source: {url}"]
    if updated is not None:
        credits.append(f"Last updated: {updated.date().isoformat()}")
    return "\n".join([f"# {title}", "", *credits, "", body.strip(), ""])


def _same_country(text: str, *, name: str) -> bool:
    return text.strip().casefold() == name.strip().casefold()


# --- UK FCDO: the GOV.UK content API ---------------------------------------------------------


def parse_fcdo(data: bytes, *, country_code: str, country_name: str, url: str) -> SourceReading:
    """The JSON of https://www.gov.uk/api/content/foreign-travel-advice/<country>: the alert
    statuses (the most severe is the rating), the change description, each part's body."""
    page = _json(data)
    details = page.get("details") if isinstance(page, dict) else None
    if not isinstance(details, dict) or not isinstance(details.get("parts"), list):
        raise SourceFormatError("not a GOV.UK foreign travel advice page (no details.parts)")
    statuses = details.get("alert_status") or []
    statuses = [statuses] if isinstance(statuses, str) else list(statuses)
    unknown = [s for s in statuses if s not in RATINGS["fcdo"]]
    if unknown:
        raise SourceFormatError(f"unknown FCDO alert status {unknown[0]!r}")
    code = max(statuses, key=FCDO_SEVERITY.index) if statuses else "none"
    base = page.get("base_path") or ""
    page_url = f"https://www.gov.uk{base}" if base.startswith("/") else url
    updated = _when(page.get("public_updated_at"))
    parts = []
    for part in details["parts"]:
        if not isinstance(part, dict) or not part.get("title"):
            continue
        body = html_to_markdown(part.get("body") or "", shift=1, base="https://www.gov.uk")
        parts.append(f"## {part['title'].strip()}\n\n{body}")
    if not parts:
        raise SourceFormatError("the FCDO page has no parts")
    country = (details.get("country") or {}).get("name") or country_name
    title = page.get("title") or f"{country} travel advice"
    return SourceReading(
        kind="fcdo",
        title=title,
        rating_code=code,
        rating=RATINGS["fcdo"][code].words,
        change_note=html_to_text(details.get("change_description") or ""),
        updated_at=updated,
        url=page_url,
        document=_document(
            title=title,
            publisher=FCDO_PUBLISHER,
            url=page_url,
            updated=updated,
            body="\n\n".join(parts),
        ),
    )


# --- US State Department: the travel advisories RSS -----------------------------------------

_US_TITLE_RE = re.compile(
    r"^(?P<country>.+?)\s+[-–]\s+Level\s+(?P<level>[1-4])\s*:\s*(?P<words>.+)$"
)


def parse_us_state(data: bytes, *, country_code: str, country_name: str, url: str) -> SourceReading:
    """travel.state.gov's advisories RSS: one item per country, titled "Kazakhstan - Level 1:
    Exercise Normal Precautions". The country's item is found by its name (or, failing that,
    an ISO "Country-Tag" category)."""
    # Parsed through defusedxml first: an entity attack is refused before feedparser sees it.
    try:
        ElementTree.fromstring(data)
    except Exception as exc:  # defusedxml raises its own errors and ParseError
        raise SourceFormatError(f"not an RSS feed: {exc}") from None
    feed = feedparser.parse(data)
    if not feed.entries:
        raise SourceFormatError("the feed has no items")
    items = []
    for entry in feed.entries:
        match = _US_TITLE_RE.match(" ".join((entry.get("title") or "").split()))
        if match:
            tags = {
                (tag.get("term") or "").strip().upper()
                for tag in entry.get("tags") or []
                if (tag.get("scheme") or "").casefold() == "country-tag"
            }
            items.append((entry, match, tags))
    # By name first: the feed's country tags are not always ISO codes (FIPS "GM" is Germany,
    # ISO "GM" the Gambia), so a tag is trusted only when no item is named after the country.
    chosen = next(
        (item for item in items if _same_country(item[1]["country"], name=country_name)), None
    ) or next((item for item in items if country_code in item[2]), None)
    if chosen is None:
        raise SourceFormatError(f"the feed has no item for {country_name}")
    entry, match, _ = chosen
    code = f"level_{match['level']}"
    published = entry.get("published") or entry.get("updated")
    updated = _when(published)
    link = entry.get("link") or url
    title = f"{match['country']} Travel Advisory"
    body = html_to_markdown(entry.get("description") or entry.get("summary") or "", shift=1)
    first = next((line for line in body.splitlines() if line and not line.startswith("#")), "")
    return SourceReading(
        kind="us_state",
        title=title,
        rating_code=code,
        rating=RATINGS["us_state"][code].words,
        change_note=first[:500],
        updated_at=updated,
        url=link,
        document=_document(
            title=title, publisher=US_PUBLISHER, url=link, updated=updated, body=body
        ),
    )


# --- Australia: Smartraveller's destination page ---------------------------------------------

_SMARTRAVELLER_LEVELS = {
    rating.words.casefold(): code for code, rating in RATINGS["smartraveller"].items()
}
_SMARTRAVELLER_RE = re.compile(
    "|".join(re.escape(words) for words in _SMARTRAVELLER_LEVELS), re.IGNORECASE
)


def parse_smartraveller(
    data: bytes, *, country_code: str, country_name: str, url: str
) -> SourceReading:
    """A destination page of smartraveller.gov.au: the overall advice level (the first level
    named after "Overall advice level", else the first named at all; regional levels follow
    it), the "Latest update" paragraph, the page's modified time, the advice as text."""
    try:
        html = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SourceFormatError("not a UTF-8 page") from None
    main = re.search(r"<main\b.*?</main>", html, re.IGNORECASE | re.DOTALL)
    markdown = html_to_markdown(
        main.group(0) if main else html, base="https://www.smartraveller.gov.au"
    )
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    overall = re.search(r"overall (?:advice )?level", text, re.IGNORECASE)
    found = _SMARTRAVELLER_RE.search(
        text, overall.end() if overall else 0
    ) or _SMARTRAVELLER_RE.search(text)
    if not found or country_name.casefold() not in text.casefold():
        raise SourceFormatError(
            f"not a Smartraveller page about {country_name} with an advice level"
        )
    code = _SMARTRAVELLER_LEVELS[found.group(0).casefold()]
    note = ""
    lines = [line for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if re.match(r"^#*\s*latest update\b", line, re.IGNORECASE):
            rest = re.sub(r"^#*\s*latest update:?\s*", "", line, flags=re.IGNORECASE)
            note = rest or (lines[i + 1].lstrip("#* ") if i + 1 < len(lines) else "")
            break
    modified = re.search(
        r'<meta[^>]+(?:property|name)="(?:article:modified_time|dcterms\.modified)"[^>]+content="([^"]+)"',
        html,
        re.IGNORECASE,
    )
    updated = _when(modified.group(1)) if modified else None
    title = f"{country_name} travel advice"
    return SourceReading(
        kind="smartraveller",
        title=title,
        rating_code=code,
        rating=RATINGS["smartraveller"][code].words,
        change_note=note,
        updated_at=updated,
        url=url,
        document=_document(
            title=title,
            publisher=SMARTRAVELLER_PUBLISHER,
            url=url,
            updated=updated,
            body=re.sub(r"^# .*\n*", "", markdown, count=1),
        ),
    )


# --- Germany: the Auswärtiges Amt's open data ------------------------------------------------


def parse_auswaertiges_amt(
    data: bytes, *, country_code: str, country_name: str, url: str
) -> SourceReading:
    """The Auswärtiges Amt's open data JSON (``/opendata/travelwarning`` or
    ``/opendata/travelwarning/<id>``): ``response`` holds an entry per country with
    ``countryCode``, ``title``, ``lastModified``, ``warning`` (Reisewarnung),
    ``partialWarning`` (Teilreisewarnung), ``situationWarning``, ``situationPartWarning`` and
    the Reise- und Sicherheitshinweise as ``content`` HTML."""
    payload = _json(data)
    response = payload.get("response") if isinstance(payload, dict) else None
    if not isinstance(response, dict):
        raise SourceFormatError("not Auswärtiges Amt open data (no response)")
    entries = [v for v in response.values() if isinstance(v, dict) and "countryCode" in v]
    entry = next(
        (e for e in entries if str(e["countryCode"]).upper() == country_code.upper()), None
    )
    if entry is None:
        raise SourceFormatError(f"the response has no entry for {country_name}")
    if entry.get("warning"):
        code = "warning"
    elif entry.get("partialWarning"):
        code = "partial_warning"
    elif entry.get("situationWarning"):
        code = "situation_warning"
    elif entry.get("situationPartWarning"):
        code = "situation_part_warning"
    else:
        code = "none"
    updated = _when(entry.get("lastModified"))
    title = entry.get("title") or f"{country_name}: Reise- und Sicherheitshinweise"
    body = html_to_markdown(entry.get("content") or "", base="https://www.auswaertiges-amt.de")
    if not body:
        raise SourceFormatError(f"the entry for {country_name} has no content")
    note = html_to_text(entry.get("changes") or entry.get("lastChanges") or "")
    return SourceReading(
        kind="auswaertiges_amt",
        title=title,
        rating_code=code,
        rating=RATINGS["auswaertiges_amt"][code].words,
        change_note=note,
        updated_at=updated,
        url=url,
        document=_document(
            title=title, publisher=AA_PUBLISHER, url=url, updated=updated, body=body
        ),
    )


PARSERS: dict[str, Callable[..., SourceReading]] = {
    "fcdo": parse_fcdo,
    "us_state": parse_us_state,
    "smartraveller": parse_smartraveller,
    "auswaertiges_amt": parse_auswaertiges_amt,
}


def parse_source(
    kind: str, data: bytes, *, country_code: str, country_name: str, url: str
) -> SourceReading:
    parser = PARSERS.get(kind)
    if parser is None:
        raise SourceFormatError(f"unknown kind {kind!r}: choose {', '.join(PARSERS)}")
    if not data:
        raise SourceFormatError("the response is empty")
    return parser(data, country_code=country_code.upper(), country_name=country_name, url=url)
