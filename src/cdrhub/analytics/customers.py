"""Per-number reports: missed customers (distinct numbers) and repeat callers.

Both read the derived per-number tables (derived.py) for whole days, months and years, and the
caller rollup (or the legs) only for what is left at the edges of a range or when a filter
narrows the calls; the switches below let tests compare them with the raw legs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from cdrhub.analytics import query
from cdrhub.analytics.derived import REPEAT_MIN
from cdrhub.analytics.errors import ReportError
from cdrhub.analytics.periods import Plan, day_start_utc, to_local
from cdrhub.analytics.query import DAY, Scope, count_groups, fetch
from cdrhub.analytics.specs import CALLS
from cdrhub.analytics.tables import ROLLUPS, missed, repeaters

Row = dict[str, Any]
MISSED_TABLE_ENABLED = True


def callers_spec(scope: Scope) -> str:
    """The caller rollup with the agent dimension only when a report is filtered by agent."""
    return "callers_agent" if "agent" in scope.dims else "callers"


def _segment_condition(segments: Any) -> Any:
    parts = []
    for grain, start, end in segments:
        cond = [missed.c.grain == grain]
        if start != datetime.min:
            cond.append(missed.c.period >= start)
        if end != datetime.max:
            cond.append(missed.c.period < end)
        parts.append(and_(*cond))
    return or_(*parts)


def missed_customers(conn: Connection, scope: Scope) -> int:
    """Distinct numbers with a missed contact in the scope."""
    if not MISSED_TABLE_ENABLED or scope.dims:
        return count_groups(conn, callers_spec(scope), scope, "number", "missed")
    plan = query.make_plan(conn, CALLS, scope)
    whole = [s for s in plan.segments if s[0] != "h"]
    edges = Plan(tuple(s for s in plan.segments if s[0] == "h"), plan.raw)
    edge_numbers: set[str] = set()
    if edges.segments or edges.raw:
        rows = query.fetch_plan(conn, callers_spec(scope), scope, edges, ["number"], {})
        edge_numbers = {r["number"] for r in rows if r["missed"] > 0}
    if not whole:
        return len(edge_numbers)
    cond = _segment_condition(whole)
    counted = int(
        conn.execute(select(func.count(func.distinct(missed.c.number))).where(cond)).scalar() or 0
    )
    if edge_numbers:
        already = conn.execute(
            select(missed.c.number)
            .distinct()
            .where(cond, missed.c.number.in_(sorted(edge_numbers)))
        ).scalars()
        counted += len(edge_numbers - set(already))
    return counted


REPEATERS_ENABLED = True  # the property test turns it off to compare with the raw legs
RepeatDay = tuple[str, int, int, int]  # number, contacts, answered, missed (one qualifying day)


def _repeat_row(number: str) -> Row:
    return {"number": number, "repeat_days": 0, "contacts": 0, "answered": 0, "missed": 0,
            "max_per_day": 0}  # fmt: skip


def _add_day(
    row: Row, contacts: int, answered: int, missed: int, days: int = 1, top: int = 0
) -> None:
    row["repeat_days"] += days
    row["contacts"] += contacts
    row["answered"] += answered
    row["missed"] += missed
    row["max_per_day"] = max(row["max_per_day"], top or contacts)


def _generic_repeat_days(conn: Connection, scope: Scope, threshold: int) -> list[RepeatDay]:
    return [
        (r["number"], r["contacts"], r["answered"], r["missed"])
        for r in fetch(conn, callers_spec(scope), scope, ["number", DAY])
        if r["contacts"] >= threshold
    ]


def _whole_days(
    conn: Connection, scope: Scope
) -> tuple[datetime, datetime, list[tuple[datetime, datetime]]] | None:
    """Local midnights [first, last) of the whole days in the scope, and the UTC edges left."""
    if scope.start is None and scope.end is None:
        return datetime.min, datetime.max, []
    start, end = scope.start, scope.end
    if start is None or end is None:
        bounds = query.data_bounds(conn, scope.tz)
        if bounds is None:
            return None
        start = start if start is not None else min(bounds[0], end)  # type: ignore[type-var]
        end = end if end is not None else max(bounds[1], start)
    first = to_local(start, scope.tz).date()
    if day_start_utc(first, scope.tz) < start:
        first += timedelta(days=1)
    last = to_local(end, scope.tz).date()
    if first >= last:
        return datetime.min, datetime.min, [(start, end)] if start < end else []
    first_utc, last_utc = day_start_utc(first, scope.tz), day_start_utc(last, scope.tz)
    edges = [(a, b) for a, b in ((start, first_utc), (last_utc, end)) if a < b]
    return (
        datetime.combine(first, datetime.min.time()),
        datetime.combine(last, datetime.min.time()),
        edges,
    )


def _qualifying_days(scope: Scope, first: datetime, last: datetime, threshold: int) -> Any:
    """(number, day, contacts, answered, missed) of each day with threshold+ contacts."""
    r = repeaters
    in_range = [r.c.contacts >= threshold]
    if first != datetime.min:
        in_range.append(r.c.day >= first)
    if last != datetime.max:
        in_range.append(r.c.day < last)
    if not scope.dims:
        return (
            select(r.c.number, r.c.day, r.c.contacts, r.c.answered, r.c.missed)
            .where(*in_range)
            .subquery()
        )
    c = ROLLUPS[callers_spec(scope)]
    return (
        select(c.c.number, c.c.period.label("day"), func.sum(c.c.contacts).label("contacts"),
               func.sum(c.c.answered).label("answered"), func.sum(c.c.missed).label("missed"))
        .join(r, and_(r.c.day == c.c.period, r.c.number == c.c.number))
        .where(c.c.grain == "d", *in_range, *(c.c[d].in_(sorted(v)) for d, v in scope.dims.items()))
        .group_by(c.c.number, c.c.period)
        .having(func.sum(c.c.contacts) >= threshold)
        .subquery()
    )  # fmt: skip


def _per_number(conn: Connection, days: Any, *, limit: int | None, only: set[str] | None) -> list:
    top, total = func.max(days.c.contacts), func.sum(days.c.contacts)
    query_ = select(
        days.c.number, func.count(), total, func.sum(days.c.answered), func.sum(days.c.missed), top
    ).group_by(days.c.number)
    if only is not None:
        query_ = query_.where(days.c.number.in_(sorted(only)))
    if limit is not None:
        query_ = query_.order_by(top.desc(), total.desc(), days.c.number).limit(limit)
    return list(conn.execute(query_))


def repeat_callers(conn: Connection, scope: Scope, params: Mapping[str, str]) -> list[Row]:
    threshold = int(params.get("min_calls") or scope.cfg.repeat_min_calls)
    if threshold < 1:
        raise ReportError("min_calls must be at least 1")
    limit = scope.cfg.repeat_limit
    numbers: dict[str, Row] = {}
    split = _whole_days(conn, scope) if REPEATERS_ENABLED and threshold >= REPEAT_MIN else None
    if split is None:
        for number, contacts, answered, missed in _generic_repeat_days(conn, scope, threshold):
            _add_day(numbers.setdefault(number, _repeat_row(number)), contacts, answered, missed)
    else:
        first, last, edges = split
        edge_days = [
            day
            for a, b in edges
            for day in _generic_repeat_days(conn, replace(scope, start=a, end=b), threshold)
        ]
        if first < last:
            days = _qualifying_days(scope, first, last, threshold)
            found = _per_number(conn, days, limit=limit, only=None)
            if edge_days:
                edge_numbers = {d[0] for d in edge_days}
                found += _per_number(conn, days, limit=None, only=edge_numbers)
            for number, k, contacts, answered, missed, top in found:
                if number not in numbers:
                    row = numbers[number] = _repeat_row(number)
                    _add_day(row, int(contacts), int(answered), int(missed), int(k), int(top))
        for number, contacts, answered, missed in edge_days:
            _add_day(numbers.setdefault(number, _repeat_row(number)), contacts, answered, missed)
    rows = list(numbers.values())
    rows.sort(key=lambda r: (-r["max_per_day"], -r["contacts"], r["number"]))
    return rows[:limit]
