"""How cdrhub writes its instants: naive UTC datetimes inside, ISO 8601 with `Z` outside."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def iso_utc(value: datetime | None) -> str | None:
    """`2023-11-15T07:20:00Z` for a naive UTC datetime; None stays None."""
    return value.isoformat(timespec="seconds") + "Z" if value is not None else None


def iso_utc_or_value(value: Any) -> Any:
    """For JSON rows that mix datetimes with other values: datetimes as `iso_utc`."""
    return iso_utc(value) if isinstance(value, datetime) else value


def utcnow() -> datetime:
    """Now, as cdrhub keeps instants: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
