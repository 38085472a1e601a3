"""The traveller's tools in the API (contracts.md): ticking a requirement off, and previewing
what an itinerary would need before filing it. Thin views over trips.ticks and trips.preview,
the same services the trip page and the trip form call."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from trips import preview
from trips.models import Trip
from trips.serializers import TripInputSerializer
from trips.services import ticks


class RequirementTickInputSerializer(serializers.Serializer):
    done = serializers.BooleanField(required=True)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=ticks.TICK_NOTE_MAX_LENGTH
    )


class RequirementOutput(serializers.Serializer):
    """A requirement as the API shows it: what the assessment stored, its id and tick."""

    id = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    country = serializers.CharField()
    place = serializers.CharField()
    rule = serializers.CharField(allow_null=True)
    done_at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField()
    doable = serializers.BooleanField(
        help_text="Whether it is a step to tick off; carrying a document or keeping within a "
        "stay limit is not (ticking one off is refused)."
    )


class RequirementTickView(APIView):
    """Tick a requirement of the trip off (`done: true`) or back on, with an optional note:
    the traveller or their arranger (managers read; anyone else gets a 404)."""

    @extend_schema(request=RequirementTickInputSerializer, responses=RequirementOutput)
    def post(self, request, pk: int, requirement_id: str):
        trip = get_object_or_404(Trip.objects.visible_to(request.user), pk=pk)
        data = RequirementTickInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        row = ticks.requirement_tick(
            trip=trip,
            requirement_id=requirement_id,
            done=data.validated_data["done"],
            note=data.validated_data.get("note"),
            by=request.user,
        )
        return Response(row.as_json())


class TripPreviewView(APIView):
    """What a trip would need if filed and submitted as given (the body of `POST
    /api/trips/`): checked as on create, assessed, and nothing stored."""

    @extend_schema(
        request=TripInputSerializer,
        responses=inline_serializer(
            "TripPreview",
            {
                "preview": serializers.BooleanField(),
                "risk_level": serializers.IntegerField(allow_null=True),
                "known_level": serializers.IntegerField(allow_null=True),
                "requires_approval": serializers.BooleanField(),
                "approval_reasons": serializers.ListField(child=serializers.CharField()),
                "explanation": serializers.ListField(child=serializers.CharField()),
                "requirements": RequirementOutput(many=True),
            },
        ),
    )
    def post(self, request):
        data = TripInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = preview.trip_preview(
            by=request.user, data=data.to_input(), traveller=data.validated_data.get("traveller")
        )
        return Response(result.as_json())
