"""What a purge of old legs leaves for the reports to stay exact (docs/deploy.md, "Retention").

A purge deletes legs but keeps the hourly rollups they were counted in. The reports plan their
reads from the span of stored start times (`analytics.query.data_bounds`: no rollup row lies
outside it), so the span of the purged legs is kept here, in `app_state`, and widened by every
purge: `purged_legs_first` and `purged_legs_last` (the earliest and latest start of a purged
leg) and `purged_before` (the latest horizon: no leg that started before it is kept). Values
are ISO 8601, naive UTC like every stored time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from cdrhub.store.schema import app_state
from cdrhub.store.state import put_value

FIRST, LAST, BEFORE = "purged_legs_first", "purged_legs_last", "purged_before"


@dataclass(frozen=True, slots=True)
class Purged:
    before: datetime  # no leg that started before this is kept
    first: datetime | None  # the earliest and latest start of a purged leg (None: none purged)
    last: datetime | None


def read_purged(conn: Connection) -> Purged | None:
    """What purges left, None when nothing was ever purged."""
    rows = conn.execute(
        select(app_state.c.key, app_state.c.value).where(app_state.c.key.in_([FIRST, LAST, BEFORE]))
    ).all()
    kept = {str(key): datetime.fromisoformat(str(value)) for key, value in rows}
    if BEFORE not in kept:
        return None
    return Purged(kept[BEFORE], kept.get(FIRST), kept.get(LAST))


def record_purge(
    conn: Connection, before: datetime, first: datetime | None, last: datetime | None
) -> Purged:
    """Widen what is kept by a purge up to `before` of legs that started in [first, last]
    (in the caller's transaction, before the legs are deleted)."""
    old = read_purged(conn)
    if old is not None:
        before = max(before, old.before)
        first = min((t for t in (first, old.first) if t is not None), default=None)
        last = max((t for t in (last, old.last) if t is not None), default=None)
    put_value(conn, BEFORE, before.isoformat())
    if first is not None and last is not None:
        put_value(conn, FIRST, first.isoformat())
        put_value(conn, LAST, last.isoformat())
    return Purged(before, first, last)
