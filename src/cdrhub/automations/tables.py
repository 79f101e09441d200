"""Automation tables on the shared `metadata`: the outbox, callback items, notifications,
the opt-out list and the per-number text log. Migrations: 0003_automations, 0005_automations_calls,
0009_outbox_lanes."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text, text

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

# One open item per customer number; closed ones keep the history for the report.
callback_items = Table(
    "callback_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("customer_number", String(32), nullable=False),
    # open | returned | reached | closed | answered (legs of one call: no miss after all)
    Column("status", String(16), nullable=False),
    Column("opened_at", DateTime, nullable=False),  # start of the first missed contact
    Column("last_missed_at", DateTime, nullable=False),
    Column("last_missed_until", DateTime),  # end of the last missed leg, plus a slack
    Column("missed_count", Integer, nullable=False, default=1),
    Column("first_ivruniqueid", String(128), nullable=False),
    Column("last_ivruniqueid", String(128), nullable=False),
    Column("queue_name", String(255)),
    Column("department_id", Id),
    Column("rule", String(128)),
    Column("assigned_to", String(128)),
    Column("assigned_at", DateTime),
    Column("closed_at", DateTime),
    Column("closed_by_ivruniqueid", String(128)),
    Column("closed_by_agent", String(128)),
    Column("note", Text),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index(
        "uq_callback_open_number",
        "customer_number",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
    Index("ix_callback_status_opened", "status", "opened_at"),
    Index("ix_callback_first_leg", "first_ivruniqueid"),
    Index("ix_callback_last_leg", "last_ivruniqueid"),
    Index("ix_callback_opened", "opened_at"),
)

# Live notifications for managers (served as Server-Sent Events).
notifications = Table(
    "notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("level", String(16), nullable=False),
    Column("title", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("data", Json, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

# Numbers that asked not to be texted.
opt_outs = Table(
    "opt_outs",
    metadata,
    Column("number", String(32), primary_key=True),
    Column("reason", Text),
    Column("created_at", DateTime, nullable=False),
)

# The last text sent to each number, for "at most one text per number per period".
text_log = Table(
    "text_log",
    metadata,
    Column("number", String(32), primary_key=True),
    Column("job_key", String(255), nullable=False),
    Column("sent_at", DateTime, nullable=False),
)
