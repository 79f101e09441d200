"""Report filters: parsing `from`/`to` (local dates or ISO datetimes) and dimension values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, or_, select

from cdrhub.analytics.periods import day_start_utc, to_utc
from cdrhub.analytics.specs import FILTER_DIMS
from cdrhub.analytics.tables import names
from cdrhub.inputs import InputError, check_day, check_moment, split_values
from cdrhub.voicenter import vocab


class FilterError(InputError):
    """A filter value cannot be read."""


@dataclass(frozen=True, slots=True)
class Bound:
    text: str
    utc: datetime
    is_date: bool


@dataclass(frozen=True, slots=True)
class Filters:
    start: Bound | None = None  # inclusive
    end: Bound | None = None  # exclusive (the day after a `to` date)
    dims: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # as given

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.start.text if self.start else None,
            "to": self.end.text if self.end else None,
        }
        for dim in FILTER_DIMS:
            values = self.dims.get(dim)
            out[dim] = (values[0] if len(values) == 1 else list(values)) if values else None
        return out


def parse_bound(text: str, tz: ZoneInfo, *, is_end: bool) -> Bound:
    name = "`to`" if is_end else "`from`"
    text = text.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None and len(text) == 10:
        check_day(day, name)
        if is_end:
            day += timedelta(days=1)
        return Bound(text, day_start_utc(day, tz), True)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FilterError(f"not a date or ISO datetime: {text!r}") from exc
    check_moment(moment, name)
    if moment.tzinfo is None:
        utc = to_utc(moment, tz)
    else:
        utc = moment.astimezone(UTC).replace(tzinfo=None)
    return Bound(text, utc, False)


def parse_filters(values: Mapping[str, str | None], tz: ZoneInfo) -> Filters:
    start = values.get("from")
    end = values.get("to")
    dims = {dim: split_values(str(values[dim]), dim) for dim in FILTER_DIMS if values.get(dim)}
    filters = Filters(
        start=parse_bound(start, tz, is_end=False) if start else None,
        end=parse_bound(end, tz, is_end=True) if end else None,
        dims={k: v for k, v in dims.items() if v},
    )
    if filters.start and filters.end:
        both_dates = filters.start.is_date and filters.end.is_date
        if filters.end.utc < filters.start.utc or (
            both_dates and filters.end.utc <= filters.start.utc
        ):
            raise FilterError("`to` is before `from`")
    return filters


def resolve_dims(conn: Connection, filters: Filters) -> dict[str, frozenset[str]]:
    """Stored dimension values each filter selects: codes as given, plus codes whose display
    name matches; types matched loosely to their canonical name."""
    resolved: dict[str, frozenset[str]] = {}
    for dim, given in filters.dims.items():
        if dim == "type":
            found = {(t.name if (t := vocab.call_type(v)) else v) for v in given}
            resolved[dim] = frozenset(found)
            continue
        kind = dim
        rows = conn.execute(
            select(names.c.code).where(
                names.c.kind == kind, or_(*(names.c.name == v for v in given))
            )
        ).scalars()
        resolved[dim] = frozenset(given) | frozenset(rows)
    return resolved
