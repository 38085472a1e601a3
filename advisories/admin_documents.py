"""Admin upload page for official documents (issue 7).

Two steps: "preview" parses the uploaded document and shows the sections, the source and the
suggestions without writing anything (the bytes wait in the session, base64-encoded);
"import" writes them as draft sections of the country's advisory. Nothing is published here.
"""

from __future__ import annotations

import base64
import binascii

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe

from advisories.importers.documents import FORMATS, DocumentError
from advisories.importers.drafts import (
    DraftImportError,
    document_import_draft,
    document_parse,
    document_preview,
)
from advisories.models import Country
from portal.lib.markdown import render_markdown
from portal.roles import is_content_admin

MAX_BYTES = 2 * 1024 * 1024
SESSION_KEY = "advisories.import_document"


class ImportDocumentForm(forms.Form):
    document = forms.FileField(
        required=False,
        help_text="An official advice document (text/Markdown), at most 2 MB.",
    )
    country = forms.ModelChoiceField(queryset=Country.objects.all())
    fmt = forms.ChoiceField(label="Format", choices=[(f, f) for f in FORMATS], initial="auto")
    level = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=5,
        help_text="Overall level (1-5), needed only if the country has no advisory yet.",
    )

    def __init__(self, *args, require_document: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].required = require_document

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload is None:
            return None
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is 2 MB ({MAX_BYTES:,} bytes)."
            )
        data = upload.read()
        if not data.strip():
            raise forms.ValidationError("The file is empty.")
        return data


def _stored(request) -> bytes | None:
    stored = request.session.get(SESSION_KEY)
    if not stored:
        return None
    try:
        return base64.b64decode(stored["data"], validate=True)
    except (KeyError, TypeError, binascii.Error):
        return None


def _render_preview(preview: dict) -> dict:
    sections = [
        {**s, "html": mark_safe(render_markdown(s["body"]))}  # noqa: S308 - sanitised by nh3
        for s in preview["sections"]
    ]
    return {**preview, "sections": sections}


def import_document(request):
    if not is_content_admin(request.user):
        raise PermissionDenied
    action = request.POST.get("action") if request.method == "POST" else None
    preview = None
    if action == "preview":
        form = ImportDocumentForm(request.POST, request.FILES, require_document=True)
        request.session.pop(SESSION_KEY, None)
        if form.is_valid():
            data = form.cleaned_data["document"]
            try:
                parsed = document_parse(
                    country=form.cleaned_data["country"], data=data, fmt=form.cleaned_data["fmt"]
                )
            except DocumentError as exc:
                form.add_error("document", str(exc))
            else:
                preview = _render_preview(document_preview(parsed))
                request.session[SESSION_KEY] = {
                    "data": base64.b64encode(data).decode("ascii"),
                    "name": getattr(request.FILES.get("document"), "name", ""),
                }
    elif action == "import":
        form = ImportDocumentForm(request.POST)
        data = _stored(request)
        if data is None:
            form.add_error(None, "Upload the document and preview it before importing.")
        elif form.is_valid():
            country = form.cleaned_data["country"]
            parsed = None
            try:
                parsed = document_parse(country=country, data=data, fmt=form.cleaned_data["fmt"])
                created = document_import_draft(
                    country=country,
                    parsed=parsed,
                    by=request.user,
                    level=form.cleaned_data["level"],
                )
            except (DocumentError, DraftImportError) as exc:
                form.add_error(None, str(exc))
                if parsed is not None:
                    preview = _render_preview(document_preview(parsed))
            else:
                request.session.pop(SESSION_KEY, None)
                advisory = country.advisory
                messages.success(
                    request,
                    f"Imported {len(created)} draft section(s) into the advisory for "
                    f"{country.name}. Review them, then publish.",
                )
                return redirect(reverse("admin:advisories_advisory_change", args=[advisory.pk]))
    else:
        form = ImportDocumentForm()
    context = {
        **admin.site.each_context(request),
        "title": "Import an official document",
        "form": form,
        "preview": preview,
        "stored_name": (request.session.get(SESSION_KEY) or {}).get("name", ""),
    }
    return render(request, "admin/advisories/import_document.html", context)
