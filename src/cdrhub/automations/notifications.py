"""Manager notifications: rows written with the leg (or by a job), read as a live stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from cdrhub.automations.tables import notifications
from cdrhub.store.bulk import insert_ignoring


def _insert(conn: Connection, returning: bool) -> Any:
    return insert_ignoring(conn, notifications, ("key",), notifications.c.id if returning else None)


def _row(
    key: str, title: str, text: str, level: str, data: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    return {
        "key": key,
        "level": level,
        "title": title,
        "text": text,
        "data": data or {},
        "created_at": now,
    }


def add(
    conn: Connection,
    key: str,
    *,
    title: str,
    text: str,
    level: str = "info",
    data: dict[str, Any] | None = None,
    now: datetime,
) -> int | None:
    """Idempotent on `key`; None when that notification exists already."""
    row = _row(key, title, text, level, data, now)
    return conn.execute(_insert(conn, True), row).scalar()


class Pending:
    """Notifications of one transaction, added in one statement by `flush` (in order; of several
    with one key the first is kept, as `add` one after another would)."""

    def __init__(self) -> None:
        self._rows: dict[str, dict[str, Any]] = {}

    def add(
        self,
        key: str,
        *,
        title: str,
        text: str,
        level: str = "info",
        data: dict[str, Any] | None = None,
        now: datetime,
    ) -> None:
        self._rows.setdefault(key, _row(key, title, text, level, data, now))

    def flush(self, conn: Connection) -> None:
        if self._rows:
            conn.execute(_insert(conn, False), list(self._rows.values()))
            self._rows.clear()


def since(conn: Connection, after_id: int, limit: int = 100) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(notifications)
        .where(notifications.c.id > after_id)
        .order_by(notifications.c.id)
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def latest(conn: Connection, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(notifications).order_by(notifications.c.id.desc()).limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def last_id(conn: Connection) -> int:
    return conn.execute(select(func.coalesce(func.max(notifications.c.id), 0))).scalar_one()
