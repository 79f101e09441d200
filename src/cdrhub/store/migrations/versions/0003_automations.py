"""Automations: outbox jobs, callback items, notifications, opt-outs, text log.

Revision ID: 0003_automations
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003_automations"
down_revision = "0001_core"
branch_labels = ("automations",)
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "outbox_jobs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("payload", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("run_at", sa.DateTime, nullable=False),
        sa.Column("locked_until", sa.DateTime),
        sa.Column("lease", sa.String(64)),
        sa.Column("locked_by", sa.String(128)),
        sa.Column("last_error", sa.Text),
        sa.Column("result", Json),
        sa.Column("leg_id", Id),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
    )
    op.create_index("ix_outbox_due", "outbox_jobs", ["status", "run_at"])
    op.create_index("ix_outbox_kind", "outbox_jobs", ["kind", "status"])
    op.create_table(
        "callback_items",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("customer_number", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("last_missed_at", sa.DateTime, nullable=False),
        sa.Column("missed_count", sa.Integer, nullable=False),
        sa.Column("first_ivruniqueid", sa.String(128), nullable=False),
        sa.Column("last_ivruniqueid", sa.String(128), nullable=False),
        sa.Column("queue_name", sa.String(255)),
        sa.Column("department_id", Id),
        sa.Column("rule", sa.String(128)),
        sa.Column("assigned_to", sa.String(128)),
        sa.Column("assigned_at", sa.DateTime),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("closed_by_ivruniqueid", sa.String(128)),
        sa.Column("closed_by_agent", sa.String(128)),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index(
        "uq_callback_open_number",
        "callback_items",
        ["customer_number"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index("ix_callback_status_opened", "callback_items", ["status", "opened_at"])
    op.create_index("ix_callback_opened", "callback_items", ["opened_at"])
    op.create_table(
        "notifications",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False, unique=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("data", Json, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "opt_outs",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("reason", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "text_log",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("job_key", sa.String(255), nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    for name in ("text_log", "opt_outs", "notifications", "callback_items", "outbox_jobs"):
        op.drop_table(name)
