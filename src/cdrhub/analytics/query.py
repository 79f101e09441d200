"""Read rollups for a range: SQL over the rollup segments, plus the raw-leg edges, merged.

Everything a report reads goes through `fetch`, so every report gets the same range handling,
filters and raw-edge exactness.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, func, or_, select

from cdrhub.analytics.config import AnalyticsSettings
from cdrhub.analytics.facts import Fact, leg_facts
from cdrhub.analytics.periods import HOUR, Plan, hour_span, plan, to_local
from cdrhub.analytics.specs import SPECS, Spec
from cdrhub.analytics.stored import FACT_FIELDS, stored_leg
from cdrhub.analytics.tables import ROLLUPS
from cdrhub.store.schema import legs

DAY = "day"  # a pseudo dimension: the local date of the period
EdgeFacts = dict[str, list[tuple[datetime, Fact]]]  # spec -> (local hour, fact) of each leg


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report reads: a UTC range (None = unbounded) and the dimension values allowed."""

    start: datetime | None
    end: datetime | None
    dims: Mapping[str, frozenset[str]]
    tz: ZoneInfo
    cfg: AnalyticsSettings
    # facts of the raw-leg edges already read, by UTC interval (shared by the report's fetches)
    edge_cache: dict[tuple[datetime, datetime], EdgeFacts] = field(
        default_factory=dict, compare=False
    )


def data_bounds(conn: Connection, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
    """Whole local hours around the first and last stored leg."""
    # two statements: SQLite reads one end of the index for a lone MIN or MAX, not for both
    low = conn.execute(select(func.min(legs.c.started_at))).scalar()
    high = conn.execute(select(func.max(legs.c.started_at))).scalar()
    if low is None:
        return None
    first = to_local(low, tz).replace(minute=0, second=0, microsecond=0)
    last = to_local(high, tz).replace(minute=0, second=0, microsecond=0)
    return hour_span(first, tz)[0], hour_span(last, tz)[1] + HOUR


def make_plan(
    conn: Connection, spec: Spec, scope: Scope, grains: tuple[str, ...] | None = None
) -> Plan:
    grains = grains or spec.grains
    if scope.start is None and scope.end is None:
        coarsest = grains[-1]
        return Plan(((coarsest, datetime.min, datetime.max),), ())
    start, end = scope.start, scope.end
    if start is None or end is None:
        bounds = data_bounds(conn, scope.tz)
        if bounds is None:
            return Plan((), ())
        start = start if start is not None else min(bounds[0], end)  # type: ignore[type-var]
        end = end if end is not None else max(bounds[1], start)
    return plan(start, end, scope.tz, grains)


def _time_condition(table: Any, segments: Sequence[tuple[str, datetime, datetime]]) -> Any:
    parts = []
    for grain, start, end in segments:
        cond = [table.c.grain == grain]
        if start != datetime.min:
            cond.append(table.c.period >= start)
        if end != datetime.max:
            cond.append(table.c.period < end)
        parts.append(and_(*cond))
    return or_(*parts)


def _group_columns(table: Any, group_by: Sequence[str]) -> list[Any]:
    return [func.date(table.c.period).label(DAY) if g == DAY else table.c[g] for g in group_by]


def _edge_facts(conn: Connection, scope: Scope, start: datetime, end: datetime) -> EdgeFacts:
    """The facts of the legs that started in UTC [start, end), by rollup (read once a scope)."""
    cached = scope.edge_cache.get((start, end))
    if cached is None:
        cached = scope.edge_cache[(start, end)] = {}
        rows = conn.execute(
            select(*_FACT_COLUMNS).where(legs.c.started_at >= start, legs.c.started_at < end)
        ).mappings()
        for row in rows:
            facts = leg_facts(stored_leg(row), scope.tz, scope.cfg)
            for fact in facts.facts if facts is not None else ():
                cached.setdefault(fact.spec, []).append((facts.hour, fact))
    return cached


_FACT_COLUMNS = [legs.c[name] for name in FACT_FIELDS]
Piece = tuple[int, tuple[datetime, datetime]]  # (sign, UTC [start, end) of legs to read)


def edge_pieces(
    raw: Sequence[tuple[datetime, datetime]], tz: ZoneInfo
) -> tuple[list[tuple[str, datetime, datetime]], list[Piece]]:
    """How to count the raw edges of a plan: an edge that covers more than half of its local
    hour is that hour's rollup row minus the legs of the rest of the hour (rollup rows are
    exact sums of the facts of their legs), so that at most half an hour of legs is read per
    edge. Returns the hourly segments to add and the (sign, interval) pieces of legs."""
    hours: list[tuple[str, datetime, datetime]] = []
    pieces: list[Piece] = []
    for start, end in raw:
        hour = to_local(start, tz).replace(minute=0, second=0, microsecond=0)
        first, last = hour_span(hour, tz)
        rest = [(a, b) for a, b in ((first, start), (end, last)) if a < b]
        inside = first <= start and end <= last and all(h[1] != hour for h in hours)
        if inside and sum((b - a for a, b in rest), timedelta()) < end - start:
            hours.append(("h", hour, hour + HOUR))
            pieces += [(-1, piece) for piece in rest]
            continue
        pieces.append((1, (start, end)))
    return hours, pieces


def fetch(
    conn: Connection,
    spec_name: str,
    scope: Scope,
    group_by: Sequence[str] = (),
    *,
    where: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Summed counters of a rollup, grouped by dimensions (and `day`), for a scope.

    `where` adds conditions on dimensions: {"direction": "in"} (equal), {"queue": ("!=", "")}
    (not equal) or {"type": frozenset({...})} (one of).
    """
    spec = SPECS[spec_name]
    # grouped by day, months and years cannot serve
    grains = tuple(g for g in spec.grains if g in "hd") if DAY in group_by else None
    the_plan = make_plan(conn, spec, scope, grains)
    return fetch_plan(conn, spec_name, scope, the_plan, group_by, dict(where or {}))


def fetch_plan(
    conn: Connection,
    spec_name: str,
    scope: Scope,
    the_plan: Plan,
    group_by: Sequence[str],
    where: dict[str, Any],
) -> list[dict[str, Any]]:
    spec = SPECS[spec_name]
    table = ROLLUPS[spec_name]
    totals: dict[tuple, list[int]] = {}
    hours, pieces = edge_pieces(the_plan.raw, scope.tz)
    segments_ = (*the_plan.segments, *hours)
    if segments_:
        conds = [_time_condition(table, segments_)]
        conds += [table.c[d].in_(sorted(v)) for d, v in scope.dims.items()]
        for dim, value in where.items():
            if isinstance(value, tuple):
                conds.append(table.c[dim] != value[1])
            elif isinstance(value, frozenset):
                conds.append(table.c[dim].in_(sorted(value)))
            else:
                conds.append(table.c[dim] == value)
        groups = _group_columns(table, group_by)
        query = select(*groups, *(func.sum(table.c[c]) for c in spec.counters)).where(*conds)
        if groups:
            query = query.group_by(*groups)
        for row in conn.execute(query):
            key = tuple(str(v) if g == DAY else v for g, v in zip(group_by, row, strict=False))
            values = row[len(group_by) :]
            if values[0] is None:
                continue
            totals[key] = [int(v) for v in values]
    checks = [(spec.dims.index(d), v) for d, v in scope.dims.items()]
    positions = [None if g == DAY else spec.dims.index(g) for g in group_by]
    width = len(spec.counters)
    for sign, (start, end) in pieces:
        for hour, fact in _edge_facts(conn, scope, start, end).get(spec_name, ()):
            dims = fact.dims
            if not all(dims[i] in values for i, values in checks):
                continue
            if where and not _matches(spec, dims, where):
                continue
            key = tuple(hour.date().isoformat() if i is None else dims[i] for i in positions)
            current = totals.get(key)
            if current is None:
                current = totals[key] = [0] * width
            for i, v in enumerate(fact.counters):
                current[i] += sign * v
    return [
        {**dict(zip(group_by, key, strict=True)), **dict(zip(spec.counters, values, strict=True))}
        for key, values in totals.items()
        if any(values)
    ]


def _matches(spec: Spec, dims: tuple, where: Mapping[str, Any]) -> bool:
    for dim, value in where.items():
        actual = dims[spec.dims.index(dim)]
        if isinstance(value, tuple):
            if actual == value[1]:
                return False
        elif isinstance(value, frozenset):
            if actual not in value:
                return False
        elif actual != value:
            return False
    return True


def total(rows: Iterable[Mapping[str, Any]], counters: Sequence[str]) -> dict[str, int]:
    sums = dict.fromkeys(counters, 0)
    for row in rows:
        for c in counters:
            sums[c] += row.get(c, 0)
    return sums


def positive_values(
    conn: Connection, spec_name: str, scope: Scope, group_by: str, positive: str
) -> set[Any]:
    """The `group_by` values whose counter `positive` sums to more than 0 over the scope.

    Counters are sums of non-negative facts, so a value is positive over the range when some
    rollup row of it in the range is, or its sum over the raw edges is: only rows with a
    positive counter are read.
    """
    spec, table = SPECS[spec_name], ROLLUPS[spec_name]
    the_plan = make_plan(conn, spec, scope)
    values: set[Any] = set()
    if the_plan.raw:
        edges = Plan((), the_plan.raw)
        edge_rows = fetch_plan(conn, spec_name, scope, edges, [group_by], {})
        values = {r[group_by] for r in edge_rows if r[positive] > 0}
    if the_plan.segments:
        conds = [
            _time_condition(table, the_plan.segments),
            table.c[positive] > 0,
            *(table.c[d].in_(sorted(v)) for d, v in scope.dims.items()),
        ]
        values.update(conn.execute(select(table.c[group_by]).distinct().where(*conds)).scalars())
    return values


def count_groups(
    conn: Connection, spec_name: str, scope: Scope, group_by: str, positive: str
) -> int:
    """How many distinct `group_by` values have a positive sum of counter `positive`.

    Counters are sums of non-negative facts, so a value is positive over the whole range when
    it is positive over the rollup segments or over the raw edges: the edges only add the few
    values that the segments do not already count.
    """
    spec, table = SPECS[spec_name], ROLLUPS[spec_name]
    the_plan = make_plan(conn, spec, scope)
    edge_values: set[Any] = set()
    if the_plan.raw:
        edges = Plan((), the_plan.raw)
        edge_rows = fetch_plan(conn, spec_name, scope, edges, [group_by], {})
        edge_values = {r[group_by] for r in edge_rows if r[positive] > 0}
    if not the_plan.segments:
        return len(edge_values)
    # every stored counter is a sum of non-negative facts, so "the sum over the range is
    # positive" is "some row in the range is positive": no grouping of every value needed
    conds = [
        _time_condition(table, the_plan.segments),
        table.c[positive] > 0,
        *(table.c[d].in_(sorted(v)) for d, v in scope.dims.items()),
    ]
    value = table.c[group_by]
    counted = int(
        conn.execute(select(func.count(func.distinct(value))).where(*conds)).scalar() or 0
    )
    if edge_values:
        already = conn.execute(
            select(value).distinct().where(*conds, value.in_(sorted(edge_values)))
        ).scalars()
        counted += len(edge_values - set(already))
    return counted
