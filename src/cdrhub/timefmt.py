"""How cdrhub writes its instants: naive UTC datetimes inside, ISO 8601 with their zone outside
(`Z` for UTC, the offset for a local reading). Every JSON answer, CLI line, webhook body and
server-sent event writes its times through here, so none goes out without its zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

_DAY = timedelta(days=1)


def iso_utc(value: datetime | None) -> str | None:
    """`2023-11-15T07:20:00Z` for a naive UTC datetime (an aware one is converted to UTC first);
    None stays None."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="seconds") + "Z"


def iso_wall(local: datetime | None, utc: datetime | None) -> str | None:
    """A local wall-clock reading with the offset it had: `2023-11-15T09:20:00+02:00` for the
    naive reading `local` of the naive UTC instant `utc`. The reading is kept as recorded; the
    offset is their difference (UTC when it cannot be one, or the instant is unknown)."""
    if local is None:
        return None
    if utc is None:
        return iso_utc(local) if local.tzinfo is not None else None
    offset = local.replace(tzinfo=None) - utc.replace(tzinfo=None)
    if abs(offset) >= _DAY or offset % timedelta(minutes=1):
        return iso_utc(utc)
    return local.replace(tzinfo=timezone(offset)).isoformat(timespec="seconds")


def iso_utc_or_value(value: Any) -> Any:
    """For JSON rows that mix datetimes with other values: datetimes as `iso_utc`."""
    return iso_utc(value) if isinstance(value, datetime) else value


def utcnow() -> datetime:
    """Now, as cdrhub keeps instants: naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def json_times(value: Any) -> Any:
    """`value` with every datetime inside it (in mappings, lists and tuples, at any depth)
    written as `iso_utc`: for answers built from stored rows, whose times are naive UTC."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Mapping):
        return {k: json_times(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_times(v) for v in value]
    return value
