"""What every API module shares: the exception handler that maps domain errors to HTTP."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from portal.errors import DomainError
from portal.parsers import NOT_AN_OBJECT


def exception_handler(exc, context):
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


# --- /api/me/ ------------------------------------------------------------------------------

from rest_framework import generics, serializers  # noqa: E402

from portal.lib.countries import is_country_code  # noqa: E402
from portal.models import TravellerProfile  # noqa: E402
from portal.roles import user_roles  # noqa: E402


class ProfileSerializer(serializers.ModelSerializer):
    class Meta:
        model = TravellerProfile
        fields = [
            "nationality",
            "passport_type",
            "date_of_birth",
            "department",
            "phone",
            "emergency_contact_name",
            "emergency_contact_phone",
        ]

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
        from portal.services import profile_update

        profile = request.data.get("profile", {})
        if not isinstance(profile, dict):
            raise serializers.ValidationError({"profile": [NOT_AN_OBJECT]})
        data = ProfileSerializer(request.user.profile, data=profile, partial=True)
        data.is_valid(raise_exception=True)
        profile_update(user=request.user, **data.validated_data)
        request.user.refresh_from_db()
        return Response(MeSerializer(request.user).data)
