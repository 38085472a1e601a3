"""Writing to the audit trail: the one function every service calls."""

from __future__ import annotations

import hashlib
import re
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction

from core.models import AuditEntry

# The IP of the request being served (set by AuditRequestMiddleware), so that every entry a
# service writes during a request carries it without each view passing it down. Celery tasks
# and commands have no request: their entries have no IP.
request_ip: ContextVar[str | None] = ContextVar("audit_request_ip", default=None)
# What acts when no user does (a hazard feed, by its name): set around its work, and written
# as ``via`` in the details of every entry without an actor meanwhile (incidents.feeds).
acting_as: ContextVar[str | None] = ContextVar("audit_acting_as", default=None)


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


# The trail names an object by its model's label, and the trail is never rewritten: the models
# that moved from `portal` to `core` (issue 24) keep the name their earlier entries carry, so
# one filter or CSV column finds all of an object's history.
STORED_OBJECT_TYPES = {
    f"core.{model}": f"portal.{model}"
    for model in ("travellerprofile", "auditentry", "outboxmessage", "companysettings")
}


def object_type(obj: models.Model) -> str:
    label = obj._meta.label_lower
    return STORED_OBJECT_TYPES.get(label, label)


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    actor = actor if getattr(actor, "is_authenticated", False) else None
    if actor is None and (via := acting_as.get()):
        details = {**(details or {}), "via": via}
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        object_type=object_type(obj) if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        ip=ip or request_ip.get(),
        details=details or {},
    )


# --- redaction: the one exception to an append-only trail (portal.privacy) ---------------

# Keys of an entry's details that name a person by username: one name, or a list of names.
AUDIT_PERSON_KEYS = frozenset(
    {"traveller", "username", "recipients", "without_email", "answered_for"}
)
# Keys that carry what someone wrote about a person or their trip (a tick's or a handling
# note, a purpose, a comment, the requirement a tick was about) or stands for their address.
# They leave an entry once the person or the trip it is about is erased; the event stays.
AUDIT_TEXT_KEYS = frozenset({"purpose", "note", "comment", "title", "email_sha256"})


def audit_redact(entries: models.QuerySet[AuditEntry], **fields: Any) -> int:
    """Rewrite only the personal columns (object_repr, details, ip) of some audit entries.

    The trail is append-only (AuditQuerySet refuses update(); on PostgreSQL a trigger refuses
    UPDATE). Redaction is the one exception: the trigger lets an UPDATE through only inside a
    transaction that sets ``portal.audit_redaction`` and only when the actor, action, time and
    object stay as they were (migration 0005), so who did what survives every erasure.
    """
    allowed = {"object_repr", "details", "ip"}
    if set(fields) - allowed:
        raise ValueError(f"Only {sorted(allowed)} may be redacted, not {sorted(fields)}")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('portal.audit_redaction', 'on', true)")
        return models.QuerySet.update(entries, **fields)


def email_digest(email: str) -> str:
    """How the trail names an e-mail address it must not write out (a throttled password
    reset): erasing its owner finds the entries by it."""
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


def details_names(details: dict[str, Any]) -> set[str]:
    """The usernames an entry's details name (AUDIT_PERSON_KEYS)."""
    names: set[str] = set()
    for key in AUDIT_PERSON_KEYS & set(details):
        value = details[key]
        values = value if isinstance(value, list) else [value]
        names.update(item for item in values if isinstance(item, str))
    return names


def details_pseudonymised(
    details: dict[str, Any], *, names: set[str], alias: str
) -> dict[str, Any]:
    """The details with a person's usernames (exactly, in AUDIT_PERSON_KEYS) replaced by their
    pseudonym, and their name or address replaced wherever else it was written out."""
    out: dict[str, Any] = {}
    for key, value in details.items():
        if key in AUDIT_PERSON_KEYS and isinstance(value, list):
            out[key] = [alias if item in names else item for item in value]
        elif key in AUDIT_PERSON_KEYS and value in names:
            out[key] = alias
        else:
            out[key] = text_pseudonymised(value, names=names, alias=alias)
    return out


def _name_pattern(names: set[str]) -> re.Pattern[str]:
    # A name as a whole word of a username or address: "al" is not replaced inside "Annual".
    alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.@+-])(?:{alternatives})(?![\w@+-]|\.\w)")


def text_names(value: str, names: set[str]) -> bool:
    """Whether ``value`` writes out one of ``names`` (as text_pseudonymised would replace it)."""
    return bool(names) and _name_pattern(names).search(value) is not None


def text_pseudonymised(value: Any, *, names: set[str], alias: str) -> Any:
    """``value`` (text, or lists and dicts of it) with each of ``names`` written out as a whole
    word replaced by ``alias``."""
    if not names:
        return value
    if isinstance(value, str):
        return _name_pattern(names).sub(alias, value)
    if isinstance(value, list):
        return [text_pseudonymised(item, names=names, alias=alias) for item in value]
    if isinstance(value, dict):
        return {
            key: text_pseudonymised(item, names=names, alias=alias) for key, item in value.items()
        }
    return value


def details_without_text(details: dict[str, Any]) -> dict[str, Any]:
    """The details without what was written about a person or trip (AUDIT_TEXT_KEYS)."""
    return {key: value for key, value in details.items() if key not in AUDIT_TEXT_KEYS}
