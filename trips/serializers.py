"""Shapes of the trips API (contracts.md). Input serializers only check types; the rules of a
valid itinerary live in trips.services.itinerary_validate, shared with the pages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api import StrictCharField
from core.lib.numbers import parse_whole_number
from trips.models import Assessment, Stop, Trip
from trips.requirements import assessment_requirements, incident_rows
from trips.services import NOT_YOUR_TRAVELLER, StopInput, TripInput


class StopSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id")
    place = serializers.SerializerMethodField()
    place_matched = serializers.SerializerMethodField()

    class Meta:
        model = Stop
        fields = [
            "country",
            "place",
            "place_matched",
            "arrival",
            "departure",
            "activities",
            "transit",
        ]

    def get_place(self, stop: Stop) -> str:
        return stop.place_label

    def get_place_matched(self, stop: Stop) -> bool:
        return stop.place_id is not None


class TripSerializer(serializers.ModelSerializer):
    traveller = serializers.CharField(source="traveller.username")
    stops = StopSerializer(many=True)
    recorded_after_start = serializers.BooleanField(read_only=True)

    class Meta:
        model = Trip
        fields = [
            "id",
            "traveller",
            "purpose",
            "status",
            "risk_level",
            "approvals_needed",
            "recorded_after_start",
            "stops",
            "passport_nationality",
            "passport_type",
            "visa_category",
            "first_arrival",
            "last_departure",
            "created_at",
            "updated_at",
        ]


# DRF's own formatting of dates (DATE_FORMAT), so a list row and TripSerializer agree to the
# byte; one instance for every row.
_DATE = serializers.DateField()


class TripListSerializer(serializers.BaseSerializer):
    """TripSerializer's shape, written directly from the rows of `selectors.trip_list_rows`.

    DRF's per-field work (attribute lookups, one field object per column, a nested serializer
    per stop) over model instances was most of the time of a 50-trip page of GET /api/trips/
    (docs/performance.md). Read only; the schema and every other response are TripSerializer's,
    and tests/trips/test_trip_list_api.py holds the list's rows equal to it field for field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The time zone of this response, looked up once rather than for each of the page's
        # hundred times; DRF's DateTimeField formats them in it, as TripSerializer does.
        self.time_zone = timezone.get_current_timezone() if settings.USE_TZ else None
        self.datetime = serializers.DateTimeField(default_timezone=self.time_zone)

    def to_representation(self, row: dict) -> dict:
        first_arrival = row["first_arrival"]
        created_at = row["created_at"]
        return {
            "id": row["id"],
            "traveller": row["traveller__username"],
            "purpose": row["purpose"],
            "status": row["status"],
            "risk_level": row["risk_level"],
            "approvals_needed": row["approvals_needed"],
            # Trip.recorded_after_start, from the row's two columns.
            "recorded_after_start": (
                first_arrival is not None
                and created_at is not None
                and first_arrival < timezone.localtime(created_at, self.time_zone).date()
            ),
            "stops": [
                {
                    "country": stop["country_id"],
                    "place": Stop.label_of(
                        place_name=stop["place__name"] if stop["place_id"] is not None else None,
                        place_text=stop["place_text"],
                    ),
                    "place_matched": stop["place_id"] is not None,
                    "arrival": _DATE.to_representation(stop["arrival"]),
                    "departure": _DATE.to_representation(stop["departure"]),
                    "activities": stop["activities"],
                    "transit": stop["transit"],
                }
                for stop in row["stops"]
            ],
            "passport_nationality": row["passport_nationality"],
            "passport_type": row["passport_type"],
            "visa_category": row["visa_category"],
            "first_arrival": _DATE.to_representation(first_arrival),
            "last_departure": _DATE.to_representation(row["last_departure"]),
            "created_at": self.datetime.to_representation(created_at),
            "updated_at": self.datetime.to_representation(row["updated_at"]),
        }


class StopInputSerializer(serializers.Serializer):
    country = serializers.CharField(max_length=2, min_length=2)
    place = serializers.CharField(
        max_length=120, required=False, allow_blank=True, allow_null=True, default=""
    )
    # Bounded by trips.services.itinerary_validate (no earlier than today, or two years back for
    # a manager's record; at most two years ahead), whose messages say why, as on the page.
    arrival = serializers.DateField()
    departure = serializers.DateField()
    activities = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list
    )
    transit = serializers.BooleanField(required=False, default=False)


class TripInputSerializer(serializers.Serializer):
    purpose = serializers.CharField(max_length=300)
    stops = StopInputSerializer(many=True)
    passport_nationality = serializers.CharField(
        max_length=2, required=False, allow_blank=True, default=""
    )
    passport_type = serializers.CharField(
        max_length=12, required=False, allow_blank=True, default=""
    )
    visa_category = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )
    traveller = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_traveller(self, value: str) -> User | None:
        if not value:
            return None
        user = User.objects.filter(username=value).first()
        # An id, bounded before conversion: int() of 4,301 digits raises.
        pk = parse_whole_number(value)
        if user is None and pk is not None:
            user = User.objects.filter(pk=pk).first()
        if user is None:
            # The same words as for someone else's traveller (services.trip_create): the API
            # must not tell which usernames exist.
            raise serializers.ValidationError(NOT_YOUR_TRAVELLER)
        return user

    def to_input(self) -> TripInput:
        data = self.validated_data
        return TripInput(
            purpose=data["purpose"],
            stops=[
                StopInput(
                    country=stop["country"].upper(),
                    place=stop.get("place") or "",
                    arrival=stop["arrival"],
                    departure=stop["departure"],
                    activities=list(stop.get("activities") or []),
                    transit=stop.get("transit", False),
                )
                for stop in data["stops"]
            ],
            passport_nationality=data.get("passport_nationality") or "",
            passport_type=data.get("passport_type") or "",
            visa_category=data.get("visa_category") or "",
        )


class AssessmentIncidentSerializer(serializers.Serializer):
    """An open incident of the assessment (contracts.md), with its end and where it touches."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    severity = serializers.CharField(help_text="warning or critical")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(allow_null=True)
    match = serializers.CharField(
        help_text="How it touches the trip: place (a place it names), country (it covers the "
        "whole country) or possibly (a stop's place is not one we know)."
    )
    where = serializers.ListField(
        child=serializers.CharField(), help_text="The places of the stops it touches."
    )


class AssessmentSerializer(serializers.ModelSerializer):
    requirements = serializers.SerializerMethodField()
    sections = serializers.SerializerMethodField()
    incidents = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "risk_level",
            "known_level",
            "requires_approval",
            "approvals_needed",
            "approval_reasons",
            "requirements",
            "sections",
            "explanation",
            "content_versions",
            "incidents",
            "created_at",
        ]

    def get_requirements(self, assessment: Assessment) -> list[dict]:
        # Each with its stable `id` and `done_at` (contracts.md), from the one read model.
        return [row.as_json() for row in assessment_requirements(assessment=assessment)]

    def get_sections(self, assessment: Assessment) -> list[dict]:
        return assessment.sections

    @extend_schema_field(AssessmentIncidentSerializer(many=True))
    def get_incidents(self, assessment: Assessment) -> list[dict]:
        # The open warning and critical incidents touching the trip when it was assessed.
        return [row.as_json() for row in incident_rows(assessment.incidents)]


# The notes' limits and the required reason are checked by the services (trips.services
# note_clean), so the API and the pages refuse the same input with the same words.
class DecisionInputSerializer(serializers.Serializer):
    comment = StrictCharField(required=False, allow_blank=True, default="")


class RejectInputSerializer(serializers.Serializer):
    reason = StrictCharField(
        required=False, allow_blank=True, default="", help_text="Required: why."
    )


class CancelInputSerializer(serializers.Serializer):
    reason = StrictCharField(required=False, allow_blank=True, default="")


class LocationSerializer(serializers.Serializer):
    traveller = serializers.CharField(source="trip.traveller.username")
    traveller_name = serializers.SerializerMethodField()
    trip = serializers.IntegerField(source="trip_id")
    country = serializers.CharField(source="country_id")
    place = serializers.SerializerMethodField()
    arrival = serializers.DateField()
    departure = serializers.DateField()
    phone = serializers.CharField(source="trip.traveller.profile.phone")
    email = serializers.CharField(source="trip.traveller.email")

    def get_traveller_name(self, stop: Stop) -> str:
        return stop.trip.traveller.get_full_name() or stop.trip.traveller.username

    def get_place(self, stop: Stop) -> str:
        return stop.place_label


class ComplianceRowSerializer(serializers.Serializer):
    trip = serializers.IntegerField(source="trip.pk")
    traveller = serializers.CharField(source="trip.traveller.username")
    purpose = serializers.CharField(source="trip.purpose")
    status = serializers.CharField(source="trip.status")
    departure = serializers.DateField(source="trip.first_arrival")
    risk_level = serializers.IntegerField(source="trip.risk_level", allow_null=True)
    countries = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())
