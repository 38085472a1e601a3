"""Phone numbers as a traveller abroad must dial them: the international form first (it works
from any phone, including a foreign SIM), with the form dialled inside the country beside it.

Curated numbers are typed as the source prints them ("8-717-270-2100", domestic), so each is
read in its country's numbering plan (libphonenumber, through `phonenumbers`). A short number
(102, 112) only works inside the country and has no international form; anything the library
cannot read is shown exactly as typed rather than dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberFormat, shortnumberinfo

LOCAL_SHORT_NUMBER = re.compile(r"[0-9]{2,6}")


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


def dialable_problem(number: str, *, region: str | None = None) -> str | None:
    """Why `number` cannot be dialled in `region`'s numbering plan (None when it can): a full
    number (international, or national for that region) or one of the region's short numbers
    (102, 112). Curated emergency numbers are typed as their sources print them."""
    typed = (number or "").strip()
    region = (region or "").upper() or None
    try:
        parsed = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        return "This is not a phone number."
    if region and shortnumberinfo.is_valid_short_number_for_region(parsed, region):
        return None
    if phonenumbers.is_valid_number(parsed):
        return None
    if region and LOCAL_SHORT_NUMBER.fullmatch(typed):
        # libphonenumber's short-number lists miss local services (Almaty's mountain rescue,
        # 109): a plain 2-6 digit number is taken as a local short number, as sources print it.
        return None
    if region:
        return f"This is not a valid phone number in {region} (nor one of its short numbers)."
    return "This is not a valid phone number for its country code."


def personal_phone(number: str, *, region: str | None = None) -> str:
    """A traveller's own number in international form ("+44 7700 900123"), read in `region`'s
    plan (their nationality) when typed without a country code; ValueError saying why when it
    is not a number anyone could call from abroad."""
    typed = (number or "").strip()
    region = (region or "").upper() or None
    try:
        parsed = phonenumbers.parse(typed, region)
    except phonenumbers.NumberParseException:
        if not typed.startswith("+") and region is None:
            raise ValueError(
                "Give the number in international form, starting with + and the country code."
            ) from None
        raise ValueError("This is not a phone number.") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError(
            "This is not a valid phone number: give it with its country code, as +44 20 7946 0000."
        )
    return phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
