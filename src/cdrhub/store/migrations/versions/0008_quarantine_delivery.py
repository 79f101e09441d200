"""Quarantine keyed by the whole delivery, secrets stripped; generated secrets kept hashed.

- `quarantine.delivery_key` (unique) replaces the unique `body_sha256`: rows were keyed on the
  body alone, so GET deliveries (empty body, the CDR in the query) all merged into one. Existing
  rows get their key, and the secrets already stored in their query, headers, body or reason
  are stripped (`cdrhub.redact`, with the generated ingest token still kept in plain text).
- `app_state`: the generated ingest token and API key were kept in plain text; they become
  `ingest_token_sha256` / `api_key_sha256` and the plain values are deleted. The embed secret
  (an HMAC key) stays as it is.

Downgrade restores the unique `body_sha256` by keeping the oldest row of each body (the old
schema could hold no more); hashed secrets cannot be turned back, so the old
code would generate new ones.

Revision ID: 0008_quarantine_delivery
"""

import hashlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from cdrhub.redact import redact_delivery
from cdrhub.store.quarantine import delivery_key

revision = "0008_quarantine_delivery"
down_revision = "0001_core"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(JSONB(), "postgresql")
# SQLite's unique constraints from 0001 have no name: batch mode names them by this convention.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
HASHED = ("ingest_token", "api_key")
BATCH = 200

app_state = sa.table("app_state", sa.column("key", sa.String), sa.column("value", sa.Text))
quarantine = sa.table(
    "quarantine",
    sa.column("id", sa.Integer),
    sa.column("delivery_key", sa.String),
    sa.column("body_sha256", sa.String),
    sa.column("body", sa.LargeBinary),
    sa.column("content_type", sa.String),
    sa.column("method", sa.String),
    sa.column("query", sa.Text),
    sa.column("headers", Json),
    sa.column("reason", sa.Text),
    sa.column("received_count", sa.Integer),
    sa.column("first_received_at", sa.DateTime),
    sa.column("last_received_at", sa.DateTime),
)


def _unique_name(column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"quarantine_{column}_key"  # PostgreSQL's name for an unnamed UNIQUE
    return f"uq_quarantine_{column}"


def upgrade() -> None:
    with op.batch_alter_table("quarantine", naming_convention=NAMING) as batch:
        batch.add_column(sa.Column("delivery_key", sa.String(64), nullable=True))
        batch.drop_constraint(_unique_name("body_sha256"), type_="unique")
    conn = op.get_bind()
    plain: dict[str, str] = dict(conn.execute(sa.select(app_state.c.key, app_state.c.value)).all())
    _rekey_quarantine(conn, [v for k, v in plain.items() if k in HASHED])
    with op.batch_alter_table("quarantine", naming_convention=NAMING) as batch:
        batch.alter_column("delivery_key", existing_type=sa.String(64), nullable=False)
        batch.create_unique_constraint(_unique_name("delivery_key"), ["delivery_key"])
    for key in HASHED:
        if key in plain:
            digest = hashlib.sha256(plain[key].encode()).hexdigest()
            conn.execute(app_state.delete().where(app_state.c.key == key))
            conn.execute(app_state.insert().values(key=f"{key}_sha256", value=digest))


def _rekey_quarantine(conn: sa.Connection, secrets: list[str]) -> None:
    """Strip and key every row, a batch at a time (bodies can be large); rows that become the
    same delivery are merged into the oldest."""
    seen: dict[str, dict[str, Any]] = {}
    after = 0
    while True:
        rows = (
            conn.execute(
                sa.select(quarantine)
                .where(quarantine.c.id > after)
                .order_by(quarantine.c.id)
                .limit(BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        for row in rows:
            _rekey_row(conn, row, secrets, seen)
        after = rows[-1]["id"]


def _rekey_row(
    conn: sa.Connection, row: sa.RowMapping, secrets: list[str], seen: dict[str, dict[str, Any]]
) -> None:
    safe = redact_delivery(
        body=row["body"],
        query=row["query"] or "",
        headers=row["headers"] or {},
        reason=row["reason"],
        content_type=row["content_type"],
        secrets=secrets,
    )
    key = delivery_key(row["method"], safe.content_type, safe.query, safe.body)
    first = seen.get(key)
    if first is not None:
        first["received_count"] += row["received_count"]
        first["last_received_at"] = max(first["last_received_at"], row["last_received_at"])
        conn.execute(
            quarantine.update()
            .where(quarantine.c.id == first["id"])
            .values(
                received_count=first["received_count"],
                last_received_at=first["last_received_at"],
            )
        )
        conn.execute(quarantine.delete().where(quarantine.c.id == row["id"]))
        return
    seen[key] = {k: row[k] for k in ("id", "received_count", "last_received_at")}
    conn.execute(
        quarantine.update()
        .where(quarantine.c.id == row["id"])
        .values(
            delivery_key=key,
            body=safe.body,
            body_sha256=hashlib.sha256(safe.body).hexdigest(),
            query=safe.query if row["query"] is not None else None,
            headers=safe.headers,
            reason=safe.reason,
            content_type=safe.content_type,
        )
    )


def downgrade() -> None:
    conn = op.get_bind()
    t = quarantine.c
    firsts = sa.select(sa.func.min(t.id)).group_by(t.body_sha256).scalar_subquery()
    query = sa.select(t.id).where(t.id.not_in(firsts))
    duplicates: Sequence[int] = conn.execute(query).scalars().all()
    for qid in duplicates:
        conn.execute(quarantine.delete().where(t.id == qid))
    with op.batch_alter_table("quarantine", naming_convention=NAMING) as batch:
        batch.drop_constraint(_unique_name("delivery_key"), type_="unique")
        batch.drop_column("delivery_key")
        batch.create_unique_constraint(_unique_name("body_sha256"), ["body_sha256"])
