"""The read API of published content (contracts.md): countries, a country's advisory,
activities. Any signed-in user; only published versions are ever read."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from advisories import selectors
from advisories.models import Country
from advisories.serializers import (
    ActivitySerializer,
    CountrySerializer,
    PublishedAdvisorySerializer,
)
from advisories.watch import selectors as watch_selectors


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


class TheirRatingSerializer(serializers.Serializer):
    # The contract's name; the serializer metaclass takes declared fields off the class.
    source = serializers.CharField()  # type: ignore[assignment]
    rating = serializers.CharField(help_text="The source's own rating, in its words.")
    level = serializers.IntegerField(
        allow_null=True, help_text="Their rating on our 1-5 scale (advisories.watch.ratings)."
    )
    retrieved_at = serializers.DateTimeField()
    url = serializers.URLField()


class CountryRatingsSerializer(serializers.Serializer):
    ours = serializers.IntegerField(allow_null=True, help_text="Our published level, 1-5.")
    sources = TheirRatingSerializer(many=True)
    disagree = serializers.BooleanField(
        help_text="A source rates the country two or more levels above ours, or advises "
        "against all travel where ours is below 5, and no content admin has reviewed it."
    )


class CountryRatings(generics.GenericAPIView):
    """Our published level beside each watched official source's latest rating."""

    serializer_class = CountryRatingsSerializer
    filter_backends = []

    def get(self, request, code: str):
        if not Country.objects.filter(code=code.upper()).exists():
            raise NotFound("Unknown country code.")
        ratings = watch_selectors.country_ratings(code)
        return Response(self.get_serializer(ratings.as_api()).data)
