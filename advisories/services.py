"""Writes to curated content: publishing a country's draft as an immutable version."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from advisories.models import AdvisoryVersion, Country
from advisories.selectors import advisory_snapshot, material_changes, snapshot_hash
from advisories.signals import content_changed
from core.audit import audit_record
from core.errors import DomainError


class NothingToPublish(DomainError):
    status_code = 409


def advisory_publish(
    *,
    country: Country,
    by: Any,
    change_note: str,
    material: bool,
    ip: str | None = None,
) -> AdvisoryVersion:
    """Freeze the country's draft content into its next AdvisoryVersion and make it the one
    everybody sees.

    Raises DomainError without a change note, without an advisory, or when the draft is
    identical to the last version (a version must mean a change). The version is material
    when ``material`` is ticked or when ``material_changes`` finds a change that alters what
    travellers are told, whatever the tick (product.md). A material version is
    announced with ``advisories.signals.content_changed`` inside the publishing transaction.
    """
    change_note = (change_note or "").strip()
    if not change_note:
        raise DomainError("A change note is required to publish.")

    with transaction.atomic():
        # The row lock serialises two publishers of one country, so version numbers never
        # collide (the unique constraint would turn a race into an error instead).
        locked = Country.objects.select_for_update().get(pk=country.pk)
        snapshot = advisory_snapshot(locked)
        if snapshot is None:
            raise DomainError(f"{locked.name} has no advisory to publish.")
        content_hash = snapshot_hash(snapshot)
        latest = (
            AdvisoryVersion.objects.filter(country=locked)
            .order_by("-number")
            .only("number", "content_hash", "content")
            .first()
        )
        if latest is not None and latest.content_hash == content_hash:
            raise NothingToPublish(
                f"Nothing changed in {locked.name} since version {latest.number}: "
                "there is nothing to publish."
            )
        # Materiality is derived: the tick only makes an editorial change material too.
        reasons = material_changes(latest.content if latest else None, snapshot)
        material = material or bool(reasons)
        version = AdvisoryVersion.objects.create(
            country=locked,
            number=(latest.number if latest else 0) + 1,
            published_by=by if getattr(by, "is_authenticated", False) else None,
            change_note=change_note,
            material=material,
            level=snapshot["advisory"]["level"],
            content=snapshot,
            content_hash=content_hash,
        )
        locked.published = version
        locked.save(update_fields=["published"])
        country.published = version
        audit_record(
            actor=by,
            action="advisory.published",
            obj=version,
            ip=ip,
            details={
                "country": locked.code,
                "number": version.number,
                "material": material,
                "material_changes": reasons,
                "change_note": change_note,
                "content_hash": content_hash,
            },
        )
        if material:
            # Inside the transaction: listeners record their follow-up work (an outbox
            # message) with the version, so a publication never commits without it.
            content_changed.send(sender=AdvisoryVersion, country_code=locked.code, version=version)
    return version
