"""The trip form: the trip's own fields and a formset of stops. Forms only parse what the
browser sent; the itinerary's rules live in trips.services.itinerary_validate, whose errors
the view maps back onto these fields."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.models import User

from core.lib.countries import country_names
from core.lib.numbers import parse_whole_number
from core.models import PASSPORT_TYPES
from trips.models import NOTE_MAX_LENGTH
from trips.services import MAX_STOPS, ItineraryInvalid, StopInput, TripInput


def country_choices(blank: str | None = None) -> list[tuple[str, str]]:
    choices = sorted(country_names().items(), key=lambda item: item[1])
    return ([("", blank)] if blank is not None else []) + choices


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TripForm(forms.Form):
    traveller = forms.ModelChoiceField(
        # Arrangers choose among their travellers and themselves, and must choose: the empty
        # choice comes first so that nobody is picked by default.
        queryset=User.objects.none(),
        required=False,
        empty_label="Choose the traveller",
    )
    purpose = forms.CharField(
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Site visit to the Almaty plant"}),
    )
    passport_nationality = forms.ChoiceField(
        label="Passport nationality",
        required=False,
        help_text="Only if you travel on a different passport than the one in your profile.",
    )
    passport_type = forms.ChoiceField(
        label="Passport type",
        required=False,
        choices=[("", "As in my profile"), *PASSPORT_TYPES],
    )
    visa_category = forms.CharField(
        label="Visa category", max_length=40, required=False, help_text="e.g. business, investor."
    )
    # A new trip's form carries a key of its own (trips.services.trip_create): sent again after
    # the back button, it updates the draft it filed instead of filing a second one (the page
    # the back button brings keeps the key in its history entry: static/portal/portal.js).
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, travellers=None, me=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and "submission_key" not in self.initial:
            self.initial["submission_key"] = uuid.uuid4()
        self.fields["passport_nationality"].choices = country_choices("As in my profile")
        self.fields["passport_nationality"].widget.attrs["data-combobox"] = ""
        if travellers is None:
            del self.fields["traveller"]
        else:
            field = self.fields["traveller"]
            field.queryset = travellers
            field.required = True
            field.label = "Traveller"
            field.error_messages["required"] = "Choose whom the trip is for."

            def label(user: User) -> str:
                name = user.get_full_name() or user.username
                return f"Myself ({name})" if me is not None and user.pk == me.pk else name

            field.label_from_instance = label


class StopForm(forms.Form):
    country = forms.ChoiceField()
    place = forms.CharField(
        max_length=120, required=False, help_text="City, region or site; suggestions as you type."
    )
    arrival = forms.DateField(widget=DateInput())
    departure = forms.DateField(widget=DateInput())
    activities = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )
    transit = forms.BooleanField(
        required=False, label="Transit only", help_text="Just passing through to another country."
    )

    def __init__(self, *args, activity_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices("Choose a country")
        self.fields["activities"].choices = list(activity_choices)
        # No autocomplete="off": the browser would not restore a typed place after the back
        # button (the datalist of curated places still offers its suggestions).
        self.fields["place"].widget.attrs.update({"data-place": ""})
        # data-combobox: a searchable picker where the script runs (static/portal/combobox.js).
        self.fields["country"].widget.attrs.update({"data-country": "", "data-combobox": ""})

    def clean(self):
        data = super().clean()
        arrival, departure = data.get("arrival"), data.get("departure")
        if arrival and departure and departure < arrival:
            self.add_error("departure", "Departure is before arrival.")
        return data


class BaseStopFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_few_forms": "Add at least one stop: a country and its dates.",
        "too_many_forms": "A trip has at most 50 stops.",
    }


StopFormSet = forms.formset_factory(
    StopForm,
    formset=BaseStopFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_STOPS,
    validate_max=True,
    absolute_max=60,
)


def trip_input(form: TripForm, formset) -> TripInput:
    data = form.cleaned_data
    return TripInput(
        purpose=data["purpose"],
        passport_nationality=data.get("passport_nationality") or "",
        passport_type=data.get("passport_type") or "",
        visa_category=data.get("visa_category") or "",
        stops=[
            StopInput(
                country=stop["country"],
                place=stop.get("place") or "",
                arrival=stop["arrival"],
                departure=stop["departure"],
                activities=list(stop.get("activities") or []),
                transit=bool(stop.get("transit")),
            )
            for stop in (f.cleaned_data for f in formset.forms)
        ],
    )


def itinerary_errors_apply(exc: ItineraryInvalid, form: TripForm, formset) -> list[str]:
    """Put the service's errors next to the fields they concern; return the ones that belong
    to the itinerary as a whole."""
    general: list[str] = []
    errors: dict[str, Any] = exc.errors
    for name, messages in errors.items():
        if name == "stops":
            if isinstance(messages, dict):
                for index, problems in messages.items():
                    stop_form = formset.forms[int(index)]
                    for field, field_messages in problems.items():
                        for message in field_messages:
                            if field in stop_form.fields:
                                stop_form.add_error(field, message)
                            else:
                                general.append(f"Stop {int(index) + 1}: {message}")
            else:
                general.extend(messages)
        elif name in form.fields:
            for message in messages:
                form.add_error(name, message)
        else:
            general.extend(messages if isinstance(messages, list) else [str(messages)])
    return general


def itinerary_rearranged(data, action: str) -> list[dict[str, Any]] | None:
    """The stops as typed, with one added or removed, when the form was posted by its "+ Add a
    stop" or "Remove this stop" button (how the form works without JavaScript); None for any
    other action. Nothing is validated or saved: the user goes on editing."""
    if action != "add_stop" and not action.startswith("remove-"):
        return None
    try:
        total = min(int(data.get("stops-TOTAL_FORMS", "0")), MAX_STOPS)
    except ValueError:
        total = 0
    stops = [
        {
            "country": data.get(f"stops-{i}-country", ""),
            "place": data.get(f"stops-{i}-place", ""),
            "arrival": data.get(f"stops-{i}-arrival", ""),
            "departure": data.get(f"stops-{i}-departure", ""),
            "activities": data.getlist(f"stops-{i}-activities"),
            "transit": bool(data.get(f"stops-{i}-transit")),
        }
        for i in range(total)
    ]
    if action == "add_stop":
        if len(stops) < MAX_STOPS:
            # A new stop starts where the previous one ends.
            stops.append({"arrival": stops[-1]["departure"] if stops else ""})
    else:
        index = action.removeprefix("remove-")
        position = parse_whole_number(index, maximum=MAX_STOPS)
        if position is not None and position < len(stops) and len(stops) > 1:
            del stops[position]
    return stops


def trip_initial(trip) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    initial = {
        "traveller": trip.traveller_id,
        "purpose": trip.purpose,
        "passport_nationality": trip.passport_nationality,
        "passport_type": trip.passport_type,
        "visa_category": trip.visa_category,
    }
    stops = [
        {
            "country": stop.country_id,
            "place": stop.place_text or (stop.place.name if stop.place else ""),
            "arrival": stop.arrival,
            "departure": stop.departure,
            "activities": list(stop.activities or []),
            "transit": stop.transit,
        }
        for stop in trip.stops.all()
    ]
    return initial, stops


def _note_widget() -> forms.Textarea:
    # maxlength helps the browser; the service (trips.services.note_clean) is what refuses.
    return forms.Textarea(attrs={"rows": 2, "maxlength": NOTE_MAX_LENGTH})


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, widget=_note_widget())


class RejectForm(forms.Form):
    reason = forms.CharField(required=False, widget=_note_widget())


class RequirementTickForm(forms.Form):
    """The trip page's tick box: `done` is "1" to tick off, "0" to open again."""

    done = forms.TypedChoiceField(
        choices=[("1", "Done"), ("0", "Not done")], coerce=lambda value: value == "1"
    )
    note = forms.CharField(required=False, widget=forms.TextInput(attrs={"maxlength": 2000}))
