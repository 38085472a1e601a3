from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from core.models import TravellerProfile

# What a traveller edits of their own profile, in the order the page and /api/me/ show it.
PROFILE_FIELDS = (
    "nationality",
    "passport_type",
    "date_of_birth",
    "department",
    "phone",
    "emergency_contact_name",
    "emergency_contact_phone",
)


def profile_update(*, user: User, **fields: Any) -> TravellerProfile:
    """Update the traveller's own profile (the same service for the page and the API)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not profile fields: {sorted(unknown)}")
    profile = user.profile
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean(exclude=["user", "arrangers"])
    profile.save()
    return profile
