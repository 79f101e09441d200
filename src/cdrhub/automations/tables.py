"""Automation tables on the shared `metadata`: callback items, notifications, the opt-out list
and the per-number text log. Migrations: 0003_automations, 0005_automations_calls,
0012_live_events, 0015_callback_agent. (The outbox table, created by 0003_automations too, is
defined in `cdrhub.jobs.tables`.)"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, Text, text

from cdrhub.store.schema import Id, Json, metadata

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
    Column("department_name", String(255)),  # for a manager's scope (0012_live_events)
    Column("rule", String(128)),
    Column("assigned_to", String(128)),
    Column("assigned_at", DateTime),
    Column("closed_at", DateTime),
    Column("closed_by_ivruniqueid", String(128)),
    Column("closed_by_agent", String(128)),
    # the agent the item is for: whose call reached the customer, else the assignee's agent code
    # (the callbacks report's `agent`; 0015_callback_agent)
    Column("agent_code", String(128)),
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

# What happens to callback items, for the dashboard's live stream (automations/live.py): a
# pop-up for each item opened or missed again, and each item closed or assigned. `tx` is the
# writing transaction's id on PostgreSQL, so a reader can wait for rows that commit out of id
# order; SQLite has one writer at a time and leaves it 0.
live_events = Table(
    "live_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("tx", BigInteger, nullable=False),
    Column("at", DateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("item_id", Id, nullable=False),
    Column("customer_number", String(32)),
    Column("queue_name", String(255)),
    Column("department_name", String(255)),
    Column("data", Json, nullable=False),
    Index("ix_live_events_tx_id", "tx", "id"),
)
