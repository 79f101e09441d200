"""The audit log: who assigned, closed, called back, replayed, retried or changed what.
Written in the transaction of the change it records, so the log and the change agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from cdrhub.people.tables import audit_log
from cdrhub.timefmt import utcnow


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    user_id: int | None
    actor: str
    action: str
    target: str | None
    detail: dict[str, Any] | None


def record(
    conn: Connection,
    actor: str,
    action: str,
    target: str | None = None,
    *,
    user_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add an entry. `actor` is an e-mail address, or `cli` for the command line."""
    conn.execute(
        audit_log.insert().values(
            at=utcnow(), user_id=user_id, actor=actor, action=action, target=target, detail=detail
        )
    )


def entries(conn: Connection, *, limit: int = 100, before_id: int | None = None) -> list[Entry]:
    """The newest entries first (`before_id` pages further back)."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    return [Entry(**row._mapping) for row in conn.execute(query)]
