"""The job table on the shared `metadata`. Created by migration 0003_automations (the outbox
began as automations' own), given lanes and hosts by 0009_outbox_lanes; every domain uses it."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from cdrhub.store.schema import Id, Json, metadata

# The transactional outbox: one row per job, unique on its idempotency key.
outbox_jobs = Table(
    "outbox_jobs",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(64), nullable=False),
    Column("key", String(255), nullable=False, unique=True),
    Column("payload", Json, nullable=False),
    # pending | running | done | dead | skipped
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("max_attempts", Integer, nullable=False),
    Column("run_at", DateTime, nullable=False),
    Column("locked_until", DateTime),
    Column("lease", String(64)),
    Column("locked_by", String(128)),
    Column("last_error", Text),
    Column("result", Json),
    Column("leg_id", Id),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    # urgent | bulk: workers claim urgent jobs first, on threads of their own (outbox.LANES)
    Column("lane", String(16), nullable=False, server_default="bulk"),
    # the outside host a job talks to, when known: a failing host's jobs wait together
    Column("host", String(255)),
    Index("ix_outbox_due", "status", "run_at"),
    Index("ix_outbox_kind", "kind", "status"),
    # the claim: a lane's due jobs in run_at order, read off the index (no sort, no scan)
    Index("ix_outbox_lane_due", "lane", "status", "run_at", "id"),
    Index("ix_outbox_host", "host", "status"),
)
