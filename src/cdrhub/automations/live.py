"""The live feed of callback items: what the dashboard's stream shows (a pop-up for each item
opened or missed again; items leaving the list when closed; assignments).

Events are rows written in the transaction of the change they report. A reader keeps a cursor
`(tx, id)` and reads only what no running transaction can still add to:

- SQLite has one writer at a time, so rows commit in id order; tx is 0 and the cursor is the
  last id read.
- PostgreSQL's writers run side by side and a row with a lower id can commit after one with a
  higher id. Each row carries its transaction's id (`pg_current_xact_id()`), and a reader takes
  only rows of transactions older than the oldest one still running that could have written
  one: no such row can appear later, so resuming from a cursor neither loses nor repeats an
  event. The price: a writing transaction on this database that stays open holds the feed back
  until it ends. Transactions of other databases on the same server (a long import elsewhere,
  another application) cannot write here and do not hold it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Text,
    cast,
    func,
    literal,
    literal_column,
    select,
    tuple_,
)

from cdrhub.automations.tables import live_events

OPENED, MISSED, CLOSED, ASSIGNED = "opened", "missed", "closed", "assigned"
POP_UP = (OPENED, MISSED)


@dataclass(frozen=True, order=True)
class Cursor:
    tx: int
    id: int

    def __str__(self) -> str:
        return f"{self.tx}-{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """A cursor from an SSE id (`Last-Event-ID`); None for anything else."""
        if not text or len(text) > 41:
            return None
        tx, sep, id_ = text.partition("-")
        if not sep or not tx.isdigit() or not id_.isdigit():
            return None
        return cls(int(tx), int(id_))


def _tx(conn: Connection) -> Any:
    if conn.dialect.name == "postgresql":
        return cast(cast(func.pg_current_xact_id(), Text), BigInteger)
    return literal(0)


# The oldest transaction of the statement's snapshot that may still add an event: its running
# transactions (xip) but those seen running in another database, else the snapshot's xmax. A
# transaction that ends between the snapshot and the read of pg_stat_activity is not seen
# there, so it still counts (the safe side); backend_xid is a 32-bit xid, xip's are 64-bit.
HORIZON = """(
SELECT LEAST(
    pg_snapshot_xmax(snap.s)::text::bigint,
    (SELECT min(x::text::bigint) FROM pg_snapshot_xip(snap.s) AS x
     WHERE x::text::bigint % 4294967296 NOT IN (
         SELECT backend_xid::text::bigint FROM pg_stat_activity
         WHERE backend_xid IS NOT NULL
           AND datname IS DISTINCT FROM current_database())))
FROM (SELECT pg_current_snapshot() AS s) AS snap)"""


def _horizon(conn: Connection) -> Any:
    """Transactions below this id that could write here have all ended (PostgreSQL)."""
    return literal_column(HORIZON, BigInteger())


def record(
    conn: Connection,
    kind: str,
    item: dict[str, Any],
    now: datetime,
    **data: Any,
) -> None:
    """Report a change of callback item `item` (a row of callback_items, as a mapping)."""
    conn.execute(
        live_events.insert().values(
            tx=_tx(conn),
            at=now,
            kind=kind,
            item_id=item["id"],
            customer_number=item.get("customer_number"),
            queue_name=item.get("queue_name"),
            department_name=item.get("department_name"),
            data=data,
        )
    )


def now_cursor(conn: Connection) -> Cursor:
    """Where a new reader starts: after everything that is settled now."""
    if conn.dialect.name == "postgresql":
        horizon = int(conn.execute(select(_horizon(conn))).scalar_one())
        return Cursor(horizon, 0)
    last: int = conn.execute(select(func.coalesce(func.max(live_events.c.id), 0))).scalar_one()
    return Cursor(0, last)


def after(conn: Connection, cursor: Cursor, limit: int = 200) -> list[dict[str, Any]]:
    """The settled events after `cursor`, in order, each with its own `cursor`."""
    query = select(live_events)
    if conn.dialect.name == "postgresql":
        query = query.where(
            tuple_(live_events.c.tx, live_events.c.id)
            > tuple_(literal(cursor.tx), literal(cursor.id)),
            live_events.c.tx < _horizon(conn),
        )
    else:
        query = query.where(live_events.c.id > cursor.id)
    rows = conn.execute(query.order_by(live_events.c.tx, live_events.c.id).limit(limit)).mappings()
    return [{**row, "cursor": Cursor(row["tx"], row["id"])} for row in rows]
