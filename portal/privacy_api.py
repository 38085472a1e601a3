"""/api/me/data/: everything the portal holds about me. In the roof, since the export
reads every app (portal.privacy)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import privacy


class MyDataView(APIView):
    """Everything the portal holds about me (portal.privacy.personal_data_export)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        document = privacy.personal_data_export(user=request.user)
        privacy.personal_data_exported(user=request.user)
        response = Response(document)
        response["Cache-Control"] = "private, no-store"
        return response
