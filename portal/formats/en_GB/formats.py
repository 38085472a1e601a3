"""British English as the portal writes dates: "Tue 8 Dec 2026" (core.lib.dates.day_text).
Only what is shown is set; the input formats stay Django's own for en_GB."""

DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i T"
SHORT_DATE_FORMAT = "D j M Y"
SHORT_DATETIME_FORMAT = "D j M Y, H:i T"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
