"""Report filters: the time range (`cdrhub.timerange`, the same as every API's) and dimension
values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, ScalarResult, or_, select

from cdrhub.analytics.errors import ReportError
from cdrhub.analytics.specs import FILTER_DIMS
from cdrhub.analytics.tables import names
from cdrhub.inputs import split_values
from cdrhub.store.unknowns import received
from cdrhub.timerange import Bound, TimeRange, parse_range
from cdrhub.voicenter import vocab

TYPE_TEXT = "`type` is neither a known call type nor one a stored leg carries"


@dataclass(frozen=True, slots=True)
class Filters:
    start: Bound | None = None  # inclusive
    end: Bound | None = None  # exclusive (see cdrhub.timerange for what `to` means)
    dims: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # as given

    @property
    def range(self) -> TimeRange:
        return TimeRange(self.start, self.end)

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "from": self.start.text if self.start else None,
            "to": self.end.text if self.end else None,
        }
        for dim in FILTER_DIMS:
            values = self.dims.get(dim)
            out[dim] = (values[0] if len(values) == 1 else list(values)) if values else None
        return out


def parse_filters(values: Mapping[str, str | None], tz: ZoneInfo) -> Filters:
    span = parse_range(values.get("from"), values.get("to"), tz)
    dims = {dim: split_values(str(values[dim]), dim) for dim in FILTER_DIMS if values.get(dim)}
    return Filters(start=span.start, end=span.end, dims={k: v for k, v in dims.items() if v})


def resolve_dims(conn: Connection, filters: Filters) -> dict[str, frozenset[str]]:
    """Stored dimension values each filter selects: codes as given, plus codes whose display
    name matches; types matched loosely to their canonical name."""
    resolved: dict[str, frozenset[str]] = {}
    for dim, given in filters.dims.items():
        if dim == "type":
            found = {(t.name if (t := vocab.call_type(v)) else v) for v in given}
            # an unknown type no leg carries can only select nothing: a typo, not a filter
            if any(vocab.call_type(v) is None and not received(conn, "types", v) for v in given):
                raise ReportError(TYPE_TEXT)
            resolved[dim] = frozenset(found)
            continue
        kind = dim
        rows: ScalarResult[str] = conn.execute(
            select(names.c.code).where(
                names.c.kind == kind, or_(*(names.c.name == v for v in given))
            )
        ).scalars()
        resolved[dim] = frozenset(given) | frozenset(rows)
    return resolved
