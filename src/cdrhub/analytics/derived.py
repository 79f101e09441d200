"""Per-number tables derived from the daily caller rollup, recomputed (not added to) for each
(day, number) a write touched, so they stay exact under revisions:

- `an_repeaters`: days a number made 2+ incoming contacts (repeat callers);
- `an_missed`: days, months and years in which a number had a missed contact, so that "missed
  customers" (distinct numbers) over a range counts a few rows per number, not every day.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from cdrhub.analytics.specs import CALLERS
from cdrhub.analytics.tables import ROLLUPS, missed, repeaters

REPEAT_MIN = 2
_CHUNK = 500
Pair = tuple[datetime, str]  # (local day, number)


def _month(day: datetime) -> datetime:
    return day.replace(day=1)


def _year(day: datetime) -> datetime:
    return day.replace(month=1, day=1)


def _pairs_in(a: Any, b: Any) -> Any:
    return tuple_(a, b).in_(bindparam("pairs", expanding=True))


_CALLERS = ROLLUPS[CALLERS.name]
# Built once: statement construction costs more than execution for the one leg of a webhook.
_DAY_TOTALS = (
    select(
        _CALLERS.c.period, _CALLERS.c.number, func.sum(_CALLERS.c.contacts),
        func.sum(_CALLERS.c.answered), func.sum(_CALLERS.c.missed),
    )
    .where(_CALLERS.c.grain == "d", _pairs_in(_CALLERS.c.period, _CALLERS.c.number))
    .group_by(_CALLERS.c.period, _CALLERS.c.number)
)  # fmt: skip
_DELETE_REPEATERS = delete(repeaters).where(_pairs_in(repeaters.c.day, repeaters.c.number))
_DELETE_MISSED = delete(missed).where(
    missed.c.grain == bindparam("grain"), _pairs_in(missed.c.period, missed.c.number)
)
_MISSED_DAYS = select(missed.c.period, missed.c.number, missed.c.missed).where(
    missed.c.grain == "d",
    missed.c.number.in_(bindparam("numbers", expanding=True)),
    missed.c.period >= bindparam("first"),
    missed.c.period < bindparam("last"),
)


def _day_totals(conn: Connection, pairs: Sequence[Pair]) -> list[Any]:
    return conn.execute(_DAY_TOTALS, {"pairs": list(pairs)}).all()


def _refresh_missed_periods(conn: Connection, pairs: Sequence[Pair]) -> None:
    """Months and years of the touched pairs, from their `an_missed` day rows."""
    numbers = sorted({n for _d, n in pairs})
    first = min(_year(d) for d, _n in pairs)
    last = max(_year(d) for d, _n in pairs).replace(year=max(d.year for d, _n in pairs) + 1)
    months = {(_month(d), n) for d, n in pairs}
    years = {(_year(d), n) for d, n in pairs}
    rows = conn.execute(_MISSED_DAYS, {"numbers": numbers, "first": first, "last": last}).all()
    sums: dict[tuple[str, datetime, str], int] = {}
    for day, number, count in rows:
        for grain, period in (("m", _month(day)), ("y", _year(day))):
            if (period, number) in (months if grain == "m" else years):
                key = (grain, period, number)
                sums[key] = sums.get(key, 0) + int(count)
    for grain, keys in (("m", sorted(months)), ("y", sorted(years))):
        conn.execute(_DELETE_MISSED, {"grain": grain, "pairs": keys})
    if sums:
        conn.execute(
            missed.insert(),
            [{"grain": g, "period": p, "number": n, "missed": c}
             for (g, p, n), c in sorted(sums.items())],
        )  # fmt: skip


@lru_cache(maxsize=4)
def _repeaters_upsert(dialect_name: str) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(repeaters)
    return stmt.on_conflict_do_update(
        index_elements=["day", "number"],
        set_={c: stmt.excluded[c] for c in ("contacts", "answered", "missed")},
    )


def refresh_numbers(
    conn: Connection, pairs: Sequence[Pair], missed_changed: Set[Pair] | None = None
) -> None:
    """Recompute `an_repeaters` for these (day, number) pairs, and `an_missed` for those whose
    missed count changed (all of them when `missed_changed` is None)."""
    for i in range(0, len(pairs), _CHUNK):
        chunk = list(pairs[i : i + _CHUNK])
        totals = {(d, n): (int(c), int(a), int(m)) for d, n, c, a, m in _day_totals(conn, chunk)}
        repeat_rows = [
            {"day": d, "number": n, "contacts": c, "answered": a, "missed": m}
            for (d, n), (c, a, m) in totals.items()
            if c >= REPEAT_MIN
        ]
        drop = [p for p in chunk if totals.get(p, (0, 0, 0))[0] < REPEAT_MIN]
        if drop:
            conn.execute(_DELETE_REPEATERS, {"pairs": drop})
        if repeat_rows:
            conn.execute(_repeaters_upsert(conn.dialect.name), repeat_rows)
        changed = chunk if missed_changed is None else [p for p in chunk if p in missed_changed]
        if not changed:
            continue
        conn.execute(_DELETE_MISSED, {"grain": "d", "pairs": changed})
        missed_rows = [
            {"grain": "d", "period": d, "number": n, "missed": totals[(d, n)][2]}
            for d, n in changed
            if totals.get((d, n), (0, 0, 0))[2] > 0
        ]
        if missed_rows:
            conn.execute(missed.insert(), missed_rows)
        _refresh_missed_periods(conn, changed)
