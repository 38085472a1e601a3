"""Admin upload page for official documents (issue 7).

Two steps, two forms. "Preview" uploads the document, parses it and shows the sections, the
source and the suggestions without writing anything; the bytes are kept in the session
(base64-encoded) under a fresh token. "Import" is a form of its own that carries only that
token (and the level a country without an advisory needs): it writes the kept copy as draft
sections of the previewed country's advisory, so the file is never asked for twice (a
browser cannot fill a file input again). Nothing is published here.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse

from advisories.importers.documents import FORMATS, DocumentError, ParsedDocument
from advisories.importers.drafts import (
    DraftImportError,
    document_import_draft,
    document_parse,
    document_preview,
)
from advisories.models import Advisory, Country, Section
from core.lib.markdown import render_markdown
from core.roles import is_content_admin

MAX_BYTES = 2 * 1024 * 1024
SESSION_KEY = "advisories.import_document"
NO_PREVIEW = (
    "There is no preview to import: it has expired or was replaced by another preview. "
    "Upload the document and preview it before importing."
)


class ImportDocumentForm(forms.Form):
    """The first step: the document to preview and how to read it."""

    document = forms.FileField(
        help_text="An official advice document (text/Markdown), at most 2 MB.",
    )
    # data-combobox: the portal's country type-ahead (combobox.js, loaded by admin/base_site).
    country = forms.ModelChoiceField(
        queryset=Country.objects.all(), widget=forms.Select(attrs={"data-combobox": ""})
    )
    fmt = forms.ChoiceField(label="Format", choices=[(f, f) for f in FORMATS], initial="auto")

    def clean_document(self) -> bytes:
        upload = self.cleaned_data["document"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is 2 MB ({MAX_BYTES:,} bytes)."
            )
        data = upload.read()
        if not data.strip():
            raise forms.ValidationError("The file is empty.")
        return data


class ImportPreviewedForm(forms.Form):
    """The second step: which kept preview to import. The country and format are the
    previewed ones, read from the session, so what is imported is what was shown.

    Given the parsed document and the country's curated sections, it asks for each section
    whether to add it or merge it into one of them: ``merge_<i>``, by default the parser's
    suggestion ("merge into 'Crime' (existing)" for a section that repeats it)."""

    FORM_ID = "document-import-form"

    token = forms.CharField(widget=forms.HiddenInput)
    level = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=5,
        label="Level",
        help_text="The country's overall level (1-5): needed because it has no advisory yet.",
    )

    def __init__(
        self,
        *args: Any,
        parsed: ParsedDocument | None = None,
        curated: Sequence[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "add as a new section")] + [
            (key, f"merge into '{heading}' (existing)") for key, heading in curated
        ]
        for i, section in enumerate(parsed.sections if parsed else []):
            self.fields[f"merge_{i}"] = forms.ChoiceField(
                choices=choices,
                required=False,
                initial=section.merge.key if section.merge else "",
                label=f"What to do with '{section.heading}'",
                # The selects stand beside each previewed section, outside this form.
                widget=forms.Select(attrs={"form": self.FORM_ID}),
            )
        self.section_count = len(parsed.sections) if parsed else 0

    def merges(self) -> dict[int, str | None]:
        return {i: self.cleaned_data.get(f"merge_{i}") or None for i in range(self.section_count)}


def _no_level_error(country: Country) -> str:
    return f"{country.name} has no advisory yet: give its overall level (1-5) in the Level field."


def _kept(request, token: str | None) -> dict[str, Any] | None:
    """The kept preview named by ``token``, with its bytes decoded; None when there is none
    (never previewed, expired with the session, replaced by a later preview, or imported)."""
    kept = request.session.get(SESSION_KEY)
    if not kept or not token or not secrets.compare_digest(str(kept.get("token", "")), token):
        return None
    try:
        data = base64.b64decode(kept["data"], validate=True)
        country = Country.objects.get(pk=kept["country"])
    except (KeyError, TypeError, binascii.Error, Country.DoesNotExist):
        return None
    return {**kept, "data": data, "country": country}


def _render_preview(preview: dict, form: ImportPreviewedForm) -> dict:
    sections = [
        {
            **s,
            "html": render_markdown(s["body"]),
            "merge_field": form[f"merge_{i}"] if f"merge_{i}" in form.fields else None,
        }
        for i, s in enumerate(preview["sections"])
    ]
    return {**preview, "sections": sections}


def _curated(country: Country) -> list[tuple[str, str]]:
    """The country's sections an imported one may be merged into: (key, heading)."""
    return list(
        Section.objects.filter(advisory__country=country)
        .order_by("order", "key")
        .values_list("key", "heading")
    )


def _import_form(
    data: Any, *, country: Country, parsed: ParsedDocument, token: str | None = None
) -> ImportPreviewedForm:
    return ImportPreviewedForm(
        data,
        parsed=parsed,
        curated=_curated(country),
        initial={"token": token} if token else None,
    )


def _import_step(
    *, country: Country, parsed: ParsedDocument, name: str, form: ImportPreviewedForm
) -> dict[str, Any]:
    """What the page shows of a preview: the parsed document and the form to import it."""
    return {
        "preview": _render_preview(document_preview(parsed), form),
        "import_form": form,
        "country": country,
        "stored_name": name,
        "needs_level": not Advisory.objects.filter(country=country).exists(),
    }


def _imported_in_words(country: Country, merges: dict[int, str | None]) -> str:
    merged = sum(1 for key in merges.values() if key)
    added = len(merges) - merged
    text = f"Imported {added} new draft section{'' if added == 1 else 's'}"
    if merged:
        text += f" and merged {merged} into existing section{'' if merged == 1 else 's'}"
    return f"{text} in the advisory for {country.name}. Review them, then publish."


def import_document(request):
    """The admin's document import in two steps: preview (the parsed sections, the merges it
    suggests), then import exactly what was previewed into the country's draft."""
    if not is_content_admin(request.user):
        raise PermissionDenied
    action = request.POST.get("action") if request.method == "POST" else None
    step: dict[str, Any] = {}
    if action == "preview":
        form, step = _preview_step(request)
    elif action == "import":
        form, step, done = _import_previewed(request)
        if done is not None:
            return done
    else:
        # Linked from a country's or an advisory's admin page with ?country=KZ: that country
        # is chosen already.
        code = request.GET.get("country", "").upper()
        chosen = Country.objects.filter(pk=code).first() if len(code) == 2 else None
        form = ImportDocumentForm(initial={"country": chosen} if chosen else None)
    context = {
        **admin.site.each_context(request),
        "title": "Import an official document",
        "form": form,
        **step,
    }
    return render(request, "admin/advisories/import_document.html", context)


def _preview_step(request) -> tuple[ImportDocumentForm, dict[str, Any]]:
    """Parse the uploaded document and keep it in the session for the import step."""
    form = ImportDocumentForm(request.POST, request.FILES)
    request.session.pop(SESSION_KEY, None)
    if not form.is_valid():
        return form, {}
    data, country, fmt = (form.cleaned_data[k] for k in ("document", "country", "fmt"))
    try:
        parsed = document_parse(country=country, data=data, fmt=fmt)
    except DocumentError as exc:
        form.add_error("document", str(exc))
        return form, {}
    token = secrets.token_urlsafe(16)
    name = getattr(request.FILES.get("document"), "name", "")
    request.session[SESSION_KEY] = {
        "token": token,
        "data": base64.b64encode(data).decode("ascii"),
        "name": name,
        "country": country.pk,
        "fmt": fmt,
    }
    step = _import_step(
        country=country,
        parsed=parsed,
        name=name,
        form=_import_form(None, country=country, parsed=parsed, token=token),
    )
    return form, step


def _import_previewed(request) -> tuple[ImportDocumentForm, dict[str, Any], Any]:
    """Import the previewed document into the draft; the response is a redirect when done."""
    import_form = ImportPreviewedForm(request.POST)
    kept = _kept(request, request.POST.get("token"))
    if kept is None:
        import_form.add_error(None, NO_PREVIEW)
        return ImportDocumentForm(), {"import_form": import_form}, None
    country = kept["country"]
    form = ImportDocumentForm(initial={"country": country, "fmt": kept["fmt"]})
    try:
        parsed = document_parse(country=country, data=kept["data"], fmt=kept["fmt"])
    except DocumentError as exc:  # the curated keywords changed since the preview
        request.session.pop(SESSION_KEY, None)
        import_form.add_error(None, f"{exc} Preview the document again.")
        return form, {"import_form": import_form}, None
    import_form = _import_form(request.POST, country=country, parsed=parsed)
    step = _import_step(country=country, parsed=parsed, name=kept["name"], form=import_form)
    if not import_form.is_valid():
        return form, step, None
    level = import_form.cleaned_data["level"]
    if step["needs_level"] and level is None:
        import_form.add_error("level", _no_level_error(country))
        return form, step, None
    try:
        merges = import_form.merges()
        document_import_draft(
            country=country, parsed=parsed, by=request.user, level=level, merges=merges
        )
    except DraftImportError as exc:
        import_form.add_error(None, str(exc))
        return form, step, None
    request.session.pop(SESSION_KEY, None)
    messages.success(request, _imported_in_words(country, merges))
    advisory = Advisory.objects.get(country=country)
    return form, step, redirect(reverse("admin:advisories_advisory_change", args=[advisory.pk]))
