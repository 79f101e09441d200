"""Per-number tables derived from the daily caller rollup, recomputed (not added to) for each
(day, number) a write touched, so they stay exact under revisions:

- `an_repeaters`: days a number made 2+ incoming contacts (repeat callers);
- `an_missed`: days, months and years in which a number had a missed contact, so that "missed
  customers" (distinct numbers) over a range counts a few rows per number, not every day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, tuple_

from cdrhub.analytics.specs import CALLERS
from cdrhub.analytics.tables import ROLLUPS, missed, repeaters

REPEAT_MIN = 2
_CHUNK = 500
Pair = tuple[datetime, str]  # (local day, number)


def _month(day: datetime) -> datetime:
    return day.replace(day=1)


def _year(day: datetime) -> datetime:
    return day.replace(month=1, day=1)


def _day_totals(conn: Connection, pairs: Sequence[Pair]) -> list[Any]:
    table = ROLLUPS[CALLERS.name]
    return conn.execute(
        select(
            table.c.period, table.c.number, func.sum(table.c.contacts),
            func.sum(table.c.answered), func.sum(table.c.missed),
        )
        .where(table.c.grain == "d", tuple_(table.c.period, table.c.number).in_(pairs))
        .group_by(table.c.period, table.c.number)
    ).all()  # fmt: skip


def _refresh_missed_periods(conn: Connection, pairs: Sequence[Pair]) -> None:
    """Months and years of the touched pairs, from their `an_missed` day rows."""
    numbers = sorted({n for _d, n in pairs})
    first = min(_year(d) for d, _n in pairs)
    last = max(_year(d) for d, _n in pairs).replace(year=max(d.year for d, _n in pairs) + 1)
    months = {(_month(d), n) for d, n in pairs}
    years = {(_year(d), n) for d, n in pairs}
    rows = conn.execute(
        select(missed.c.period, missed.c.number, missed.c.missed).where(
            missed.c.grain == "d", missed.c.number.in_(numbers),
            missed.c.period >= first, missed.c.period < last,
        )
    ).all()  # fmt: skip
    sums: dict[tuple[str, datetime, str], int] = {}
    for day, number, count in rows:
        for grain, period in (("m", _month(day)), ("y", _year(day))):
            if (period, number) in (months if grain == "m" else years):
                key = (grain, period, number)
                sums[key] = sums.get(key, 0) + int(count)
    for grain, keys in (("m", sorted(months)), ("y", sorted(years))):
        conn.execute(
            delete(missed).where(
                missed.c.grain == grain, tuple_(missed.c.period, missed.c.number).in_(keys)
            )
        )
    if sums:
        conn.execute(
            missed.insert(),
            [{"grain": g, "period": p, "number": n, "missed": c}
             for (g, p, n), c in sorted(sums.items())],
        )  # fmt: skip


def refresh_numbers(conn: Connection, pairs: Sequence[Pair]) -> None:
    """Recompute `an_repeaters` and `an_missed` for these (day, number) pairs."""
    for i in range(0, len(pairs), _CHUNK):
        chunk = list(pairs[i : i + _CHUNK])
        totals = _day_totals(conn, chunk)
        conn.execute(
            delete(repeaters).where(tuple_(repeaters.c.day, repeaters.c.number).in_(chunk))
        )
        conn.execute(
            delete(missed).where(
                missed.c.grain == "d", tuple_(missed.c.period, missed.c.number).in_(chunk)
            )
        )
        repeat_rows = [
            {"day": d, "number": n, "contacts": int(c), "answered": int(a), "missed": int(m)}
            for d, n, c, a, m in totals
            if c >= REPEAT_MIN
        ]
        if repeat_rows:
            conn.execute(repeaters.insert(), repeat_rows)
        missed_rows = [
            {"grain": "d", "period": d, "number": n, "missed": int(m)}
            for d, n, _c, _a, m in totals
            if m > 0
        ]
        if missed_rows:
            conn.execute(missed.insert(), missed_rows)
        _refresh_missed_periods(conn, chunk)
