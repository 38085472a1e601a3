"""Admin forms: friendlier widgets for the JSON list fields, the checks that need many-to-many
values (which a model's clean() cannot see), publishing and pack upload."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.utils.translation import ngettext

from advisories.models import Country, EmergencyContact, Rule, Section
from advisories.packs import pack_validate
from advisories.validation import RULE_FIELDS, rule_errors
from portal.models import PASSPORT_TYPES

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


class EmergencyContactForm(forms.ModelForm):
    nationalities = TextListField(
        codes=True,
        help_text="For an embassy: the passports it serves (GB), separated by commas or spaces. "
        "Empty: shown to every traveller.",
    )

    class Meta:
        model = EmergencyContact
        fields = ["country", "place", "label", "number", "nationalities"]


class RuleForm(forms.ModelForm):
    nationalities = TextListField(
        codes=True, help_text="ISO country codes separated by commas or spaces, e.g. GB, US."
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


class PackUploadForm(forms.Form):
    pack = forms.FileField(help_text="A content pack (travel-risk-content/1) JSON file.")
    draft = forms.BooleanField(
        required=False,
        label="Import as drafts only",
        help_text="Update the drafts and publish nothing.",
    )

    def clean_pack(self) -> Any:
        upload = self.cleaned_data["pack"]
        try:
            data = json.loads(upload.read().decode("utf-8"))
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
