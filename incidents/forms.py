"""The incident form: types only; what makes an incident valid is checked by the service, and
its field errors are put back on the form (incident_errors_apply)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from incidents.models import LOOKAHEAD_MAX, Incident, Severity
from incidents.services import IncidentInput
from portal.errors import InvalidInput
from portal.forms import BoundedDateField
from portal.lib.vocabulary import Topic
from trips.forms import DateInput, country_choices


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200)
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.WARNING)
    category = forms.ChoiceField(choices=Topic.choices(), initial=Topic.SECURITY)
    country = forms.ChoiceField(
        choices=(), required=False, help_text="May be empty with a point and a radius."
    )
    places = forms.CharField(
        required=False,
        max_length=1000,
        help_text='Curated places, separated by commas ("Almaty, Astana"); empty for the '
        "whole country.",
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

    def to_input(self) -> IncidentInput:
        data = self.cleaned_data
        return IncidentInput(
            title=data["title"],
            summary=data["summary"],
            severity=data["severity"],
            category=data["category"],
            country=data["country"],
            places=[name.strip() for name in data["places"].split(",") if name.strip()],
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
        "places": ", ".join(sorted(place.name for place in incident.places.all())),
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
