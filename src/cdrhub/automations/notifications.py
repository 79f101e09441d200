"""Manager notifications: rows written with the leg (or by a job), read as a live stream."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from cdrhub.automations.tables import notifications


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
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(notifications)
        .values(key=key, level=level, title=title, text=text, data=data or {}, created_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(notifications.c.id)
    )
    return conn.execute(stmt).scalar()


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
