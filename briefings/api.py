"""The briefings API (contracts.md). Every lookup starts from what the requester may see
(Trip.objects.visible_to), so another user's trip or briefing is a 404."""

from __future__ import annotations

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from briefings import selectors, services
from briefings.models import Briefing
from briefings.serializers import (
    AcknowledgeInputSerializer,
    AcknowledgementSerializer,
    BriefingSerializer,
)
from briefings.views import pdf_response
from core.audit import client_ip
from core.errors import NotAllowed
from trips.models import Trip


def _visible_briefing(request, pk: int) -> Briefing:
    return get_object_or_404(
        Briefing.objects.visible_to(request.user).select_related("trip", "acknowledgement"),
        pk=pk,
    )


class TripBriefingsView(generics.ListCreateAPIView):
    """GET: the trip's briefings, newest first. POST (security managers): request a new
    version now ("re-brief")."""

    serializer_class = BriefingSerializer

    def trip(self) -> Trip:
        return get_object_or_404(
            Trip.objects.visible_to(self.request.user), pk=self.kwargs["trip_id"]
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular's schema generation
            return Briefing.objects.none()
        return selectors.briefings_for_trip(trip=self.trip())

    @extend_schema(request=None, responses={202: BriefingSerializer})
    def post(self, request, *args, **kwargs):
        briefing = services.briefing_rebrief(trip=self.trip(), by=request.user)
        return Response(
            BriefingSerializer(briefing, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )


class BriefingPdfView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, pk: int) -> FileResponse:
        return pdf_response(_visible_briefing(request, pk))


class BriefingAcknowledgeView(APIView):
    @extend_schema(request=AcknowledgeInputSerializer, responses={200: AcknowledgementSerializer})
    def post(self, request, pk: int) -> Response:
        briefing = _visible_briefing(request, pk)
        if briefing.trip.traveller_id != request.user.pk:
            raise NotAllowed("Only the traveller can acknowledge their briefing.")
        data = AcknowledgeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        acknowledgement = services.briefing_acknowledge(
            briefing=briefing,
            user=request.user,
            sha256=data.validated_data["sha256"],
            ip=client_ip(request),
        )
        return Response(AcknowledgementSerializer(acknowledgement).data)


class BriefingRetryView(APIView):
    @extend_schema(request=None, responses={202: BriefingSerializer})
    def post(self, request, pk: int) -> Response:
        briefing = _visible_briefing(request, pk)
        briefing = services.briefing_retry(briefing=briefing, by=request.user)
        return Response(
            BriefingSerializer(briefing, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )
