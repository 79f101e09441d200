"""The limits every value a user gives (the HTTP API, a command's options) is held to, checked
once at the edge, so that nothing later overflows or leaks a Python error:

- dates and datetimes between EARLIEST and LATEST (local wall clock): local-time conversion,
  the rollups' bucket math and a report's previous period (as long again, just before) all
  stay far inside what `datetime` can hold; CDR times are Unix seconds, so nothing is older
  than 1970;
- whole numbers between 0 and MAX_INT, what a BIGINT (and SQLite's INTEGER) holds;
- at most MAX_VALUES comma-separated values in one parameter.

A failed check raises InputError (a ValueError) with one line that names the parameter: the
API answers it as 422, a command prints it and exits 2.
"""

from __future__ import annotations

import math
from datetime import date, datetime

EARLIEST = date(1970, 1, 1)
LATEST = date(2100, 12, 31)
MAX_INT = 2**63 - 1
MAX_VALUES = 100
RANGE_TEXT = f"between {EARLIEST} and {LATEST}"


class InputError(ValueError):
    """A value the user gave is out of bounds or unreadable."""


def check_day(day: date, name: str) -> date:
    if not EARLIEST <= day <= LATEST:
        raise InputError(f"{name} must be a date {RANGE_TEXT}")
    return day


def check_moment(moment: datetime, name: str) -> datetime:
    """`moment` as given; its wall-clock date (before any offset is applied) in bounds."""
    if not EARLIEST <= moment.date() <= LATEST:
        raise InputError(f"{name} must be a date or datetime {RANGE_TEXT}")
    return moment


def bounded_int(text: str, name: str, *, low: int = 0, high: int = MAX_INT) -> int:
    """A whole number in ASCII digits between `low` and `high` (`int` alone would also take
    other scripts' digits and underscores, and `str.isdigit` passes `²`, which `int` refuses)."""
    digits = text.strip()
    body = digits[1:] if digits.startswith("-") else digits
    if not (body.isascii() and body.isdigit()) or len(body) > 20:
        raise InputError(f"{name} must be a whole number between {low} and {high}")
    value = int(digits)
    if not low <= value <= high:
        raise InputError(f"{name} must be a whole number between {low} and {high}")
    return value


def bounded_float(text: str, name: str, *, low: float, high: float) -> float:
    """A finite number from `low` to `high` (not NaN, which every comparison lets through)."""
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise InputError(f"{name} must be a number from {low:g} to {high:g}")
    return value


def split_values(text: str, name: str) -> tuple[str, ...]:
    """Comma-separated values, stripped, empty ones dropped; at most MAX_VALUES."""
    values = tuple(v.strip() for v in text.split(",") if v.strip())
    if len(values) > MAX_VALUES:
        raise InputError(f"{name}: at most {MAX_VALUES} comma-separated values")
    return values
