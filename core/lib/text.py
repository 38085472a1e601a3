"""Free text typed by people (a trip's purpose and places, comments, reasons, notes, profile
fields): one rule for the models, forms, serializers and services that take it.

Refused: control characters (a line break in a one-line field splits e-mail subjects, CSV
rows and the briefing's layout; NUL and the rest are never text), Unicode's line and paragraph
separators in one-line fields, and the bidirectional embedding, override and isolate controls
(U+202A-U+202E, U+2066-U+2069), which make text read differently from how it is stored
("Trojan Source"). The directional marks (LRM, RLM, ALM) stay: right-to-left writing needs
them and they cannot reorder anything.

Required text must show something: white space, zero-width and other format characters
(U+200B, U+200C, U+200D, U+2060, U+FEFF, the soft hyphen...), combining marks with nothing to
combine with and the blank "letters" (Hangul fillers, the blank Braille pattern) do not count
(``has_visible_text``): a purpose of zero-width spaces looks empty everywhere it is shown.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_SEPARATORS = frozenset("\u2028\u2029")
MULTILINE_ALLOWED = frozenset("\n\r\t")

BIDI_MESSAGE = "Remove the invisible characters that change the direction of the text."
ONE_LINE_MESSAGE = "Write this on one line, without control characters."
CONTROL_MESSAGE = "Remove the control characters."
NUL_MESSAGE = "Null characters are not allowed."  # Django's own words for it


# Letters in Unicode's eyes that print as nothing.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Format characters (zero-width spaces and joiners, the BOM, the soft hyphen), separators and
# controls, and combining marks, which show only on a character before them.
INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Me"})


def has_visible_text(value: str) -> bool:
    """Whether `value` shows anything: a character that is not white space, a format or
    control character, a lone combining mark or a blank letter."""
    return any(
        not char.isspace()
        and char not in BLANK_LETTERS
        and unicodedata.category(char) not in INVISIBLE_CATEGORIES
        for char in value
    )


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with `value` as typed text, in words for the person who typed it; None
    when nothing is."""
    for char in value:
        if char in BIDI_CONTROLS:
            return BIDI_MESSAGE
        if multiline and char in MULTILINE_ALLOWED:
            continue
        if char == "\x00":
            return NUL_MESSAGE
        if char in LINE_SEPARATORS or unicodedata.category(char) == "Cc":
            return CONTROL_MESSAGE if multiline else ONE_LINE_MESSAGE
    return None


@deconstructible
class PlainTextValidator:
    """A validator for Django model and form fields and DRF serializer fields."""

    code = "control_characters"

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: object) -> None:
        if not isinstance(value, str):
            return
        problem = text_problem(value, multiline=self.multiline)
        if problem:
            raise ValidationError(problem, code=self.code)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PlainTextValidator) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((type(self), self.multiline))


one_line_text = PlainTextValidator()
multiline_text = PlainTextValidator(multiline=True)
