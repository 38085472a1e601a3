"""Admin forms: friendlier widgets for the JSON list fields, the checks that need many-to-many
values (which a model's clean() cannot see), publishing and pack upload."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from advisories.models import Advisory, Country, EmergencyContact, Rule, Section
from advisories.packs import pack_validate
from advisories.validation import RULE_FIELDS, rule_errors
from core.lib.countries import country_names
from core.lib.dates import parse_iso_date
from core.models import PASSPORT_TYPES

MONTHS = [
    (1, "Jan"),
    (2, "Feb"),
    (3, "Mar"),
    (4, "Apr"),
    (5, "May"),
    (6, "Jun"),
    (7, "Jul"),
    (8, "Aug"),
    (9, "Sep"),
    (10, "Oct"),
    (11, "Nov"),
    (12, "Dec"),
]


class TextListField(forms.CharField):
    """A list of strings typed as text, separated by commas (and, for codes, spaces)."""

    def __init__(self, *, codes: bool = False, **kwargs: Any) -> None:
        self.codes = codes
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        if isinstance(value, str) and value.startswith("["):
            # The model field hands over its JSON text when re-displaying a saved list.
            try:
                return ", ".join(str(item) for item in json.loads(value))
            except ValueError:
                return value
        return value

    # The typed text is cleaned as a CharField's is, but what comes out is the list: a
    # narrowing of CharField.to_python the stubs cannot express.
    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return value
        text = super().to_python(value) or ""
        pattern = r"[,\s]+" if self.codes else r"\s*,\s*"
        items = [item.strip() for item in re.split(pattern, text) if item.strip()]
        return [item.upper() for item in items] if self.codes else items


def _stored_list(value: Any) -> Any:
    """A JSON list field's value as a list: the model field hands over its JSON text when a
    saved list is shown again."""
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _countries_by_name() -> list[tuple[str, str]]:
    return sorted(country_names().items(), key=lambda item: item[1])


class CountriesPicker(FilteredSelectMultiple):
    """The admin's two-list picker, in a box of its own: its script puts the picker first in
    the select's parent, which would otherwise be the row and push the label after it."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        return format_html(
            '<div class="countries-picker">{}</div>', super().render(name, value, attrs, renderer)
        )


class CountriesField(forms.MultipleChoiceField):
    """Passport nationalities picked from the list of countries (the admin's filtered
    two-list picker), stored as their ISO codes: nobody types `["GB"]`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(
            choices=_countries_by_name,
            widget=CountriesPicker("countries", is_stacked=False),
            **kwargs,
        )

    def prepare_value(self, value: Any) -> Any:
        value = _stored_list(value)
        return [str(code).upper() for code in value] if isinstance(value, list) else value


class DateListWidget(forms.Widget):
    """A list of dates, one date box each, and empty boxes to add more (two at a time, a save
    brings two more): no JSON to type, and no script needed."""

    blank_boxes = 2

    def format_value(self, value: Any) -> list[str]:  # type: ignore[override]
        value = _stored_list(value)
        if not isinstance(value, list):
            return [str(value)] if value else []
        return [str(item) for item in value]

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        # Written here rather than in a template: the form renderer reads only the apps' and
        # Django's own form templates, not the project's.
        field_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        dates = self.format_value(value) + [""] * self.blank_boxes
        boxes = format_html_join(
            "\n",
            '<li><input type="date" name="{}" value="{}"{}{}></li>',
            (
                (
                    name,
                    day,
                    format_html(' id="{}"', field_id) if index == 0 else "",
                    format_html(
                        ' aria-label="{}"', "Add a date" if not day else f"Date {index + 1}"
                    ),
                )
                for index, day in enumerate(dates)
            ),
        )
        return format_html('<ul class="date-list" id="{}_list">{}</ul>', field_id, boxes)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data


class DateListField(forms.Field):
    """Dates kept as a sorted list of YYYY-MM-DD strings (a JSON list field), entered one per
    date box; empty boxes are ignored, a date given twice counts once."""

    widget = DateListWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str]:
        items = value if isinstance(value, list) else [value] if value else []
        typed = [str(item).strip() for item in items if str(item or "").strip()]
        days, wrong = set(), []
        for text in typed:
            try:
                days.add(parse_iso_date(text))
            except ValueError:
                wrong.append(text)
        if wrong:
            raise forms.ValidationError(
                f"Not a date: {', '.join(wrong)}. Pick one, or write it as YYYY-MM-DD."
            )
        return [day.isoformat() for day in sorted(days)]


class MonthsField(forms.TypedMultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=MONTHS,
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str) and value.startswith("["):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value


class SectionForm(forms.ModelForm):
    months = MonthsField(help_text="None ticked: all year.")

    class Meta:
        model = Section
        fields = [
            "advisory",
            "key",
            "topic",
            "heading",
            "body",
            "level",
            "places",
            "activities",
            "months",
            "source",
            "order",
        ]

    def clean(self) -> dict[str, Any]:
        # A ModelForm's clean() returns its cleaned_data (typed as possibly None for forms).
        super().clean()
        cleaned = self.cleaned_data
        advisory = cleaned.get("advisory") or getattr(self.instance, "advisory", None)
        country_id = getattr(advisory, "country_id", None)
        places = cleaned.get("places") or []
        foreign = [place.name for place in places if country_id and place.country_id != country_id]
        if foreign:
            self.add_error(
                "places", f"Not places of this advisory's country: {', '.join(foreign)}."
            )
        return cleaned


class AdvisoryForm(forms.ModelForm):
    non_working_days = DateListField(
        label="Non-working days",
        help_text="Dates that are not working days although the public-holiday calendar says "
        "they are (a bridge day, a holiday the calendar lacks).",
    )
    working_days = DateListField(
        help_text="Dates that are working days although they fall on a weekend or a public "
        "holiday (a Saturday worked in exchange for a bridge day).",
    )

    class Meta:
        model = Advisory
        fields = ["country", "level", "summary", "non_working_days", "working_days"]


class EmergencyContactForm(forms.ModelForm):
    nationalities = CountriesField(
        help_text="For an embassy: the passports it serves. None chosen: shown to every traveller.",
    )

    class Meta:
        model = EmergencyContact
        fields = ["country", "place", "label", "number", "nationalities"]


class RuleForm(forms.ModelForm):
    nationalities = CountriesField(
        help_text="The passports the rule concerns (or, for a visa-free stay, admits)."
    )
    exempt_passport_types = forms.MultipleChoiceField(
        choices=PASSPORT_TYPES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Exempt passport types",
    )
    exempt_visa_categories = TextListField(
        label="Exempt visa categories",
        help_text="The country's own visa category names, separated by commas.",
    )

    class Meta:
        model = Rule
        fields = [
            "country",
            "key",
            "kind",
            "title",
            "detail",
            "threshold_days",
            "deadline_days",
            "deadline_unit",
            "nationalities",
            "max_days",
            "window_days",
            "lead_days",
            "places",
            "activities",
            "exempt_passport_types",
            "exempt_visa_categories",
            "exempt_under_age",
            "valid_from",
            "valid_until",
            "authority",
            "citation",
            "source",
        ]

    def clean(self) -> dict[str, Any]:
        # A ModelForm's clean() returns its cleaned_data (typed as possibly None for forms).
        super().clean()
        cleaned = self.cleaned_data
        kind = cleaned.get("kind")
        country: Country | None = cleaned.get("country")
        places = list(cleaned.get("places") or [])
        activities = list(cleaned.get("activities") or [])
        # The model's clean() checks every column; only the many-to-many fields are left.
        if kind in RULE_FIELDS:
            errors = rule_errors(
                {
                    "kind": kind,
                    "places": [place.name for place in places] or None,
                    "activities": [activity.code for activity in activities] or None,
                }
            )
            for field in ("places", "activities"):
                for message in errors.get(field, []):
                    self.add_error(field, message[:1].upper() + message[1:] + ".")
        if country is not None:
            foreign = [place.name for place in places if place.country_id != country.pk]
            if foreign:
                self.add_error("places", f"Not places of {country.name}: {', '.join(foreign)}.")
        return cleaned


class PublishForm(forms.Form):
    change_note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="What changed, in a sentence; travellers see it in their briefings.",
    )
    material = forms.BooleanField(
        required=False,
        label="Material change",
        help_text="A change of a level, a place, a rule or where a section applies is material "
        "whatever you tick: upcoming trips to this country are re-assessed and re-briefed. "
        "Tick to make an editorial change (new advice, wording) reach travellers too.",
    )


# A pack is kept in the uploader's session between its preview and its import: the whole
# demo pack is under 50 KB, so this leaves room for a large catalogue, not for anything.
MAX_PACK_BYTES = 10 * 1024 * 1024


class PackUploadForm(forms.Form):
    pack = forms.FileField(help_text="A content pack (travel-risk-content/1) JSON file.")
    draft = forms.BooleanField(
        required=False,
        label="Import as drafts only",
        help_text="Update the drafts and publish nothing.",
    )

    def clean_pack(self) -> Any:
        upload = self.cleaned_data["pack"]
        if upload.size > MAX_PACK_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; the limit is {MAX_PACK_BYTES:,} bytes."
            )
        try:
            # The text as uploaded is what the preview is keyed by (its SHA-256) and imports.
            self.pack_text = upload.read().decode("utf-8")
            self.pack_name = upload.name or "pack.json"
            data = json.loads(self.pack_text)
        except (UnicodeDecodeError, ValueError) as exc:
            raise forms.ValidationError(f"Not a JSON file: {exc}") from exc
        except RecursionError:
            raise forms.ValidationError(
                "The JSON is nested too deeply to be a content pack."
            ) from None
        self.pack_errors = pack_validate(data)
        if self.pack_errors:
            raise forms.ValidationError(
                ngettext(
                    "The pack was refused (%(count)d error); nothing was written.",
                    "The pack was refused (%(count)d errors); nothing was written.",
                    len(self.pack_errors),
                )
                % {"count": len(self.pack_errors)}
            )
        return data


class PackConfirmForm(forms.Form):
    """The confirmation of a previewed pack: the content it was previewed against (a
    fingerprint, so a change since is noticed) and, when the import would lose work, the
    editor's explicit consent."""

    state = forms.RegexField(regex=r"^[0-9a-f]{64}\Z", widget=forms.HiddenInput)
    force = forms.BooleanField(
        required=False,
        label="Import anyway",
        help_text="Discard what is listed above as lost; the audit trail records it.",
    )
