"""The per-number table `an_numbers`, derived from the daily caller rollups and recomputed (not
added to) for each (day, number) a write touched, so that it stays exact under revisions.

Repeat callers and missed customers count numbers, which no additive rollup can sum. For each
(local day, number), for all its incoming contacts (dim "") and for each filter dimension value
of them (department, queue, agent, type; the agent from `an_callers_agent`), a day row keeps:

- the repeat figures when the number made REPEAT_MIN+ contacts that day within that value:
  rep_days = 1, rep_contacts, rep_answered, rep_missed of that day, rep_top = rep_contacts
  (zeros otherwise);
- missed = its missed contacts that day within that value.

A month row sums its day rows (rep_top: the largest), a year row its months, the all-time row
(grain `a`, period ALL_TIME) its years. Rows whose rep_days and missed are both 0 are not kept,
so a report reads only numbers that repeated or missed, a few rows per number however long the
range (customers.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from cdrhub.analytics.specs import CALLERS, CALLERS_AGENT
from cdrhub.analytics.tables import NUMBER_COUNTERS, ROLLUPS, numbers

REPEAT_MIN = 2
ALL_TIME = datetime(1900, 1, 1)  # the period of the all-time rows
NUMBER_DIMS = ("department", "queue", "type")  # read from an_callers; the agent from _agent
GRAINS = ("d", "m", "y", "a")
_CHUNK = 500
_FAR_PAST, _FAR_FUTURE = datetime(1, 1, 1), datetime(9999, 1, 1)
Pair = tuple[datetime, str]  # (local day, number)
Key = tuple[str, str, datetime, str]  # (dim, value, period, number) within one grain
Counters = tuple[int, ...]  # NUMBER_COUNTERS


def parent_period(period: datetime, grain: str) -> datetime:
    """The period of the month (m), year (y) or all-time (a) row a finer row adds to."""
    if grain == "m":
        return period.replace(day=1)
    if grain == "y":
        return period.replace(month=1, day=1)
    return ALL_TIME


def _next_year(period: datetime) -> datetime:
    return period.replace(year=period.year + 1, month=1, day=1)


def day_counters(contacts: int, answered: int, missed: int) -> Counters | None:
    """A day row's counters from the number's contacts that day (None: no row)."""
    repeat = contacts >= REPEAT_MIN
    if not repeat and not missed:
        return None
    if repeat:
        return (1, contacts, answered, missed, contacts, missed)
    return (0, 0, 0, 0, 0, missed)


def add_counters(into: list[int], counters: Iterable[int]) -> None:
    """Sum counters, except rep_top which keeps the largest."""
    for i, v in enumerate(counters):
        into[i] = max(into[i], v) if i == 4 else into[i] + v


def day_rows(
    callers_rows: Iterable[Sequence[Any]], agent_rows: Iterable[Sequence[Any]]
) -> dict[Key, Counters]:
    """Day rows from `an_callers` day rows (period, number, department, queue, type, contacts,
    answered, missed) and `an_callers_agent` day rows (period, number, agent, contacts,
    answered, missed)."""
    totals: dict[Key, list[int]] = {}

    def add(key: Key, values: Sequence[Any]) -> None:
        current = totals.setdefault(key, [0, 0, 0])
        for i in range(3):
            current[i] += int(values[i])

    for period, number, department, queue, type_, *values in callers_rows:
        add(("", "", period, number), values)
        for dim, value in zip(NUMBER_DIMS, (department, queue, type_), strict=True):
            if value:
                add((dim, value, period, number), values)
    for period, number, agent, *values in agent_rows:
        if agent:
            add(("agent", agent, period, number), values)
    out: dict[Key, Counters] = {}
    for key, (c, a, m) in totals.items():
        counters = day_counters(c, a, m)
        if counters is not None:
            out[key] = counters
    return out


def _pairs_in(a: Any, b: Any) -> list[Any]:
    """The rows of a set of (day, number) pairs, and a few more (read as days x numbers, which
    both engines seek in the rollup keys; a list of row values PostgreSQL plans badly)."""
    return [a.in_(bindparam("days", expanding=True)), b.in_(bindparam("numbers", expanding=True))]


_CALLERS = ROLLUPS[CALLERS.name]
_AGENTS = ROLLUPS[CALLERS_AGENT.name]
# Built once: statement construction costs more than execution for the one leg of a webhook.
_CALLER_DAYS = select(
    _CALLERS.c.period, _CALLERS.c.number, _CALLERS.c.department, _CALLERS.c.queue,
    _CALLERS.c.type, _CALLERS.c.contacts, _CALLERS.c.answered, _CALLERS.c.missed,
).where(_CALLERS.c.grain == "d", *_pairs_in(_CALLERS.c.period, _CALLERS.c.number))  # fmt: skip
_AGENT_DAYS = (
    select(
        _AGENTS.c.period, _AGENTS.c.number, _AGENTS.c.agent, func.sum(_AGENTS.c.contacts),
        func.sum(_AGENTS.c.answered), func.sum(_AGENTS.c.missed),
    )
    .where(_AGENTS.c.grain == "d", _AGENTS.c.agent != "",
           *_pairs_in(_AGENTS.c.period, _AGENTS.c.number))
    .group_by(_AGENTS.c.period, _AGENTS.c.number, _AGENTS.c.agent)
)  # fmt: skip
_STORED = select(
    numbers.c.dim, numbers.c.value, numbers.c.period, numbers.c.number,
    *(numbers.c[c] for c in NUMBER_COUNTERS),
).where(
    numbers.c.grain == bindparam("grain"),
    numbers.c.number.in_(bindparam("numbers", expanding=True)),
    numbers.c.period >= bindparam("first"),
    numbers.c.period < bindparam("last"),
)  # fmt: skip
_DELETE = delete(numbers).where(
    numbers.c.dim == bindparam("k_dim"),
    numbers.c.value == bindparam("k_value"),
    numbers.c.grain == bindparam("k_grain"),
    numbers.c.period == bindparam("k_period"),
    numbers.c.number == bindparam("k_number"),
)


@lru_cache(maxsize=4)
def _upsert(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(numbers)
    return stmt.on_conflict_do_update(
        index_elements=["dim", "value", "grain", "period", "number"],
        set_={c: stmt.excluded[c] for c in NUMBER_COUNTERS},
    )


def _stored(
    conn: Connection, grain: str, numbers_: Iterable[str], first: datetime, last: datetime
) -> dict[Key, Counters]:
    params = {"grain": grain, "numbers": sorted(set(numbers_)), "first": first, "last": last}
    return {
        (dim, value, period, number): tuple(int(v) for v in values)
        for dim, value, period, number, *values in conn.execute(_STORED, params).tuples()
    }


def _write(conn: Connection, grain: str, rows: Mapping[Key, Counters | None]) -> None:
    """Set these rows of a grain: upsert the counters, delete the keys without any."""
    upserts = [
        {"dim": k[0], "value": k[1], "grain": grain, "period": k[2], "number": k[3],
         **dict(zip(NUMBER_COUNTERS, v, strict=True))}
        for k, v in sorted(rows.items()) if v is not None
    ]  # fmt: skip
    deletes = [
        {"k_dim": k[0], "k_value": k[1], "k_grain": grain, "k_period": k[2], "k_number": k[3]}
        for k, v in sorted(rows.items())
        if v is None
    ]
    if deletes:
        conn.execute(_DELETE, deletes)
    if upserts:
        conn.execute(_upsert(conn.dialect.name), upserts)


def _refresh_parents(conn: Connection, touched: Set[Key]) -> None:
    """Months, years and all-time rows of the day rows that changed, each from its finer rows."""
    for source, grain in (("d", "m"), ("m", "y"), ("y", "a")):
        parents = {(dim, value, parent_period(p, grain), n) for dim, value, p, n in touched}
        if grain == "a":
            first, last = _FAR_PAST, _FAR_FUTURE
        else:
            first = min(p for _d, _v, p, _n in parents)
            last = max(p for _d, _v, p, _n in parents)
            last = last + timedelta(days=32) if grain == "m" else _next_year(last)
            last = last.replace(day=1)
        sums: dict[Key, list[int]] = {}
        for (dim, value, period, number), counters in _stored(
            conn, source, (n for *_k, n in parents), first, last
        ).items():
            key = (dim, value, parent_period(period, grain), number)
            if key in parents:
                add_counters(sums.setdefault(key, [0] * len(NUMBER_COUNTERS)), counters)
        _write(conn, grain, {k: (tuple(sums[k]) if k in sums else None) for k in parents})
        touched = parents


def refresh_numbers(
    conn: Connection, pairs: Sequence[Pair], missed_changed: Set[Pair] | None = None
) -> None:
    """Recompute `an_numbers` for these (day, number) pairs: their day rows from the caller
    rollups, and the month, year and all-time rows of those that changed. (`missed_changed`
    is accepted for the caller's sake: changed rows are found by comparing with the stored.)"""
    for i in range(0, len(pairs), _CHUNK):
        chunk = sorted(set(pairs[i : i + _CHUNK]))
        wanted = set(chunk)
        params = {"days": sorted({d for d, _n in chunk}), "numbers": sorted({n for _d, n in chunk})}
        new = {
            k: v
            for k, v in day_rows(
                conn.execute(_CALLER_DAYS, params), conn.execute(_AGENT_DAYS, params)
            ).items()
            if (k[2], k[3]) in wanted
        }
        first = min(d for d, _n in chunk)
        last = max(d for d, _n in chunk) + timedelta(days=1)
        old = {
            k: v
            for k, v in _stored(conn, "d", (n for _d, n in chunk), first, last).items()
            if (k[2], k[3]) in wanted
        }
        changed = {k for k in new.keys() | old.keys() if new.get(k) != old.get(k)}
        if not changed:
            continue
        _write(conn, "d", {k: new.get(k) for k in changed})
        _refresh_parents(conn, changed)
