"""Quarantine: request bodies that could not be read as CDRs, kept byte for byte.

The same body twice is kept once (keyed by its SHA-256) and its deliveries are counted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cdrhub.store.schema import quarantine
from cdrhub.timefmt import iso_utc

_SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization"}


def keep(
    conn: Connection,
    *,
    body: bytes,
    reason: str,
    method: str,
    content_type: str | None,
    query: str,
    headers: Mapping[str, str],
    source: str | None,
    received_at: datetime,
) -> int:
    """Store a body (or count it again); returns its quarantine id."""
    digest = hashlib.sha256(body).hexdigest()
    safe_headers = {
        k: ("<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in headers.items()
    }
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(quarantine).values(
        body_sha256=digest,
        body=body,
        content_type=content_type,
        method=method,
        query=query,
        headers=safe_headers,
        source=source,
        reason=reason,
        received_count=1,
        first_received_at=received_at,
        last_received_at=received_at,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["body_sha256"],
        set_={
            "received_count": quarantine.c.received_count + 1,
            "last_received_at": received_at,
            "reason": reason,
        },
    ).returning(quarantine.c.id)
    return int(conn.execute(stmt).scalar_one())


def pending(conn: Connection, include_replayed: bool = False) -> list[RowMapping]:
    query = select(quarantine).order_by(quarantine.c.id)
    if not include_replayed:
        query = query.where(quarantine.c.replayed_at.is_(None))
    return list(conn.execute(query).mappings())


def mark_replayed(conn: Connection, qid: int, at: datetime | None, result: str) -> None:
    conn.execute(
        update(quarantine)
        .where(quarantine.c.id == qid)
        .values(replayed_at=at, replay_result=result)
    )


def as_json(row: RowMapping) -> dict[str, Any]:
    body: bytes = row["body"]
    return {
        "id": row["id"],
        "reason": row["reason"],
        "method": row["method"],
        "content_type": row["content_type"],
        "query": row["query"],
        "source": row["source"],
        "size": len(body),
        "body": body.decode("utf-8", "replace"),
        "body_sha256": row["body_sha256"],
        "received_count": row["received_count"],
        "first_received_at": iso_utc(row["first_received_at"]),
        "last_received_at": iso_utc(row["last_received_at"]),
        "replayed_at": iso_utc(row["replayed_at"]),
        "replay_result": row["replay_result"],
    }
