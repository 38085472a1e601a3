"""Reads of the company's settings (core.models.CompanySettings): the security desk that
every briefing, e-mail and dashboard names."""

from __future__ import annotations

from dataclasses import dataclass

from core.lib.phones import PhoneDisplay, phone_display
from core.models import CompanySettings


@dataclass(frozen=True)
class SecurityDesk:
    phone: PhoneDisplay
    email: str

    @property
    def is_set(self) -> bool:
        return bool(self.phone.typed or self.email)

    @property
    def is_complete(self) -> bool:
        return bool(self.phone.typed and self.email)


def security_desk() -> SecurityDesk:
    """The security desk's 24/7 phone and e-mail, as set in the admin (either may be empty)."""
    row = CompanySettings.objects.filter(pk=1).first()
    if row is None:
        return SecurityDesk(phone=phone_display(""), email="")
    return SecurityDesk(phone=phone_display(row.security_desk_phone), email=row.security_desk_email)
