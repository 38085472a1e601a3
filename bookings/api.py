"""The bookings API (contracts.md): the feed's door, the unassigned queue, flights. Thin views
over bookings.services and bookings.selectors."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings import selectors, services
from bookings.models import Booking, Segment
from core import roles
from core.lib.dates import parse_iso_date


class MayPostBookings(permissions.BasePermission):
    message = "Only the booking feed and security managers may post bookings."

    def has_permission(self, request, view) -> bool:
        return roles.is_booking_feed(request.user) or roles.is_manager(request.user)


class HandlesBookings(permissions.BasePermission):
    message = "Only security managers and travel arrangers handle waiting bookings."

    def has_permission(self, request, view) -> bool:
        return roles.is_manager(request.user) or roles.is_arranger(request.user)


class IsManager(permissions.BasePermission):
    message = "Only security managers may do this."

    def has_permission(self, request, view) -> bool:
        return roles.is_manager(request.user)


RESULT = inline_serializer(
    "BookingResult",
    {
        "booking": serializers.IntegerField(),
        "trip": serializers.IntegerField(allow_null=True),
        "status": serializers.CharField(),
    },
)


def result_body(result: services.BookingResult) -> dict[str, Any]:
    return {
        "booking": result.booking.pk,
        "trip": result.trip.pk if result.trip else None,
        "status": result.status,
    }


class BookingFeedView(APIView):
    """One booking in our JSON: 201 when new, 200 when its reference and source are known."""

    permission_classes = [permissions.IsAuthenticated, MayPostBookings]

    @extend_schema(
        request=inline_serializer(
            "Booking",
            {
                "reference": serializers.CharField(),
                "source": serializers.CharField(),
                "status": serializers.ChoiceField(["confirmed", "cancelled"]),
                "traveller": serializers.DictField(),
                "segments": serializers.ListField(child=serializers.DictField()),
            },
        ),
        responses={201: RESULT, 200: RESULT},
    )
    def post(self, request):
        result = services.booking_receive(
            payload=request.data, by=request.user, door="feed", raw=_raw(request)
        )
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(result_body(result), status=code)


def _raw(request) -> str:
    # The body as received is gone once the parser has read it; its JSON is what arrived.
    return json.dumps(request.data, ensure_ascii=False, default=str)


class WaitingBookingSerializer(serializers.ModelSerializer):
    traveller = serializers.SerializerMethodField()
    reason = serializers.CharField(source="unassigned_reason")
    segments = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "reference",
            "source",
            "status",
            "door",
            "sender_email",
            "traveller",
            "reason",
            "segments",
            "received_at",
        ]

    def get_traveller(self, booking: Booking) -> dict[str, str]:
        return {"email": booking.traveller_email, "name": booking.traveller_name}

    def get_segments(self, booking: Booking) -> list[dict[str, Any]]:
        return list(booking.payload.get("segments", []))


class UnassignedBookingsView(generics.ListAPIView):
    serializer_class = WaitingBookingSerializer
    permission_classes = [permissions.IsAuthenticated, HandlesBookings]
    filterset_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Booking.objects.none()
        return selectors.bookings_waiting_for(self.request.user).order_by("received_at", "pk")


class AssignInputSerializer(serializers.Serializer):
    traveller = serializers.CharField(required=False, max_length=150)
    dismiss = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if attrs.get("dismiss") == bool(attrs.get("traveller")):
            raise serializers.ValidationError(
                {"traveller": ['Give a traveller\'s username, or "dismiss": true.']}
            )
        return attrs


class AssignBookingView(APIView):
    permission_classes = [permissions.IsAuthenticated, HandlesBookings]

    @extend_schema(request=AssignInputSerializer, responses=RESULT)
    def post(self, request, pk: int):
        booking = get_object_or_404(selectors.bookings_waiting_for(request.user), pk=pk)
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["dismiss"]:
            result = services.booking_dismiss(booking=booking, by=request.user)
        else:
            traveller = User.objects.filter(
                username=data.validated_data["traveller"], is_active=True
            ).first()
            if traveller is None:
                raise serializers.ValidationError({"traveller": ["No such traveller."]})
            result = services.booking_assign(booking=booking, traveller=traveller, by=request.user)
        return Response(result_body(result))


class FlightPassengerSerializer(serializers.Serializer):
    traveller = serializers.CharField(source="booking.trip.traveller.username")
    trip = serializers.IntegerField(source="booking.trip_id")
    carrier = serializers.CharField()
    number = serializers.CharField()
    origin = serializers.CharField(source="from_code")
    destination = serializers.CharField(source="to_code")
    departs = serializers.CharField(source="departs_local")
    arrives = serializers.CharField(source="arrives_local")
    phone = serializers.SerializerMethodField()

    def get_phone(self, segment: Segment) -> str:
        assert segment.booking.trip is not None
        profile = getattr(segment.booking.trip.traveller, "profile", None)
        return profile.phone if profile else ""

    def to_representation(self, instance):
        body = super().to_representation(instance)
        # "from" is a Python keyword: the contract's names are set here.
        body["from"] = body.pop("origin")
        body["to"] = body.pop("destination")
        return body


class FlightsView(generics.ListAPIView):
    """Who is on a flight on a day (contracts.md: "who is on KC 942 today?")."""

    serializer_class = FlightPassengerSerializer
    permission_classes = [permissions.IsAuthenticated, IsManager]
    filterset_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("carrier", str, required=True),
            OpenApiParameter("number", str, required=True),
            OpenApiParameter("date", str, description="YYYY-MM-DD, default today"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Segment.objects.none()
        params = self.request.query_params
        errors: dict[str, list[str]] = {}
        carrier, number = params.get("carrier", "").strip(), params.get("number", "").strip()
        if not carrier or len(carrier) > 3:
            errors["carrier"] = ["Give the airline's code (KC)."]
        if not number or len(number) > 5:
            errors["number"] = ["Give the flight number (942)."]
        on = timezone.localdate()
        if params.get("date"):
            try:
                on = parse_iso_date(params["date"], today=timezone.localdate())
            except ValueError as error:
                errors["date"] = [str(error)]
        if errors:
            raise serializers.ValidationError(errors)
        return selectors.flight_passengers(carrier=carrier, number=number, on=on)
