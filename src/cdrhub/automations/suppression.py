"""Who must not be texted now: the opt-out list, and the one-text-per-period log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cdrhub.automations.tables import opt_outs, text_log


def _insert(conn: Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert


def is_opted_out(conn: Connection, number: str) -> bool:
    return (
        conn.execute(select(opt_outs.c.number).where(opt_outs.c.number == number)).first()
        is not None
    )


def add_opt_out(conn: Connection, number: str, now: datetime, reason: str | None = None) -> bool:
    stmt = (
        _insert(conn)(opt_outs)
        .values(number=number, reason=reason, created_at=now)
        .on_conflict_do_nothing(index_elements=["number"])
        .returning(opt_outs.c.number)
    )
    return conn.execute(stmt).scalar() is not None


def remove_opt_out(conn: Connection, number: str) -> bool:
    return conn.execute(delete(opt_outs).where(opt_outs.c.number == number)).rowcount == 1


def list_opt_outs(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(opt_outs).order_by(opt_outs.c.created_at.desc())).mappings()
    return [dict(r) for r in rows]


def reserve_text(
    conn: Connection, number: str, job_key: str, now: datetime, period_seconds: int
) -> bool:
    """Claim the number's text slot for this job: False when another job texted it within the
    period. The same job may claim again (a retry)."""
    if period_seconds <= 0:
        return True
    inserted = conn.execute(
        _insert(conn)(text_log)
        .values(number=number, job_key=job_key, sent_at=now)
        .on_conflict_do_nothing(index_elements=["number"])
        .returning(text_log.c.number)
    ).scalar()
    if inserted is not None:
        return True
    cutoff = now - timedelta(seconds=period_seconds)
    taken = conn.execute(
        update(text_log)
        .where(
            text_log.c.number == number,
            (text_log.c.job_key == job_key) | (text_log.c.sent_at < cutoff),
        )
        .values(job_key=job_key, sent_at=now)
    ).rowcount
    return taken == 1


def release_text(conn: Connection, number: str, job_key: str) -> None:
    """Give the slot back when the text was never sent (a permanent failure)."""
    conn.execute(delete(text_log).where(text_log.c.number == number, text_log.c.job_key == job_key))
