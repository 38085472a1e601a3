"""The safety-check API (contracts.md): thin views over incidents.checks.services and
incidents.checks.selectors. Managers start, read, record, handle and close; a traveller
answers the checks that ask them and lists them under /api/me/checks/."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from core.audit import client_ip
from core.parsers import NOT_AN_OBJECT
from core.permissions import IsManager
from incidents.checks import selectors as check_selectors
from incidents.checks import services as check_services
from incidents.models import AnswerChannel, CheckAnswer, CheckRecipient, SafetyCheck
from incidents.selectors import incidents_visible_to


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise serializers.ValidationError({"non_field_errors": [NOT_AN_OBJECT]})
    return request.data


def _visible_check(request, pk: int) -> SafetyCheck:
    return get_object_or_404(
        check_selectors.checks_visible_to(request.user).select_related("incident"), pk=pk
    )


class CheckStartInputSerializer(serializers.Serializer):
    interval_minutes = serializers.IntegerField(required=False)
    cycles = serializers.IntegerField(required=False)


class CheckStartedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    incident = serializers.IntegerField()
    recipients = serializers.IntegerField()


class AnswerSerializer(serializers.ModelSerializer):
    answered_at = serializers.DateTimeField(source="created_at")
    by = serializers.SerializerMethodField()

    class Meta:
        model = CheckAnswer
        fields = ["id", "status", "channel", "note", "answered_at", "by"]

    def get_by(self, answer) -> str | None:
        """Who gave it: the manager who took the call, or whoever was signed in (null: the
        traveller's own link, nobody signed in)."""
        return answer.recorded_by.username if answer.recorded_by else None


class RecipientSerializer(serializers.ModelSerializer):
    traveller = serializers.CharField(source="traveller.username")
    traveller_name = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    emergency_contact = serializers.SerializerMethodField()
    place = serializers.SerializerMethodField()
    channel = serializers.SerializerMethodField()
    handled_by = serializers.SerializerMethodField()
    times_asked = serializers.IntegerField(source="delivered_cycle")
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = CheckRecipient
        fields = [
            "id",
            "traveller",
            "traveller_name",
            "status",
            "answered_at",
            "channel",
            "note",
            "handled",
            "handled_note",
            "handled_by",
            "handled_at",
            "phone",
            "emergency_contact",
            "trip",
            "place",
            "match",
            "times_asked",
            "answers",
        ]

    def get_traveller_name(self, recipient) -> str:
        return recipient.traveller.get_full_name() or recipient.traveller.username

    def _profile(self, recipient):
        return getattr(recipient.traveller, "profile", None)

    def get_phone(self, recipient) -> str:
        profile = self._profile(recipient)
        return profile.phone if profile else ""

    def get_emergency_contact(self, recipient) -> str:
        profile = self._profile(recipient)
        if profile is None:
            return ""
        return " ".join(
            part
            for part in (profile.emergency_contact_name, profile.emergency_contact_phone)
            if part
        )

    def get_place(self, recipient) -> str:
        stop = recipient.stop
        if stop is None:
            return ""
        return stop.place_label

    def get_channel(self, recipient) -> str | None:
        return recipient.channel or None

    def get_handled_by(self, recipient) -> str | None:
        return recipient.handled_by.username if recipient.handled_by else None


class CountsSerializer(serializers.Serializer):
    safe = serializers.IntegerField()
    need_help = serializers.IntegerField()
    no_answer = serializers.IntegerField()


class CheckSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="check.pk")
    incident = serializers.IntegerField(source="check.incident_id")
    incident_title = serializers.CharField(source="check.incident.title")
    status = serializers.CharField(source="check.status")
    interval_minutes = serializers.IntegerField(source="check.interval_minutes")
    cycles = serializers.IntegerField(source="check.cycles")
    cycle = serializers.IntegerField(source="check.cycle")
    started_at = serializers.DateTimeField(source="check.started_at")
    closed_at = serializers.DateTimeField(source="check.closed_at", allow_null=True)
    escalated_at = serializers.DateTimeField(source="check.escalated_at", allow_null=True)
    counts = CountsSerializer()
    recipients = RecipientSerializer(many=True, required=False)


def check_document(check: SafetyCheck, *, with_recipients: bool = True) -> dict:
    body = {"check": check, "counts": check_selectors.check_counts(check=check)}
    if with_recipients:
        body["recipients"] = check_selectors.check_recipients(check=check)
    return CheckSerializer(body).data


class AnswerInputSerializer(serializers.Serializer):
    status = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True)


class MyAnswerSerializer(serializers.ModelSerializer):
    check = serializers.IntegerField(source="safety_check_id")
    incident = serializers.IntegerField(source="safety_check.incident_id")
    incident_title = serializers.CharField(source="safety_check.incident.title")
    check_status = serializers.CharField(source="safety_check.status")
    channel = serializers.SerializerMethodField()

    class Meta:
        model = CheckRecipient
        fields = [
            "check",
            "incident",
            "incident_title",
            "check_status",
            "status",
            "answered_at",
            "channel",
            "note",
        ]

    def get_channel(self, recipient) -> str | None:
        return recipient.channel or None


class IncidentChecksView(APIView):
    """POST: start a safety check for the incident (201); 409 while one is open."""

    permission_classes = [IsManager]

    @extend_schema(request=CheckStartInputSerializer, responses={201: CheckStartedSerializer})
    def post(self, request, pk: int) -> Response:
        incident = get_object_or_404(incidents_visible_to(request.user), pk=pk)
        data = _body(request)
        check = check_services.check_start(
            incident=incident,
            by=request.user,
            interval_minutes=data.get("interval_minutes"),
            cycles=data.get("cycles"),
        )
        return Response(
            {
                "id": check.pk,
                "incident": incident.pk,
                "recipients": check.recipients.count(),
            },
            status=status.HTTP_201_CREATED,
        )


class CheckDetailView(APIView):
    """The check with its live counts and its recipients (need help first, then the silent,
    then the safe); ``?recipients=0`` leaves the list out (the panel's poll)."""

    permission_classes = [IsManager]

    @extend_schema(
        parameters=[OpenApiParameter("recipients", str, description="0 to omit the list")],
        responses=CheckSerializer,
    )
    def get(self, request, pk: int) -> Response:
        check = _visible_check(request, pk)
        with_recipients = request.query_params.get("recipients", "1") != "0"
        response = Response(check_document(check, with_recipients=with_recipients))
        response["Cache-Control"] = "private, no-store"
        return response


class CheckAnswerView(APIView):
    """A recipient answers: ``{"status": "safe"|"need_help", "note"?}``. Anyone else: 404."""

    @extend_schema(request=AnswerInputSerializer, responses=MyAnswerSerializer)
    def post(self, request, pk: int) -> Response:
        recipient = check_selectors.recipient_of(user=request.user, check_id=pk)
        if recipient is None:
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        data = _body(request)
        check_services.check_answer(
            recipient=recipient,
            status=data.get("status"),
            note=data.get("note", ""),
            channel=AnswerChannel.API,
            ip=client_ip(request),
            by=request.user,
        )
        recipient = check_selectors.recipient_of(user=request.user, check_id=pk)
        return Response(MyAnswerSerializer(recipient).data)


class RecipientUpdateInputSerializer(serializers.Serializer):
    status = serializers.CharField(required=False)
    handled = serializers.BooleanField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    handled_note = serializers.CharField(required=False, allow_blank=True)


class CheckRecipientView(APIView):
    """A manager records an answer received by phone and/or marks a call for help handled:
    ``{"status"?, "handled"?, "note"?, "handled_note"?}``. A phone answer is a new answer
    beside the traveller's own (``note`` is what was said on the phone); ``handled_note``
    is the handling's (``note`` when only a handling is given)."""

    permission_classes = [IsManager]

    @extend_schema(request=RecipientUpdateInputSerializer, responses=RecipientSerializer)
    def post(self, request, pk: int, rid: int) -> Response:
        check = _visible_check(request, pk)
        recipient = get_object_or_404(
            CheckRecipient.objects.select_related("traveller"), pk=rid, safety_check=check
        )
        data = _body(request)
        check_services.check_recipient_update(
            recipient=recipient,
            by=request.user,
            status=data.get("status"),
            handled=data.get("handled"),
            note=data.get("note"),
            handled_note=data.get("handled_note"),
            ip=client_ip(request),
        )
        fresh = check_selectors.check_recipients(check=check).get(pk=rid)
        return Response(RecipientSerializer(fresh).data)


class CheckCloseView(APIView):
    permission_classes = [IsManager]

    @extend_schema(request=None, responses=CheckSerializer)
    def post(self, request, pk: int) -> Response:
        check = check_services.check_close(
            check=_visible_check(request, pk), by=request.user, ip=client_ip(request)
        )
        return Response(check_document(check, with_recipients=False))


class MyChecksView(generics.ListAPIView):
    """The open safety checks that ask me, with my current answer."""

    serializer_class = MyAnswerSerializer
    filterset_class = None
    queryset = CheckRecipient.objects.none()  # for the schema; the rows come from the selector

    def get_queryset(self):
        return check_selectors.checks_asking(user=self.request.user)
