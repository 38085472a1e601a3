"""Writing to the audit trail: the one function every service calls."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import models

from portal.models import AuditEntry

# The IP of the request being served (set by AuditRequestMiddleware), so that every entry a
# service writes during a request carries it without each view passing it down. Celery tasks
# and commands have no request: their entries have no IP.
request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)


def client_ip(request) -> str | None:
    """The address of the person making the request, for the audit trail and the login lockout.

    Behind TRUSTED_PROXY_COUNT reverse proxies, each of which appends the address it received
    the request from to X-Forwarded-For, the client is the entry that many places from the
    right: entries further left were sent by the client itself and prove nothing. With no
    proxy configured the header is ignored (anyone can send one) and REMOTE_ADDR is used.
    """
    if request is None:
        return None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


class AuditRequestMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            request_ip.reset(token)


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        ip=ip or request_ip.get(),
        details=details or {},
    )
