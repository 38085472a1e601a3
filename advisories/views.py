"""Destination guides: every published advisory, readable by every employee. Only the
published snapshot is shown, never a draft."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render

from advisories.models import LEVEL_NAMES, RULE_KIND_LABELS
from advisories.selectors import (
    contacts_for_traveller,
    countries_with_risk,
    published_version,
    rule_in_words,
    visa_free_others_in_words,
)
from core.lib.dates import months_in_words
from core.lib.markdown import render_markdown
from core.lib.topics import group_by_topic


def destinations(request):
    search = request.GET.get("q", "").strip()
    countries = (
        countries_with_risk(search)
        .filter(published__isnull=False)
        .select_related("published")
        .defer("published__content")
    )
    return render(
        request,
        "advisories/destinations.html",
        {"countries": countries, "q": search, "level_names": LEVEL_NAMES},
    )


def destination(request, code: str):
    version = published_version(code)
    if version is None:
        raise Http404("No published advisory for this country.")
    content = version.content
    advisory = content.get("advisory") or {}
    sources = {source["key"]: source for source in content.get("sources", [])}
    topics = group_by_topic(
        (
            {
                **section,
                "body_html": render_markdown(section.get("body", "")),
                "months_words": months_in_words(section.get("months") or []),
                "source_entry": sources.get(section.get("source") or ""),
            }
            for section in advisory.get("sections", [])
        ),
        topic=lambda section: section.get("topic", ""),
    )
    rules = [
        {
            **rule,
            "kind_label": RULE_KIND_LABELS.get(rule.get("kind"), rule.get("kind")),
            "words": rule_in_words(rule),
            "source_entry": sources.get(rule.get("source") or ""),
        }
        for rule in content.get("rules", [])
    ]
    # What the citizens of no visa-free list need is said once, after the last of the lists.
    visa_free = [rule for rule in rules if rule.get("kind") == "visa_free"]
    if visa_free:
        visa_free[-1]["visa_free_others"] = visa_free_others_in_words(visa_free)
    level = advisory.get("level", version.level)
    return render(
        request,
        "advisories/destinations_detail.html",
        {
            "country": version.country,
            "version": version,
            "level": level,
            "level_name": LEVEL_NAMES.get(level, "Unknown"),
            "summary": advisory.get("summary", ""),
            "topics": topics,
            "places": content.get("places", []),
            "rules": rules,
            "contacts": contacts_for_traveller(
                content.get("emergency_contacts", []), nationality=request.user.profile.nationality
            ),
            "sources": content.get("sources", []),
        },
    )
