"""The admin's own pages beyond add/change/delete: section preview, publish, version compare,
content-pack upload. Thin: check the permission, call one service or selector, render.

Each is mounted by its ModelAdmin's get_urls() inside ``admin_site.admin_view``, which already
sends anyone who is not active staff to the admin login; the permission checks here make a
staff member without the content-admin permissions get a 403.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from advisories.diffs import (
    BlockDiff,
    ChangesInWords,
    changes_in_words,
    draft_diff,
    version_diff,
)
from advisories.forms import PackConfirmForm, PackUploadForm, PublishForm
from advisories.models import Advisory, AdvisoryVersion, Country, Section
from advisories.pack_uploads import pack_upload_forget, pack_upload_get, pack_upload_keep
from advisories.packs import PackError, PackRefused, PackStale, pack_import, pack_preview
from advisories.selectors import (
    PublicationOutlook,
    advisory_snapshot,
    country_versions,
    publication_outlook,
    rule_in_words,
)
from advisories.services import advisory_publish
from advisories.signals import content_impact
from core.audit import client_ip
from core.errors import DomainError
from core.lib.markdown import render_markdown
from core.lib.numbers import parse_whole_number


def _require(request: HttpRequest, *perms: str) -> None:
    if not request.user.has_perms([f"advisories.{perm}" for perm in perms]):
        raise PermissionDenied


def section_preview(model_admin, request: HttpRequest, object_id: str) -> HttpResponse:
    _require(request, "view_section")
    section = get_object_or_404(Section.objects.select_related("advisory__country"), pk=object_id)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Section._meta,
        "original": section,
        "title": f"Preview: {section.heading}",
        "body_html": render_markdown(section.body),
    }
    return TemplateResponse(request, "admin/advisories/section/preview.html", context)


def advisory_publish_view(model_admin, request: HttpRequest) -> HttpResponse:
    """Ask for a change note and the material flag, then publish each chosen advisory."""
    _require(request, "publish_advisory")
    ids = [i for i in (request.POST.get("ids") or request.GET.get("ids", "")).split(",") if i]
    advisories = list(
        # Ids bounded before conversion: a thousand-digit "id" is no id, not a 500.
        Advisory.objects.filter(
            pk__in=[pk for i in ids if (pk := parse_whole_number(i)) is not None]
        ).select_related("country__published")
    )
    if not advisories:
        raise Http404("No advisory chosen.")
    form = PublishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for advisory in advisories:
            try:
                version = advisory_publish(
                    country=advisory.country,
                    by=request.user,
                    change_note=form.cleaned_data["change_note"],
                    material=form.cleaned_data["material"],
                    ip=client_ip(request),
                )
            except DomainError as exc:
                messages.warning(request, str(exc))
            else:
                messages.success(
                    request, f"Published {advisory.country.name}: version {version.number}."
                )
        return HttpResponseRedirect(reverse("admin:advisories_advisory_changelist"))
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Advisory._meta,
        "title": "Publish advisories",
        "advisories": advisories,
        # Said before publishing: a change travellers must hear of is material, ticked or not;
        # what changed, named as people name it; the trips it re-briefs; the word diff.
        "previews": [publish_preview(advisory) for advisory in advisories],
        "ids": ",".join(str(advisory.pk) for advisory in advisories),
        "form": form,
    }
    return TemplateResponse(
        request,
        "admin/advisories/advisory/publish.html",
        context,
    )


@dataclass
class PublishPreview:
    """What publishing one advisory's draft would do, read before publishing."""

    advisory: Advisory
    outlook: PublicationOutlook
    changes: ChangesInWords | None
    blocks: list[BlockDiff]
    next_number: int
    rebrief: list[dict[str, Any]] = field(default_factory=list)
    decision: list[dict[str, Any]] = field(default_factory=list)
    checked: list[dict[str, Any]] = field(default_factory=list)

    @property
    def published_label(self) -> str:
        published = self.advisory.country.published
        return f"version {published.number}" if published else "never published"


def publish_preview(advisory: Advisory) -> PublishPreview:
    country = advisory.country
    outlook = publication_outlook(country)
    published = country.published
    snapshot = advisory_snapshot(country) if outlook.changed else None
    preview = PublishPreview(
        advisory=advisory,
        outlook=outlook,
        changes=changes_in_words(published.content if published else None, snapshot)
        if snapshot
        else None,
        blocks=version_diff(published.content if published else {}, snapshot) if snapshot else [],
        next_number=(published.number if published else 0) + 1,
    )
    if snapshot is None:
        return preview
    # The trips app and the briefings app answer (advisories never imports them).
    for _, answer in content_impact.send(
        sender=Country, country_code=country.code, snapshot=snapshot
    ):
        impact: list[dict[str, Any]] = answer if isinstance(answer, list) else []
        for row in impact:
            lists = {"rebrief": preview.rebrief, "decision": preview.decision}
            lists.get(str(row.get("outcome")), preview.checked).append(row)
    return preview


def pack_upload(model_admin, request: HttpRequest) -> HttpResponse:
    """Step one of importing a pack: upload it. A valid pack is kept in the session (see
    pack_uploads) and previewed; nothing is written until the preview is confirmed."""
    _require(request, "add_advisory", "change_advisory", "publish_advisory")
    form = PackUploadForm(request.POST or None, request.FILES or None)
    pack_errors: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            digest = pack_upload_keep(
                request.session,
                text=form.pack_text,
                name=form.pack_name,
                draft=form.cleaned_data["draft"],
            )
            return HttpResponseRedirect(
                reverse("admin:advisories_advisory_import_pack_preview", args=[digest])
            )
        pack_errors = getattr(form, "pack_errors", [])
    return _pack_upload_page(model_admin, request, form=form, pack_errors=pack_errors)


def _pack_upload_page(
    model_admin, request: HttpRequest, *, form: PackUploadForm, pack_errors: list[str]
) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Advisory._meta,
        "title": "Import a content pack",
        "form": form,
        "pack_errors": pack_errors,
    }
    return TemplateResponse(request, "admin/advisories/import_pack.html", context)


def pack_upload_preview(model_admin, request: HttpRequest, digest: str) -> HttpResponse:
    """Step two: what the uploaded pack would change and lose, country by country, and the
    confirmation that imports exactly that pack over exactly the content previewed."""
    _require(request, "add_advisory", "change_advisory", "publish_advisory")
    pending = pack_upload_get(request.session, digest)
    if pending is None:
        messages.warning(
            request,
            "That upload is no longer waiting (it was imported, or your session ended): "
            "upload the pack again.",
        )
        return HttpResponseRedirect(reverse("admin:advisories_advisory_import_pack"))
    # It parsed at upload; the import validates the pack again against today's content.
    data = json.loads(pending.text)
    form = PackConfirmForm(request.POST or None)
    notice = ""
    if request.method == "POST" and form.is_valid():
        try:
            report = pack_import(
                data,
                draft=pending.draft,
                force=form.cleaned_data["force"],
                by=request.user,
                ip=client_ip(request),
                expected_state=form.cleaned_data["state"],
            )
        except PackRefused:
            form.add_error(
                "force",
                "This import would lose what is listed above: tick Import anyway to go ahead.",
            )
        except PackStale as exc:
            notice = exc.errors[0]
            form = PackConfirmForm()
        except PackError as exc:
            return _pack_upload_page(
                model_admin, request, form=PackUploadForm(), pack_errors=exc.errors
            )
        else:
            pack_upload_forget(request.session, digest)
            messages.success(request, "The content pack was imported. " + report.summary())
            return HttpResponseRedirect(reverse("admin:advisories_advisory_changelist"))
    try:
        plan = pack_preview(data, draft=pending.draft)
    except PackError as exc:
        return _pack_upload_page(
            model_admin, request, form=PackUploadForm(), pack_errors=exc.errors
        )
    if not form.is_bound:
        form = PackConfirmForm(initial={"state": plan.state})
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Advisory._meta,
        "title": f"Import {pending.name}: preview",
        "pending": pending,
        "plan": plan,
        "countries": [
            {
                "plan": country,
                "changes": changes_in_words(
                    country.published.content if country.published else None, country.after
                ),
                "blocks": draft_diff(
                    country.published.content if country.published else None, country.after
                ),
                "losses": [loss for loss in plan.losses if loss.country == country.code],
            }
            for country in plan.countries
        ],
        "form": form,
        "notice": notice,
    }
    return TemplateResponse(request, "admin/advisories/import_pack_preview.html", context)


def versions_compare(model_admin, request: HttpRequest) -> HttpResponse:
    """Two versions of one country (default: the latest two) side by side: each changed
    section, rule and level on its own, word by word."""
    _require(request, "view_advisoryversion")
    country = get_object_or_404(Country, code=(request.GET.get("country") or "").upper())
    versions = list(country_versions(country.code))
    if not versions:
        raise Http404("This country has no published version.")
    by_number = {version.number: version for version in versions}
    try:
        newer = by_number[int(request.GET.get("to") or versions[0].number)]
        older_number = request.GET.get("from")
        older = by_number[int(older_number)] if older_number else None
    except (KeyError, ValueError) as exc:
        raise Http404("No such version.") from exc
    if older is None:
        older = by_number.get(newer.number - 1, newer)
    if older.number > newer.number:
        older, newer = newer, older
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": AdvisoryVersion._meta,
        "title": f"{country.name}: version {older.number} and version {newer.number}",
        "country": country,
        "older": older,
        "newer": newer,
        "versions": versions,
        "identical": older.content_hash == newer.content_hash,
        "older_label": f"version {older.number}",
        "newer_label": f"version {newer.number}",
        # Each changed section, rule and level, word by word (escaped by the template).
        "blocks": version_diff(older.content, newer.content),
    }
    return TemplateResponse(request, "admin/advisories/advisoryversion/compare.html", context)


def snapshot_lines(content: dict[str, Any]) -> list[str]:
    """A snapshot as text a person can diff: one fact per line, Markdown bodies line by line."""
    lines: list[str] = []
    advisory = content.get("advisory", {})
    lines += [f"Level: {advisory.get('level')}", "Summary:"]
    lines += [f"  {line}" for line in (advisory.get("summary") or "").splitlines()]
    for section in advisory.get("sections", []):
        lines += [
            "",
            f"Section {section['key']} [{section['topic']}]: {section['heading']}",
            f"  level: {section.get('level') or '-'}",
            f"  places: {', '.join(section.get('places') or []) or 'whole country'}",
            f"  activities: {', '.join(section.get('activities') or []) or 'any'}",
            f"  months: {', '.join(map(str, section.get('months') or [])) or 'all year'}",
            f"  source: {section.get('source') or '-'}",
        ]
        lines += [f"  | {line}" for line in (section.get("body") or "").splitlines()]
    lines += ["", "Places:"]
    for place in content.get("places", []):
        aliases = ", ".join(place.get("aliases") or [])
        lines.append(
            f"  {place['name']} ({place['kind']}, level {place.get('level') or '-'})"
            + (f" aka {aliases}" if aliases else "")
        )
    lines += ["", "Emergency contacts:"]
    for contact in content.get("emergency_contacts", []):
        where = f" [{contact['place']}]" if contact.get("place") else ""
        lines.append(f"  {contact['label']}{where}: {contact['number']}")
    for rule in content.get("rules", []):
        lines += ["", f"Rule {rule['key']} [{rule['kind']}]: {rule.get('title', '')}"]
        lines.append(f"  in words: {rule_in_words(rule)}")
        for name in sorted(rule):
            if name not in ("key", "kind", "title", "detail"):
                lines.append(f"  {name}: {json.dumps(rule[name], ensure_ascii=False)}")
        lines += [f"  | {line}" for line in (rule.get("detail") or "").splitlines()]
    lines += ["", "Sources:"]
    for source in content.get("sources", []):
        lines.append(
            f"  {source['key']}: {source['publisher']}, {source['title']} "
            f"({source.get('url') or 'no URL'}, retrieved {source.get('retrieved') or '-'})"
        )
    return lines
