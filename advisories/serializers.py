"""Read-only serializers of published content: what the API promises (contracts.md).

The advisory serializers read a published snapshot (``AdvisoryVersion.content``), never the
draft rows, so nothing a content admin has not published can leak through the API.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from advisories.models import Activity, AdvisoryVersion, Country
from advisories.selectors import rule_in_words
from core.lib.markdown import render_markdown


class CountrySerializer(serializers.ModelSerializer):
    risk_level = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The published advisory's level (1-5)."
    )
    advisory_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The published version number."
    )

    class Meta:
        model = Country
        fields = ["code", "name", "risk_level", "advisory_version"]


class ActivitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = ["code", "label"]


class SourceSerializer(serializers.Serializer):
    key = serializers.CharField()
    publisher = serializers.CharField()
    title = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    retrieved = serializers.DateField(allow_null=True)
    licence = serializers.CharField(allow_blank=True)


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    topic = serializers.CharField()
    heading = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")
    body_html = serializers.SerializerMethodField(help_text="The body as sanitised HTML.")
    level = serializers.IntegerField(allow_null=True)
    places = serializers.ListField(child=serializers.CharField())
    activities = serializers.ListField(child=serializers.CharField())
    months = serializers.ListField(child=serializers.IntegerField())
    # An API contract name that shadows DRF Field.source (the attribute, not the argument).
    source = serializers.CharField(allow_null=True, help_text="A key of `sources`.")  # type: ignore[assignment]

    def get_body_html(self, section: dict[str, Any]) -> str:
        return render_markdown(section.get("body") or "")


class PlaceSerializer(serializers.Serializer):
    name = serializers.CharField()
    aliases = serializers.ListField(child=serializers.CharField())
    kind = serializers.CharField()
    level = serializers.IntegerField(allow_null=True)


class EmergencyContactSerializer(serializers.Serializer):
    # An API contract name that shadows DRF Field.label (the attribute, not the argument).
    label = serializers.CharField()  # type: ignore[assignment]
    number = serializers.CharField()
    place = serializers.CharField(allow_null=True)
    nationalities = serializers.ListField(child=serializers.CharField(), required=False)


class ExemptionsSerializer(serializers.Serializer):
    passport_types = serializers.ListField(child=serializers.CharField())
    visa_categories = serializers.ListField(child=serializers.CharField())
    under_age = serializers.IntegerField(allow_null=True)


class RuleSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    detail = serializers.CharField(allow_blank=True)
    in_words = serializers.SerializerMethodField(help_text="What the rule asks, in plain words.")
    threshold_days = serializers.IntegerField(required=False, allow_null=True)
    deadline_days = serializers.IntegerField(required=False, allow_null=True)
    deadline_unit = serializers.CharField(required=False)
    nationalities = serializers.ListField(child=serializers.CharField(), required=False)
    max_days = serializers.IntegerField(required=False, allow_null=True)
    places = serializers.ListField(child=serializers.CharField(), required=False)
    activities = serializers.ListField(child=serializers.CharField(), required=False)
    exemptions = ExemptionsSerializer()
    valid_from = serializers.DateField(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)
    authority = serializers.CharField(allow_blank=True)
    citation = serializers.CharField(allow_blank=True)
    # An API contract name that shadows DRF Field.source (the attribute, not the argument).
    source = serializers.CharField(allow_null=True)  # type: ignore[assignment]

    def get_in_words(self, rule: dict[str, Any]) -> str:
        return rule_in_words(rule)

    def to_representation(self, instance: dict[str, Any]) -> dict[str, Any]:
        # Only the fields the rule's kind uses are in the snapshot; leave the others out
        # rather than invent values for them.
        data = super().to_representation(instance)
        return {
            name: value for name, value in data.items() if name in instance or name == "in_words"
        }


class PublishedAdvisorySerializer(serializers.Serializer):
    code = serializers.CharField(source="country.code")
    name = serializers.CharField(source="country.name")
    level = serializers.IntegerField()
    summary = serializers.CharField(source="content.advisory.summary")
    version = serializers.IntegerField(source="number")
    published_at = serializers.DateTimeField()
    change_note = serializers.CharField()
    sections = SectionSerializer(many=True, source="content.advisory.sections")
    places = PlaceSerializer(many=True, source="content.places")
    emergency_contacts = EmergencyContactSerializer(many=True, source="content.emergency_contacts")
    rules = RuleSerializer(many=True, source="content.rules")
    sources = SourceSerializer(many=True, source="content.sources")

    class Meta:
        model = AdvisoryVersion
