"""The incidents API (contracts.md): thin views over incidents.services and selectors."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core import roles
from core.api import GeoJSONRenderer
from core.audit import client_ip
from core.lib.dates import parse_iso_date
from incidents import selectors, services
from incidents.checks import selectors as check_selectors
from incidents.models import Incident
from incidents.serializers import (
    ImpactedRowSerializer,
    IncidentInputSerializer,
    IncidentSerializer,
)


class MayDeclareIncidents(permissions.BasePermission):
    message = "Only security managers and content admins may see or declare incidents."

    def has_permission(self, request, view) -> bool:
        return services.may_declare(request.user)


class IsManager(permissions.BasePermission):
    message = "Only security managers may see who an incident touches."

    def has_permission(self, request, view) -> bool:
        return roles.is_manager(request.user)


class IncidentCloseSerializer(serializers.Serializer):
    ends_on = serializers.DateField(required=False, allow_null=True, default=None)


class IncidentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Incidents: declared by security managers and content admins, or posted by a feed (a
    known ``external_id`` of the same ``source`` updates the incident: 200, not 201)."""

    serializer_class = IncidentSerializer
    permission_classes = [MayDeclareIncidents]
    filterset_class = None
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.incidents_list(
            user=self.request.user, search=self.request.query_params.get("search", "")
        )

    def _respond(self, incident: Incident, code: int) -> Response:
        fresh = selectors.incidents_list(user=self.request.user).get(pk=incident.pk)
        return Response(IncidentSerializer(fresh).data, status=code)

    @extend_schema(
        parameters=[OpenApiParameter("search", str, description="title, country or place")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=IncidentInputSerializer,
        responses={201: IncidentSerializer, 200: IncidentSerializer},
    )
    def create(self, request, *args, **kwargs):
        data = IncidentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident, created = services.incident_declare(data=data.to_input(), by=request.user)
        return self._respond(incident, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=IncidentInputSerializer, responses=IncidentSerializer)
    def partial_update(self, request, *args, **kwargs):
        incident = self.get_object()
        current = services.incident_input_of(incident)
        merged = {**vars(current), **request.data}
        data = IncidentInputSerializer(data=merged)
        data.is_valid(raise_exception=True)
        incident = services.incident_update(
            incident=incident, data=data.to_input(), by=request.user
        )
        return self._respond(incident, status.HTTP_200_OK)

    def update(self, request, *args, **kwargs):
        # PUT is not offered (http_method_names); PATCH arrives here with partial=True.
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        parameters=[OpenApiParameter("on", str, description="YYYY-MM-DD, default today")],
        responses=ImpactedRowSerializer(many=True),
    )
    @action(detail=True, methods=["get"], permission_classes=[IsManager])
    def impacted(self, request, pk=None):
        """Who the incident touches as of ``on``: ``there`` first, then ``arriving``, ``left``;
        ``counts`` per presence beside the usual page."""
        incident = self.get_object()
        raw = request.query_params.get("on")
        try:
            on = parse_iso_date(raw, today=timezone.localdate()) if raw else timezone.localdate()
        except ValueError as error:
            raise serializers.ValidationError({"on": [str(error)]}) from None
        rows = selectors.incident_impacted(incident=incident, on=on)
        check_selectors.add_check_status(rows=rows, incident=incident)
        page = self.paginate_queryset(rows)
        response = self.get_paginated_response(ImpactedRowSerializer(page, many=True).data)
        response.data["counts"] = selectors.impacted_counts(rows)
        response.data["on"] = on.isoformat()
        return response

    @extend_schema(request=IncidentCloseSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the incident as of ``ends_on`` (default today): its open check closes and
        everyone alerted or asked gets an all-clear; 409 when it is closed already."""
        incident = self.get_object()
        data = IncidentCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incident = services.incident_close(
            incident=incident,
            by=request.user,
            ends_on=data.validated_data["ends_on"],
            ip=client_ip(request),
        )
        return self._respond(incident, status.HTTP_200_OK)


class MapIncidentsView(APIView):
    """The open incidents as GeoJSON, for the map page and a company's GIS tools."""

    permission_classes = [IsManager]
    renderer_classes = [GeoJSONRenderer, JSONRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("date", str, description="YYYY-MM-DD, default today")],
        responses={200: dict},
    )
    def get(self, request):
        on = timezone.localdate()
        if value := request.query_params.get("date"):
            try:
                on = parse_iso_date(value, today=timezone.localdate())
            except ValueError as error:
                raise serializers.ValidationError({"date": [str(error)]}) from None
        collection = selectors.map_incidents(on=on, url_for=request.build_absolute_uri)
        return Response(collection)
