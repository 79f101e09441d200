"""Read rollups for a range: SQL over the rollup segments, plus the raw-leg edges, merged.

Everything a report reads goes through `fetch`, so every report gets the same range handling,
filters and raw-edge exactness.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, ScalarResult, and_, func, or_, select

from cdrhub.analytics.config import AnalyticsSettings
from cdrhub.analytics.facts import Fact, leg_facts
from cdrhub.analytics.periods import (
    HOUR,
    Piece,
    Plan,
    Segment,
    edge_pieces,
    hour_span,
    plan,
    to_local,
)
from cdrhub.analytics.specs import SPECS, Spec
from cdrhub.analytics.stored import FACT_FIELDS, stored_leg
from cdrhub.analytics.tables import ROLLUPS
from cdrhub.store.purged import read_purged
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
    # the first and last stored leg, read once (shared like edge_cache)
    bounds_cache: dict[str, Any] = field(default_factory=dict, compare=False)


def _leg_span(conn: Connection, scope: Scope) -> tuple[datetime, datetime] | None:
    """UTC start of the first and the last stored leg, purged ones included (read once a
    scope)."""
    if "span" not in scope.bounds_cache:
        # two scalar subqueries: SQLite reads one end of the index for a lone MIN or MAX, not
        # for both in one SELECT
        row = conn.execute(
            select(
                select(func.min(legs.c.started_at)).scalar_subquery(),
                select(func.max(legs.c.started_at)).scalar_subquery(),
            )
        ).one()
        low: datetime | None = row[0]
        high: datetime | None = row[1]
        # purged legs still count in the rollups: their span stays part of the data's
        purged = read_purged(conn)
        if purged is not None and purged.first is not None and purged.last is not None:
            low = purged.first if low is None else min(low, purged.first)
            high = purged.last if high is None else max(high, purged.last)
        scope.bounds_cache["span"] = None if low is None else (low, high)
    return scope.bounds_cache["span"]


def _leg_hours(conn: Connection, scope: Scope) -> tuple[datetime, datetime] | None:
    """The local hours of the first and of the last stored leg."""
    span = _leg_span(conn, scope)
    if span is None:
        return None
    first, last = (to_local(at, scope.tz).replace(minute=0, second=0, microsecond=0) for at in span)
    return first, last


def data_bounds(conn: Connection, scope: Scope) -> tuple[datetime, datetime] | None:
    """Whole local hours around the first and last stored leg (UTC; an hour more at the end)."""
    hours = _leg_hours(conn, scope)
    if hours is None:
        return None
    return hour_span(hours[0], scope.tz)[0], hour_span(hours[1], scope.tz)[1] + HOUR


def data_hours(conn: Connection, scope: Scope) -> tuple[datetime, datetime] | None:
    """The local hours [first, last) holding every stored leg: no rollup row lies outside."""
    hours = _leg_hours(conn, scope)
    return None if hours is None else (hours[0], hours[1] + HOUR)


def make_plan(
    conn: Connection,
    spec: Spec,
    scope: Scope,
    grains: tuple[str, ...] | None = None,
    *,
    signed: bool = False,
) -> Plan:
    """The periods and legs of a scope: added only, or (signed) the cheapest signed cover of
    the stored hours (periods.plan)."""
    grains = grains or spec.grains
    if scope.start is None and scope.end is None:
        coarsest = grains[-1]
        return Plan(((coarsest, datetime.min, datetime.max),), ())
    start, end = scope.start, scope.end
    if start is None or end is None:
        bounds = data_bounds(conn, scope)
        if bounds is None:
            return Plan((), ())
        # the open end goes to the data's edge (both open returned above)
        if start is None:
            start = bounds[0] if end is None else min(bounds[0], end)
        if end is None:
            end = max(bounds[1], start)
    if not signed:
        return plan(start, end, scope.tz, grains)
    data = data_hours(conn, scope)
    if data is None:
        return Plan((), ())
    return plan(start, end, scope.tz, grains, spec.rows, data)


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
            if facts is None:
                continue
            for fact in facts.facts:
                cached.setdefault(fact.spec, []).append((facts.hour, fact))
    return cached


_FACT_COLUMNS = [legs.c[name] for name in FACT_FIELDS]


def fetch(
    conn: Connection,
    spec_name: str,
    scope: Scope,
    group_by: Sequence[str] = (),
    *,
    where: Mapping[str, Any] | None = None,
    at_least: tuple[str, int] | None = None,
    counters: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Summed counters of a rollup, grouped by dimensions (and `day`), for a scope.

    `where` adds conditions on dimensions: {"direction": "in"} (equal), {"queue": ("!=", "")}
    (not equal) or {"type": frozenset({...})} (one of). `at_least` (counter, n) keeps only the
    groups whose counter reaches n. `counters` sums only these (and the spec's first, which
    every fact sets to 1: a group whose sums are all 0 holds no fact).
    """
    spec = SPECS[spec_name]
    # grouped by day, months and years cannot serve
    grains = tuple(g for g in spec.grains if g in "hd") if DAY in group_by else None
    the_plan = make_plan(conn, spec, scope, grains, signed=True)
    return fetch_plan(
        conn, spec_name, scope, the_plan, group_by, dict(where or {}), at_least, counters
    )


Totals = dict[tuple, list[int]]


def _add_rows(
    conn: Connection,
    spec: Spec,
    scope: Scope,
    segments_: Sequence[Segment],
    sign: int,
    group_by: Sequence[str],
    where: Mapping[str, Any],
    totals: Totals,
    names: Sequence[str],
    having: Any = None,
) -> None:
    """Add (sign 1) or subtract (-1) the summed rollup rows of the segments into totals."""
    table = ROLLUPS[spec.name]
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
    query = select(*groups, *(func.sum(table.c[c]) for c in names)).where(*conds)
    if groups:
        query = query.group_by(*groups)
    if having is not None:
        query = query.having(having(table))
    width = len(names)
    for row in conn.execute(query):
        key = tuple(str(v) if g == DAY else v for g, v in zip(group_by, row, strict=False))
        values = row[len(group_by) :]
        if values[0] is None:
            continue
        current = totals.get(key)
        if current is None:
            current = totals[key] = [0] * width
        for i, v in enumerate(values):
            current[i] += sign * int(v)


def _leg_totals(
    conn: Connection,
    spec: Spec,
    scope: Scope,
    pieces: Sequence[Piece],
    group_by: Sequence[str],
    where: Mapping[str, Any],
    names: Sequence[str],
) -> tuple[Totals, set[tuple]]:
    """The signed sums of the legs of the pieces, by group, and the groups the added legs
    reach."""
    totals: Totals = {}
    added: set[tuple] = set()
    checks = [(spec.dims.index(d), v) for d, v in scope.dims.items()]
    positions = [None if g == DAY else spec.dims.index(g) for g in group_by]
    picked = [spec.counters.index(c) for c in names]
    width = len(names)
    for sign, (start, end) in pieces:
        for hour, fact in _edge_facts(conn, scope, start, end).get(spec.name, ()):
            dims = fact.dims
            if not all(dims[i] in values for i, values in checks):
                continue
            if where and not _matches(spec, dims, where):
                continue
            key = tuple(hour.date().isoformat() if i is None else dims[i] for i in positions)
            current = totals.get(key)
            if current is None:
                current = totals[key] = [0] * width
            for i, j in enumerate(picked):
                current[i] += sign * fact.counters[j]
            if sign > 0:
                added.add(key)
    return totals, added


def _having(
    spec: Spec, group_by: Sequence[str], at_least: tuple[str, int] | None, added: set[tuple]
) -> Any:
    """A HAVING that keeps every group that can reach `at_least` once the legs are added: a
    group whose rollup rows reach it, or one the added legs reach (by its first dimension;
    subtracted rows and legs only lower a sum)."""
    if at_least is None or at_least[1] <= 0:
        return None
    counter, least = at_least
    first = next((i for i, g in enumerate(group_by) if g != DAY), None)
    if first is None:
        return None
    reached = sorted({key[first] for key in added})

    def having(table: Any) -> Any:
        enough = func.sum(table.c[counter]) >= least
        return or_(enough, table.c[group_by[first]].in_(reached)) if reached else enough

    return having


def fetch_plan(
    conn: Connection,
    spec_name: str,
    scope: Scope,
    the_plan: Plan,
    group_by: Sequence[str],
    where: dict[str, Any],
    at_least: tuple[str, int] | None = None,
    counters: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    spec = SPECS[spec_name]
    wanted = {spec.counters[0], *(counters or spec.counters), *(at_least[:1] if at_least else ())}
    names = [c for c in spec.counters if c in wanted]
    hours, pieces = edge_pieces(the_plan.raw, scope.tz)
    pieces += [(-1, piece) for piece in the_plan.less]
    legs_totals, added = _leg_totals(conn, spec, scope, pieces, group_by, where, names)
    totals: Totals = {}
    added_segments = (*the_plan.segments, *hours)
    read = (conn, spec, scope)
    if added_segments:
        having = _having(spec, group_by, at_least, added)
        _add_rows(*read, added_segments, 1, group_by, where, totals, names, having)
    if the_plan.minus and (totals or at_least is None):
        _add_rows(*read, the_plan.minus, -1, group_by, where, totals, names)
    for key, values in legs_totals.items():
        current = totals.get(key)
        if current is None:
            totals[key] = values
        else:
            for i, v in enumerate(values):
                current[i] += v
    least = at_least[1] if at_least else None
    index = names.index(at_least[0]) if at_least else 0
    return [
        {**dict(zip(group_by, key, strict=True)), **dict(zip(names, values, strict=True))}
        for key, values in totals.items()
        if any(values) and (least is None or values[index] >= least)
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
    """The `group_by` values whose counter `positive` sums to more than 0 over the scope."""
    rows = fetch(conn, spec_name, scope, [group_by], at_least=(positive, 1))
    return {r[group_by] for r in rows}


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
        already: ScalarResult[Any] = conn.execute(
            select(value).distinct().where(*conds, value.in_(sorted(edge_values)))
        ).scalars()
        counted += len(edge_values - set(already))
    return counted
