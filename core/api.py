"""What every API module shares: the exception handler that maps domain errors to HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth import authenticate
from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from core import accounts
from core.errors import DomainError
from core.lib.countries import is_country_code
from core.lib.dates import DateBounds, birth_dates, portal_dates
from core.models import TravellerProfile
from core.parsers import NOT_AN_OBJECT, JSONObjectParser
from core.roles import user_roles
from core.services import PROFILE_FIELDS, profile_update
from core.throttling import AddressThrottle, TokenThrottle

REQUEST_TOO_LARGE = "The request body is too large."


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        # Over DATA_UPLOAD_MAX_MEMORY_SIZE: Django raises it as the view reads the body; it
        # would otherwise leave the API for Django's HTML 400 page.
        return Response(
            {"detail": REQUEST_TOO_LARGE}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, TooManyFieldsSent):
        return Response(
            {"non_field_errors": ["The form has too many fields."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, ParseError):
        # A body we cannot read is bad input like any other: the 400 shape of contracts.md.
        return Response({"non_field_errors": [str(exc.detail)]}, status=exc.status_code)
    if isinstance(exc, DomainError):
        # Input errors carry DRF-shaped field errors; the rest a single detail message.
        body = getattr(exc, "errors", None) or {"detail": str(exc)}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            body = {
                field: [m for e in errors for m in e.messages]
                for field, errors in exc.error_dict.items()
            }
        else:
            body = {"non_field_errors": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


# --- dates that come in -------------------------------------------------------------------


class GeoJSONRenderer(JSONRenderer):
    """GeoJSON's own media type (RFC 7946), what GIS tools expect; the views that use it offer
    plain JSON too, for a client that asks for application/json."""

    media_type = "application/geo+json"
    format = "geojson"


class BoundedDateField(serializers.DateField):
    """A YYYY-MM-DD date within ``bounds`` (core.lib.dates: the portal's horizon unless
    told otherwise), else a field error: DRF's DateField alone takes 0001-01-01 and
    9999-12-31, which later date arithmetic cannot shift."""

    def __init__(self, *, bounds: Callable[[dt.date], DateBounds] = portal_dates, **kwargs):
        self.bounds = bounds
        super().__init__(**kwargs)

    def to_internal_value(self, value) -> dt.date:
        day = super().to_internal_value(value)
        if problem := self.bounds(timezone.localdate()).problem(day):
            raise serializers.ValidationError(problem)
        return day


class StrictCharField(serializers.CharField):
    """Text that must come as a JSON string: DRF's CharField turns 42 or true into "42" and
    "True", which is not what anyone typed as a reason."""

    default_error_messages = {"not_a_string": "Write it as text (a JSON string)."}

    def to_internal_value(self, data) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


# --- /api/me/ ------------------------------------------------------------------------------


class ProfileSerializer(serializers.ModelSerializer):
    date_of_birth = BoundedDateField(bounds=birth_dates, required=False, allow_null=True)

    class Meta:
        model = TravellerProfile
        fields = list(PROFILE_FIELDS)  # what profile_update takes

    def validate_nationality(self, value: str) -> str:
        value = (value or "").upper()
        if value and not is_country_code(value):
            raise serializers.ValidationError(f"Unknown country code {value!r}.")
        return value


class MeSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    roles = serializers.SerializerMethodField()
    profile = ProfileSerializer()

    def get_roles(self, user) -> list[str]:
        return sorted(user_roles(user))


class MeView(generics.RetrieveUpdateAPIView):
    serializer_class = MeSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return self.request.user

    def patch(self, request, *args, **kwargs):
        profile = request.data.get("profile", {})
        if not isinstance(profile, dict):
            raise serializers.ValidationError({"profile": [NOT_AN_OBJECT]})
        data = ProfileSerializer(request.user.profile, data=profile, partial=True)
        data.is_valid(raise_exception=True)
        profile_update(user=request.user, **data.validated_data)
        request.user.refresh_from_db()
        return Response(MeSerializer(request.user).data)


# --- API tokens: /api/auth/token/, /api/auth/tokens/ ----------------------------------------


BAD_CREDENTIALS = "Unable to log in with provided credentials."


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=False)
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class TokenSerializer(serializers.Serializer):
    id = serializers.SerializerMethodField()
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()
    current = serializers.SerializerMethodField()

    def get_id(self, token) -> str:
        return accounts.token_id(token)

    def get_current(self, token) -> bool:
        """Whether this request came with this token."""
        return getattr(self.context.get("request"), "auth", None) == token


class NewTokenSerializer(TokenSerializer):
    token = serializers.SerializerMethodField()

    def get_token(self, token) -> str:
        """The token itself: shown this once, never stored (knox keeps a digest)."""
        return self.context["key"]


class TokenObtainView(APIView):
    """A username and password for an API token (`Authorization: Token ...`), valid for
    API_TOKEN_TTL_HOURS. Failed attempts count towards the login lockout (django-axes)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    # The project's JSON parser (a body that is not an object, or is nested without end, is
    # a 400), and no multipart: nobody uploads files to get a token.
    parser_classes = [JSONObjectParser, FormParser]
    throttle_classes = [TokenThrottle, AddressThrottle]

    @extend_schema(request=CredentialsSerializer, responses=NewTokenSerializer)
    def post(self, request):
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # Django's request, not DRF's wrapper: django-axes marks a locked-out attempt on it,
        # and its middleware turns that mark into the lockout response.
        user = authenticate(request=request._request, **credentials.validated_data)
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": [BAD_CREDENTIALS]})
        instance, key = accounts.token_create(user=user)
        return Response(NewTokenSerializer(instance, context={"key": key}).data)


class TokenListView(generics.ListAPIView):
    """My API tokens that still work (never the tokens themselves), newest first."""

    serializer_class = TokenSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is built with no user
            return AuthToken.objects.none()
        return accounts.tokens_of(user=self.request.user)


class TokenRevokeView(APIView):
    """DELETE one of my tokens: it stops working at once."""

    @extend_schema(responses={204: None})
    def delete(self, request, token_id: str):
        accounts.token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
