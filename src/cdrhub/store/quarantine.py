"""Quarantine: deliveries that could not be read as CDRs, kept to be replayed after a fix.

Each distinct delivery is one row: the key covers the method, the content type, the query
string and the body, so GET deliveries (empty body, the CDR in the query) each keep their own
row, and the same bytes delivered again are counted on the first row. Secrets are stripped
(`cdrhub.redact`) before anything is stored or keyed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from cdrhub.redact import redact_delivery
from cdrhub.store.schema import quarantine
from cdrhub.timefmt import iso_utc

LIST_DEFAULT = 50
LIST_MAX = 500


def delivery_key(method: str, content_type: str | None, query: str, body: bytes) -> str:
    """The dedupe key of a (redacted) delivery: SHA-256 over all that a replay reads."""
    head = json.dumps([method.upper(), content_type or "", query], ensure_ascii=True)
    return hashlib.sha256(head.encode() + b"\n" + body).hexdigest()


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
    secrets: Iterable[str] = (),
) -> int:
    """Store a delivery (or count it again); returns its quarantine id. `secrets`: the
    credential the request authenticated with, removed wherever it appears."""
    safe = redact_delivery(
        body=body,
        query=query,
        headers=headers,
        reason=reason,
        content_type=content_type,
        secrets=secrets,
    )
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(quarantine).values(
        delivery_key=delivery_key(method, safe.content_type, safe.query, safe.body),
        body_sha256=hashlib.sha256(safe.body).hexdigest(),
        body=safe.body,
        content_type=safe.content_type,
        method=method,
        query=safe.query,
        headers=safe.headers,
        source=source,
        reason=safe.reason,
        received_count=1,
        first_received_at=received_at,
        last_received_at=received_at,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["delivery_key"],
        set_={
            "received_count": quarantine.c.received_count + 1,
            "last_received_at": received_at,
            "reason": safe.reason,
        },
    ).returning(quarantine.c.id)
    return int(conn.execute(stmt).scalar_one())


_LISTED = [c for c in quarantine.c if c.name not in ("body", "headers")]


def page(
    conn: Connection,
    *,
    after: int | None = None,
    limit: int = LIST_DEFAULT,
    include_replayed: bool = False,
    with_body: bool = False,
) -> tuple[list[RowMapping], int | None]:
    """Up to `limit` rows after id `after`, oldest first, and the cursor of the next page (None
    on the last). Without `with_body` the body is not read; `size` is its length."""
    if with_body:
        query = select(quarantine)
    else:
        query = select(*_LISTED, func.length(quarantine.c.body).label("size"))
    query = query.order_by(quarantine.c.id).limit(limit + 1)
    if after is not None:
        query = query.where(quarantine.c.id > after)
    if not include_replayed:
        query = query.where(quarantine.c.replayed_at.is_(None))
    rows = list(conn.execute(query).mappings())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1]["id"] if more else None)


def get(conn: Connection, qid: int) -> RowMapping | None:
    return conn.execute(select(quarantine).where(quarantine.c.id == qid)).mappings().first()


def mark_replayed(conn: Connection, qid: int, at: datetime | None, result: str) -> None:
    conn.execute(
        update(quarantine)
        .where(quarantine.c.id == qid)
        .values(replayed_at=at, replay_result=result)
    )


def as_json(row: RowMapping) -> dict[str, Any]:
    """A row as listed: everything but the body and the headers."""
    size = row["size"] if "size" in row else len(row["body"])
    return {
        "id": row["id"],
        "reason": row["reason"],
        "method": row["method"],
        "content_type": row["content_type"],
        "query": row["query"],
        "source": row["source"],
        "size": size,
        "body_sha256": row["body_sha256"],
        "received_count": row["received_count"],
        "first_received_at": iso_utc(row["first_received_at"]),
        "last_received_at": iso_utc(row["last_received_at"]),
        "replayed_at": iso_utc(row["replayed_at"]),
        "replay_result": row["replay_result"],
    }


def as_json_with_body(row: RowMapping) -> dict[str, Any]:
    """One row whole: the body as text when it is UTF-8, else as `body_base64` (the other is
    null; its size is bounded by `max_body_bytes` at ingest)."""
    body: bytes = row["body"]
    try:
        text, b64 = body.decode("utf-8"), None
    except UnicodeDecodeError:
        text, b64 = None, base64.b64encode(body).decode("ascii")
    return {**as_json(row), "headers": row["headers"], "body": text, "body_base64": b64}
