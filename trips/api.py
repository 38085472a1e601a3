"""The trips API (contracts.md): thin views over trips.services and trips.selectors."""

from __future__ import annotations

import datetime as dt
import uuid

from django.core.paginator import InvalidPage
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from core.api import BoundedDateField, GeoJSONRenderer
from core.lib.dates import parse_iso_date
from core.permissions import IsManager
from trips import selectors, services
from trips.filters import TripFilter, compliance_days
from trips.models import Stop, Trip, TripStatus
from trips.serializers import (
    AssessmentSerializer,
    CancelInputSerializer,
    ComplianceRowSerializer,
    DecisionInputSerializer,
    LocationSerializer,
    RejectInputSerializer,
    TripInputSerializer,
    TripListSerializer,
    TripSerializer,
)


class PageAsQuery(PageNumberPagination):
    """DRF's page-number pagination (count, next and previous links, 404 past the last page)
    that returns the page as its query, not yet read, for a caller that reads it as a
    subquery of its own (TripViewSet.list)."""

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            message = self.invalid_page_message.format(page_number=page_number, message=exc)
            raise NotFound(message) from exc
        return self.page.object_list


class TripViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TripSerializer
    filterset_class = TripFilter
    pagination_class = PageAsQuery
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.trips_for_list(self.request.user).order_by("first_arrival", "id")

    def filter_queryset(self, queryset):
        # No filter asked for: building the FilterSet (a deep copy of its filters) and
        # validating an empty form would only cost (a tenth of a list request).
        if not any(name in self.request.query_params for name in TripFilter.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        # The count on the trips table alone, then the page's trips as plain rows in
        # TripSerializer's shape, the page a subquery: no model instances, no per-field
        # serializers, two queries.
        trips = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(trips.values("pk"))
        rows = selectors.trip_list_rows(page=page)
        return self.get_paginated_response(TripListSerializer(rows, many=True).data)

    def _own_trip(self) -> Trip:
        """A trip the user may act on as traveller or arranger (managers only read)."""
        trip = self.get_object()
        if not Trip.objects.editable_by(self.request.user).filter(pk=trip.pk).exists():
            raise PermissionDenied("Only the traveller or their arranger may do this.")
        return trip

    def _respond(self, trip: Trip, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=trip.pk)
        return Response(TripSerializer(fresh).data, status=code)

    @extend_schema(
        request=TripInputSerializer,
        responses={201: TripSerializer, 200: TripSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="A UUID of the client's: sent again with the same key, the request "
                "files no second trip and answers 200 with the trip it filed.",
            )
        ],
    )
    def create(self, request, *args, **kwargs):
        key = _idempotency_key(request)
        data = TripInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filed = services.trip_filed_with(by=request.user, submission_key=key)
        trip = services.trip_create(
            by=request.user,
            data=data.to_input(),
            traveller=data.validated_data.get("traveller"),
            submission_key=key,
        )
        return self._respond(trip, status.HTTP_200_OK if filed else status.HTTP_201_CREATED)

    @extend_schema(request=TripInputSerializer, responses=TripSerializer)
    def partial_update(self, request, *args, **kwargs):
        trip = self._own_trip()
        # The state first: a trip that cannot be edited is a 409 whatever the body says.
        if trip.status != TripStatus.DRAFT:
            raise services.TransitionNotAllowed(services.DRAFTS_ONLY)
        current = TripSerializer(trip).data
        merged = {
            "purpose": current["purpose"],
            "stops": current["stops"],
            "passport_nationality": current["passport_nationality"],
            "passport_type": current["passport_type"],
            "visa_category": current["visa_category"],
            **request.data,
        }
        data = TripInputSerializer(data=merged)
        data.is_valid(raise_exception=True)
        traveller = data.validated_data.get("traveller")
        if traveller is not None and traveller.pk != trip.traveller_id:
            raise serializers.ValidationError(
                {"traveller": ["A trip's traveller cannot be changed; file a new trip instead."]}
            )
        trip = services.trip_update(
            trip=trip, by=request.user, data=data.to_input(), drafts_only=True
        )
        return self._respond(trip)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return self.partial_update(request, *args, **kwargs)
        return super().update(request, *args, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.trip_delete(trip=self._own_trip(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=TripSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        trip = services.trip_submit(trip=self._own_trip(), by=request.user)
        return self._respond(trip)

    @extend_schema(request=CancelInputSerializer, responses=TripSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = CancelInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trip = services.trip_cancel(
            trip=self.get_object(), by=request.user, reason=data.validated_data["reason"]
        )
        return self._respond(trip)

    @extend_schema(request=None, responses=AssessmentSerializer)
    @action(detail=True, methods=["get"])
    def assessment(self, request, pk=None):
        trip = self.get_object()
        assessment = trip.assessments.first()
        if assessment is None:
            raise NotFound("This trip has not been assessed yet: submit it first.")
        return Response(AssessmentSerializer(assessment).data)

    @extend_schema(request=DecisionInputSerializer, responses=TripSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsManager])
    def approve(self, request, pk=None):
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trip = services.trip_approve(
            trip=self.get_object(), by=request.user, comment=data.validated_data["comment"]
        )
        return self._respond(trip)

    @extend_schema(request=RejectInputSerializer, responses=TripSerializer)
    @action(detail=True, methods=["post"], permission_classes=[IsManager])
    def reject(self, request, pk=None):
        data = RejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trip = services.trip_reject(
            trip=self.get_object(), by=request.user, reason=data.validated_data["reason"]
        )
        return self._respond(trip)


class ApprovalQueueView(generics.ListAPIView):
    """Trips awaiting a decision, the soonest departure first."""

    serializer_class = TripSerializer
    permission_classes = [IsManager]
    # Filtered by the selector itself: no filter backend (nor its schema, which would read
    # the queryset while the schema is built).
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("risk_level", str, description='1-5, or "unknown"'),
            OpenApiParameter("country", str),
            OpenApiParameter("second", bool, description="only those awaiting a second approval"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        rows = selectors.approval_queue_rows(filters=self.request.query_params)
        return [row.trip for row in rows]


def _query_date(request, name: str, default: dt.date) -> dt.date:
    value = request.query_params.get(name)
    if not value:
        return default
    try:
        return parse_iso_date(value, today=timezone.localdate())
    except ValueError as error:
        raise serializers.ValidationError({name: [_date_message(error)]}) from None


def _date_message(error: ValueError) -> str:
    # A date out of the portal's range says which range; any other shape how to write one.
    message = str(error)
    return message if message.startswith("Give a date") else "Use a date as YYYY-MM-DD."


class LocationsView(generics.ListAPIView):
    """Who is where on a date (default today), optionally in one country or place."""

    serializer_class = LocationSerializer
    permission_classes = [IsManager]
    filterset_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("date", str, description="YYYY-MM-DD, default today"),
            OpenApiParameter("country", str),
            OpenApiParameter("place", str),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Stop.objects.none()  # the schema is drawn without a request or a database
        on = _query_date(self.request, "date", timezone.localdate())
        # One row per traveller (their last stop that day): `count` counts people.
        return selectors.whereabouts(
            on=on,
            country=self.request.query_params.get("country") or None,
            place=self.request.query_params.get("place") or None,
        )


class MapTravellersView(generics.GenericAPIView):
    """Who is where on a date as GeoJSON, for the map page and a company's GIS tools: the
    same travellers, filters and count as ``/api/locations/``."""

    permission_classes = [IsManager]
    renderer_classes = [GeoJSONRenderer, JSONRenderer]
    filterset_class = None
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("date", str, description="YYYY-MM-DD, default today"),
            OpenApiParameter("country", str),
            OpenApiParameter("place", str),
        ],
        responses={200: dict},
    )
    def get(self, request):
        on = _query_date(request, "date", timezone.localdate())
        collection = selectors.map_travellers(
            on=on,
            country=request.query_params.get("country") or None,
            place=request.query_params.get("place") or None,
            url_for=request.build_absolute_uri,
        )
        return Response(collection)


class LocationsMessageInputSerializer(serializers.Serializer):
    date = BoundedDateField(required=False)
    country = serializers.CharField(required=False, allow_blank=True, default="")
    place = serializers.CharField(required=False, allow_blank=True, default="")
    subject = serializers.CharField(allow_blank=True, trim_whitespace=False)
    message = serializers.CharField(allow_blank=True, trim_whitespace=False)


class LocationsMessageView(generics.GenericAPIView):
    """E-mail the travellers who-is-where lists for a date, country and place (the page's
    "E-mail these travellers" form calls the same service)."""

    permission_classes = [IsManager]
    serializer_class = LocationsMessageInputSerializer

    @extend_schema(
        responses=inline_serializer("LocationsMessageSent", {"sent": serializers.IntegerField()})
    )
    def post(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        sent = services.travellers_message(
            by=request.user,
            on=data.validated_data.get("date") or timezone.localdate(),
            country=data.validated_data["country"] or None,
            place=data.validated_data["place"] or None,
            subject=data.validated_data["subject"],
            message=data.validated_data["message"],
        )
        return Response({"sent": sent}, status=status.HTTP_202_ACCEPTED)


class ComplianceView(generics.GenericAPIView):
    """Upcoming departures that are not cleared to travel, with what is missing."""

    permission_classes = [IsManager]
    serializer_class = ComplianceRowSerializer
    # Filtered by the selector itself: no filter backend (nor its schema, which would read
    # the queryset while the schema is built).
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("days", int, description="Look-ahead, default 14"),
            OpenApiParameter("country", str, description="Only trips with a stop in it"),
        ],
        # A paginated list (the schema said one row: schemathesis found the difference).
        responses=ComplianceRowSerializer(many=True),
    )
    def get(self, request):
        days = compliance_days(request.query_params)
        country = (request.query_params.get("country") or "").strip().upper()
        rows = selectors.compliance_report(
            today=timezone.localdate(), days=days, country=country or None
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ComplianceRowSerializer(page, many=True).data)


def _idempotency_key(request) -> uuid.UUID | None:
    value = request.headers.get("Idempotency-Key", "").strip()
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise serializers.ValidationError(
            {"Idempotency-Key": ["Send a UUID, as 3f2b8c1e-5d4a-4e0b-9a57-1c2d3e4f5a6b."]}
        ) from None
