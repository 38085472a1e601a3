"""The read API of published content (contracts.md): countries, a country's advisory,
activities. Any signed-in user; only published versions are ever read."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound

from advisories import selectors
from advisories.serializers import (
    ActivitySerializer,
    CountrySerializer,
    PublishedAdvisorySerializer,
)


@extend_schema(
    parameters=[
        OpenApiParameter(
            "search",
            OpenApiTypes.STR,
            description="A country code or part of a name, ignoring case.",
        )
    ]
)
class CountryList(generics.ListAPIView):
    """Every country with its published risk level and advisory version (null when none)."""

    serializer_class = CountrySerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.countries_with_risk(self.request.query_params.get("search"))


class CountryAdvisory(generics.RetrieveAPIView):
    """A country's published advisory; 404 when none is published."""

    serializer_class = PublishedAdvisorySerializer
    filter_backends = []

    def get_object(self):
        version = selectors.published_version(self.kwargs["code"])
        if version is None:
            raise NotFound("No advisory is published for this country.")
        return version


class ActivityList(generics.ListAPIView):
    """The activities a stop may list."""

    serializer_class = ActivitySerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.activities_list()
