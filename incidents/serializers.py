"""Shapes of the incidents API (contracts.md). Input serializers only check types; what makes
an incident valid lives in incidents.services.incident_validate, shared with the page and the
import command."""

from __future__ import annotations

from rest_framework import serializers

from core.api import BoundedDateField
from incidents.models import Incident
from incidents.services import IncidentInput


class IncidentSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id", allow_null=True)
    country_name = serializers.CharField(source="country.name", allow_null=True, default=None)
    places = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()
    open = serializers.BooleanField(source="is_open")

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "summary",
            "severity",
            "category",
            "country",
            "country_name",
            "places",
            "latitude",
            "longitude",
            "radius_km",
            "starts_on",
            "ends_on",
            "lookahead_days",
            "source",
            "external_id",
            "open",
            "created_by",
            "created_at",
            "updated_at",
        ]

    def get_places(self, incident: Incident) -> list[str]:
        return sorted(place.name for place in incident.places.all())

    def get_created_by(self, incident: Incident) -> str | None:
        return incident.created_by.username if incident.created_by else None


class IncidentInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    severity = serializers.CharField(max_length=20)
    category = serializers.CharField(max_length=40)
    # Optional with a point and a radius (the service says which is missing).
    country = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    latitude = serializers.FloatField(required=False, allow_null=True, default=None)
    longitude = serializers.FloatField(required=False, allow_null=True, default=None)
    radius_km = serializers.FloatField(required=False, allow_null=True, default=None)
    places = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False, default=list, max_length=50
    )
    starts_on = BoundedDateField()
    ends_on = BoundedDateField(required=False, allow_null=True, default=None)
    lookahead_days = serializers.IntegerField(required=False, default=3)
    # An API contract name that shadows DRF Field.source (the attribute, not the argument).
    source = serializers.CharField(  # type: ignore[assignment]
        max_length=120, required=False, allow_blank=True, default=""
    )
    external_id = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )

    def to_input(self) -> IncidentInput:
        return IncidentInput(**self.validated_data)


class ImpactedStopSerializer(serializers.Serializer):
    country = serializers.CharField(source="stop.country_id")
    place = serializers.CharField(source="place_label")
    place_matched = serializers.SerializerMethodField()
    arrival = serializers.DateField(source="stop.arrival")
    departure = serializers.DateField(source="stop.departure")
    transit = serializers.BooleanField(source="stop.transit")
    latitude = serializers.FloatField(source="stop.latitude", allow_null=True)
    longitude = serializers.FloatField(source="stop.longitude", allow_null=True)

    def get_place_matched(self, row) -> bool:
        return row.stop.place_id is not None


class ImpactedRowSerializer(serializers.Serializer):
    traveller = serializers.CharField(source="traveller.username")
    traveller_name = serializers.SerializerMethodField()
    email = serializers.CharField(source="traveller.email")
    trip = serializers.IntegerField(source="trip.pk")
    trip_status = serializers.CharField(source="trip.status")
    stop = serializers.SerializerMethodField()
    presence = serializers.CharField()
    match = serializers.CharField()
    # For a ``nearby`` match: km from the incident's point, to 0.1 (null otherwise).
    distance_km = serializers.FloatField(allow_null=True)
    phone = serializers.CharField()
    emergency_contact = serializers.CharField()
    check_status = serializers.CharField(allow_null=True)

    def get_traveller_name(self, row) -> str:
        return row.traveller.get_full_name() or row.traveller.username

    def get_stop(self, row) -> dict:
        return ImpactedStopSerializer(row).data
