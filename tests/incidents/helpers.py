"""Helpers the incident tests share."""

from __future__ import annotations

import datetime as dt

# The incident of most tests: starts on 10 March, open, default lookahead (3 days): it touches
# stops overlapping 10..13 March.
STARTS = dt.date(2027, 3, 10)


def day(n: int) -> dt.date:
    """A March 2027 date."""
    return dt.date(2027, 3, n)
