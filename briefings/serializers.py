from __future__ import annotations

from django.urls import reverse
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from briefings.models import Briefing, BriefingStatus
from core import roles


class BriefingSerializer(serializers.ModelSerializer):
    """contracts.md: id, version, status, sha256, created_at, acknowledged_at, pdf_url; plus
    the error for security managers (context["is_manager"])."""

    sha256 = serializers.SerializerMethodField()
    acknowledged_at = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()

    class Meta:
        model = Briefing
        fields = [
            "id",
            "version",
            "status",
            "sha256",
            "created_at",
            "acknowledged_at",
            "pdf_url",
            "superseded",
            "reason",
            "changes",
            "rendered_at",
            "size",
            "page_count",
            "error",
        ]
        read_only_fields = fields

    def get_sha256(self, briefing: Briefing) -> str | None:
        return briefing.sha256 if briefing.status == BriefingStatus.READY else None

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
    def get_acknowledged_at(self, briefing: Briefing) -> str | None:
        acknowledgement = getattr(briefing, "acknowledgement", None)
        if acknowledgement is None:
            return None
        return serializers.DateTimeField().to_representation(acknowledgement.created_at)

    def get_pdf_url(self, briefing: Briefing) -> str | None:
        if briefing.status != BriefingStatus.READY:
            return None
        path = reverse("api-briefing-pdf", args=[briefing.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_error(self, briefing: Briefing) -> str | None:
        request = self.context.get("request")
        if request is None or not roles.is_manager(request.user):
            return None
        return briefing.error or None

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not roles.is_manager(request.user):
            data.pop("error", None)
        return data


class BriefingSchema(OpenApiSerializerExtension):
    """BriefingSerializer's schema, `error` optional: only security managers get it."""

    target_class = BriefingSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_basic_serializer(self.target, direction)
        schema["required"] = [name for name in schema.get("required", []) if name != "error"]
        return schema


class AcknowledgeInputSerializer(serializers.Serializer):
    sha256 = serializers.RegexField(
        r"^[0-9a-fA-F]{64}$", error_messages={"invalid": "A SHA-256 digest is 64 hex digits."}
    )


class AcknowledgementSerializer(serializers.Serializer):
    briefing = serializers.IntegerField(source="briefing_id")
    version = serializers.IntegerField(source="briefing.version")
    sha256 = serializers.CharField()
    acknowledged_at = serializers.DateTimeField(source="created_at")
    trip_status = serializers.CharField(source="briefing.trip.status")
