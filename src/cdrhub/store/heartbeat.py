"""Readiness's proof that storage takes a write: a heartbeat row written in a transaction of its
own, and the room left on a SQLite database's disk.

A rolled-back write would not do on SQLite: the page it changes need never reach the disk, so it
succeeds on a full one. The heartbeat is committed, and overwrites one row of `app_state`.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite

from cdrhub.store.schema import app_state

KEY = "heartbeat"
# Below this much free space on a SQLite database's disk, readiness fails even when the
# heartbeat went in: the next checkpoint may need up to a WAL's worth (engine.JOURNAL_SIZE_LIMIT).
MIN_FREE_BYTES = 2 * 1024 * 1024


def beat(conn: Connection) -> None:
    """Write the heartbeat row, in the caller's write transaction."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    stmt = dialect.insert(app_state).values(key=KEY, value=now)
    conn.execute(stmt.on_conflict_do_update(index_elements=[app_state.c.key], set_={"value": now}))


def free_bytes(engine: Engine) -> int | None:
    """Free space on the disk of a SQLite database file; None for other databases."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    path = Path(database).resolve()
    try:
        stat = os.statvfs(path.parent)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def disk_problem(free: int | None) -> str | None:
    """The readiness reason for `free` bytes left, or None when that is enough."""
    if free is None or free >= MIN_FREE_BYTES:
        return None
    return f"the database's disk is full ({free / 1024 / 1024:.1f} MiB free)"
