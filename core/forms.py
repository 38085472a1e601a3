"""The profile form: parses what the browser sent; core.services.profile_update saves it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django import forms
from django.utils import timezone

from core.lib.countries import country_names
from core.lib.dates import DateBounds, birth_dates, portal_dates
from core.models import PASSPORT_TYPES


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class BoundedDateField(forms.DateField):
    """A date within ``bounds`` (core.lib.dates: the portal's horizon unless told
    otherwise), else a form error; core.api.BoundedDateField is the API's twin."""

    def __init__(self, *, bounds: Callable[[date], DateBounds] = portal_dates, **kwargs):
        self.bounds = bounds
        super().__init__(**kwargs)

    def validate(self, value) -> None:
        super().validate(value)
        if value not in self.empty_values and (
            problem := self.bounds(timezone.localdate()).problem(value)
        ):
            raise forms.ValidationError(problem, code="out_of_range")


class ProfileForm(forms.Form):
    nationality = forms.ChoiceField(
        label="Passport nationality",
        required=False,
        help_text="The country that issued your passport.",
    )
    passport_type = forms.ChoiceField(label="Passport type", choices=PASSPORT_TYPES)
    date_of_birth = BoundedDateField(
        bounds=birth_dates, label="Date of birth", required=False, widget=DateInput()
    )
    department = forms.CharField(max_length=120, required=False)
    phone = forms.CharField(
        label="Mobile phone",
        max_length=40,
        required=False,
        help_text="Reachable abroad, with the country code (+44 ...).",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    emergency_contact_name = forms.CharField(
        label="Emergency contact: name", max_length=120, required=False
    )
    emergency_contact_phone = forms.CharField(
        label="Emergency contact: phone",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = sorted(country_names().items(), key=lambda item: item[1])
        self.fields["nationality"].choices = [("", "Not set"), *choices]
        self.fields["nationality"].widget.attrs["data-combobox"] = ""
