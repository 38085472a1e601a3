"""The incident form: types only; what makes an incident valid is checked by the service, and
its field errors are put back on the form (incident_errors_apply)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from advisories.models import Place
from core.errors import InvalidInput
from core.forms import BoundedDateField
from core.lib.vocabulary import Topic
from incidents.models import LOOKAHEAD_MAX, Incident, Severity
from incidents.services import IncidentInput
from trips.forms import DateInput, country_choices


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.WARNING)
    category = forms.ChoiceField(choices=Topic.choices(), initial=Topic.SECURITY)
    country = forms.ChoiceField(
        choices=(), required=False, help_text="May be empty with a point and a radius."
    )
    places = forms.MultipleChoiceField(
        required=False,
        help_text="Curated places of the country it touches; none for the whole country.",
    )
    latitude = forms.FloatField(
        required=False, help_text="Of the point, in degrees (43.2567); with a radius."
    )
    longitude = forms.FloatField(required=False, help_text="In degrees (76.9286).")
    radius_km = forms.FloatField(
        label="Radius (km)",
        required=False,
        help_text="Travellers within this distance of the point are touched, across borders.",
    )
    starts_on = BoundedDateField(label="Starts on", widget=DateInput())
    ends_on = BoundedDateField(
        label="Ends on", required=False, widget=DateInput(), help_text="Empty while ongoing."
    )
    lookahead_days = forms.IntegerField(
        label="Lookahead (days)",
        initial=3,
        min_value=0,
        max_value=LOOKAHEAD_MAX,
        help_text="Travellers arriving up to this many days after it ends are listed too.",
    )
    summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), help_text="Markdown."
    )
    source = forms.CharField(required=False, max_length=120)
    external_id = forms.CharField(label="External id", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices("Choose a country")
        self.fields["country"].widget.attrs["data-combobox"] = ""
        places = self.fields["places"]
        assert isinstance(places, forms.MultipleChoiceField)
        choices, places.widget = place_picker(country_field_id=self["country"].auto_id)
        places.choices = choices  # after the widget: setting choices hands them to it

    def to_input(self) -> IncidentInput:
        data = self.cleaned_data
        return IncidentInput(
            title=data["title"],
            summary=data["summary"],
            severity=data["severity"],
            category=data["category"],
            country=data["country"],
            # Names, as the API takes them (contracts.md): the service matches them against the
            # chosen country's curated places and names any that is not one of them.
            places=list(dict.fromkeys(data["places"])),
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            lookahead_days=data["lookahead_days"],
            source=data["source"],
            external_id=data["external_id"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            radius_km=data["radius_km"],
        )

    def apply_errors(self, error: InvalidInput) -> None:
        for name, messages in error.errors.items():
            for message in messages if isinstance(messages, list) else [messages]:
                self.add_error(name if name in self.fields else None, str(message))


class IncidentCloseForm(forms.Form):
    """Closing an incident: when it ended (empty: today). The service says what is valid."""

    ends_on = forms.DateField(
        label="It ended on",
        required=False,
        widget=DateInput(),
        help_text="Today, unless it ended earlier.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's date picker offers no day after today (the service refuses one).
        self.fields["ends_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def apply_errors(self, error: InvalidInput) -> None:
        for name, messages in error.errors.items():
            for message in messages if isinstance(messages, list) else [messages]:
                self.add_error(name if name in self.fields else None, str(message))


def incident_initial(incident: Incident) -> dict:
    return {
        "title": incident.title,
        "severity": incident.severity,
        "category": incident.category,
        "country": incident.country_id,
        "places": sorted(place.name for place in incident.places.all()),
        "starts_on": incident.starts_on,
        "ends_on": incident.ends_on,
        "lookahead_days": incident.lookahead_days,
        "summary": incident.summary,
        "source": incident.source,
        "external_id": incident.external_id,
        "latitude": incident.latitude,
        "longitude": incident.longitude,
        "radius_km": incident.radius_km,
    }


class PlaceOptions(forms.SelectMultiple):
    """The curated places, grouped by country, each option marked with its country's code
    (data-country) so that the picker offers only the chosen country's (combobox.js)."""

    def __init__(self, *, group_codes: dict[str, str], **kwargs) -> None:
        super().__init__(**kwargs)
        self.group_codes = group_codes  # a group's label (the country's name) -> its code

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        for group_name, options, _index in groups:
            for option in options:
                option["attrs"]["data-country"] = self.group_codes.get(group_name or "", "")
        return groups


def place_picker(*, country_field_id: str) -> tuple[list, PlaceOptions]:
    """The places field's choices (curated places by country, countries by name) and its
    widget: a multiple select that combobox.js turns into a type-ahead of the chosen
    country's places; without the script, the grouped list itself."""
    by_country: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    for code, country, place in Place.objects.order_by("country__name", "name").values_list(
        "country_id", "country__name", "name"
    ):
        by_country.setdefault(code, (country, []))[1].append((place, place))
    widget = PlaceOptions(
        group_codes={country: code for code, (country, _) in by_country.items()},
        attrs={
            "data-combobox": "",
            "data-combobox-scope": country_field_id,
            "data-combobox-noun": "place|places",
            "data-placeholder": "Type a place to add it",
        },
    )
    return list(by_country.values()), widget
