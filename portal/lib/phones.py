"""Phone numbers as a traveller abroad must dial them: the international form first (it works
from any phone, including a foreign SIM), with the form dialled inside the country beside it.

Curated numbers are typed as the source prints them ("8-717-270-2100", domestic), so each is
read in its country's numbering plan (libphonenumber, through `phonenumbers`). A short number
(102, 112) only works inside the country and has no international form; anything the library
cannot read is shown exactly as typed rather than dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, shortnumberinfo


@dataclass(frozen=True)
class PhoneDisplay:
    typed: str
    # "+7 7172 70 21 00"; empty for a short number or one that cannot be read.
    international: str = ""
    # "8 (7172) 70 21 00", or "102" for a short number: what to dial inside the country.
    local: str = ""
    # "+77172702100" for a tel: link; empty when there is no international form.
    dial: str = ""
    region: str = ""

    @property
    def is_short(self) -> bool:
        return not self.international and bool(self.local)

    def __str__(self) -> str:
        """One line for plain text (e-mails, CSV)."""
        if self.international and self.local and self.local != self.international:
            return f"{self.international} (locally {self.local})"
        if self.is_short:
            return f"{self.local} (local short number)"
        return self.international or self.typed


def phone_display(number: str, *, region: str | None = None) -> PhoneDisplay:
    """How to show `number`, read as dialled in `region` (ISO alpha-2) unless it starts with +."""
    typed = (number or "").strip()
    if not typed:
        return PhoneDisplay(typed="")
    region = (region or "").upper() or None
    try:
        parsed = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        return PhoneDisplay(typed=typed)
    if region and shortnumberinfo.is_valid_short_number_for_region(parsed, region):
        return PhoneDisplay(typed=typed, local=typed, region=region)
    if not phonenumbers.is_valid_number(parsed):
        return PhoneDisplay(typed=typed)
    number_region = phonenumbers.region_code_for_number(parsed) or ""
    return PhoneDisplay(
        typed=typed,
        international=phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL),
        local=phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL),
        dial=phonenumbers.format_number(parsed, PhoneNumberFormat.E164),
        region=number_region,
    )


def international_phone_problem(number: str) -> str | None:
    """Why `number` is not a full international number (None when it is): a number given to
    people calling from anywhere must carry its country code."""
    typed = (number or "").strip()
    if not typed.startswith("+"):
        return "Give the number in international form, starting with + and the country code."
    try:
        parsed = phonenumbers.parse(typed, None)
    except phonenumbers.NumberParseException:
        return "This is not a phone number."
    if not phonenumbers.is_valid_number(parsed):
        return "This is not a valid phone number for its country code."
    return None
