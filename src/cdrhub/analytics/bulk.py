"""Store many legs fast: one multi-row insert per batch and one upsert per rollup row, still
idempotent on `ivruniqueid` and exact for the rollups.

Legs already stored, repeated within the batch, or inserted concurrently by a webhook go
through the ordinary pipeline (`store_legs`), which counts duplicates and handles revisions.
Only the analytics hook runs on the fast path: importing history must not fire automations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, select, update

from cdrhub.analytics.config import AnalyticsSettings
from cdrhub.analytics.facts import leg_facts
from cdrhub.analytics.pgcopy import copy_insert
from cdrhub.analytics.rollup import Deltas
from cdrhub.analytics.stored import stored_leg
from cdrhub.calls.model import CallLeg
from cdrhub.ingest.pipeline import Incoming, LegHook, store_legs
from cdrhub.store.fastexec import insert_ignoring_returning
from cdrhub.store.legs import content_hash, leg_to_row
from cdrhub.store.schema import legs

_LOOKUP_CHUNK = 900


@dataclass
class BulkResult:
    new: int = 0
    duplicate: int = 0
    revised: int = 0
    slow_path: int = 0
    ids: list[str] = field(default_factory=list)

    def add(self, other: BulkResult) -> None:
        self.new += other.new
        self.duplicate += other.duplicate
        self.revised += other.revised
        self.slow_path += other.slow_path


def _existing(conn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """Content hash of each id already stored."""
    found: dict[str, str] = {}
    for i in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[i : i + _LOOKUP_CHUNK]
        query = select(legs.c.ivruniqueid, legs.c.content_hash).where(legs.c.ivruniqueid.in_(chunk))
        found.update({row[0]: row[1] for row in conn.execute(query)})
    return found


def _count_redeliveries(conn: Connection, ids: Sequence[str], received_at: datetime) -> None:
    """What `save_leg` does for a duplicate, for many at once."""
    stmt = (
        update(legs)
        .where(legs.c.ivruniqueid == bindparam("the_id"))
        .values(deliveries=legs.c.deliveries + 1, last_received_at=received_at)
    )
    conn.execute(stmt, [{"the_id": i} for i in ids])


def _insert_new(conn: Connection, rows: list[dict[str, Any]]) -> set[str]:
    """Insert rows, skipping ids stored meanwhile; the ids actually inserted."""
    if conn.dialect.name == "postgresql":
        columns = [c.name for c in legs.columns if c.name != "id"]
        conflict = "ON CONFLICT (ivruniqueid) DO NOTHING"
        return set(copy_insert(conn, legs, columns, rows, conflict, returning="ivruniqueid"))
    columns = list(rows[0])
    values = [[row[c] for c in columns] for row in rows]
    inserted = insert_ignoring_returning(
        conn, legs, ("ivruniqueid",), columns, values, ("ivruniqueid",)
    )
    return {key for (key,) in inserted}


def bulk_store(
    conn: Connection,
    batch: Sequence[CallLeg],
    *,
    encoding: str,
    received_at: datetime,
    tz: ZoneInfo,
    cfg: AnalyticsSettings,
    hooks: Sequence[LegHook],
) -> BulkResult:
    """Store a batch on an open write transaction (the caller commits)."""
    result = BulkResult()
    firsts: dict[str, CallLeg] = {}
    later: list[CallLeg] = []
    for leg in batch:
        if leg.ivruniqueid in firsts:
            later.append(leg)
        else:
            firsts[leg.ivruniqueid] = leg
    stored = _existing(conn, list(firsts))
    fresh = [leg for leg in firsts.values() if leg.ivruniqueid not in stored]
    same = [i for i, leg in firsts.items() if i in stored and stored[i] == content_hash(leg)]
    if same:
        _count_redeliveries(conn, same, received_at)
        result.duplicate += len(same)
    seen = set(same)
    later = [leg for i, leg in firsts.items() if i in stored and i not in seen] + later
    inserted: set[str] = set()
    rows: list[dict[str, Any]] = []
    if fresh:
        meta = {"raw_body": None, "encoding": encoding, "revision": 1, "deliveries": 1,
                "first_received_at": received_at, "last_received_at": received_at}  # fmt: skip
        rows = [{**leg_to_row(leg), **meta, "content_hash": content_hash(leg)} for leg in fresh]
        inserted = _insert_new(conn, rows)
    deltas = Deltas()
    for leg, row in zip(fresh, rows, strict=True):
        if leg.ivruniqueid in inserted:  # the facts of the row as stored (see stored.py)
            deltas.add(leg_facts(stored_leg(row), tz, cfg))
        else:  # a webhook stored it meanwhile
            later.append(leg)
    deltas.write(conn)
    result.new = len(inserted)
    if later:
        result.slow_path = len(later)
        for item in store_legs(
            conn, [Incoming(leg, encoding) for leg in later], hooks, received_at
        ):
            if item.kind == "new":
                result.new += 1
            elif item.kind == "revised":
                result.revised += 1
            else:
                result.duplicate += 1
    return result
