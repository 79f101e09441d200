"""Core tables: legs, their earlier versions, quarantine, app state.

Revision ID: 0001_core
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_core"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "legs",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("ivruniqueid", sa.String(128), nullable=False, unique=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("type_key", sa.String(64)),
        sa.Column("type_id", sa.Integer),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_known", sa.Boolean, nullable=False),
        sa.Column("leg1_status", sa.String(32)),
        sa.Column("started_at", sa.DateTime),
        sa.Column("started_at_local", sa.DateTime),
        sa.Column("time_raw", sa.BigInteger),
        sa.Column("time_mismatch_seconds", sa.Integer),
        *(sa.Column(n, sa.String(64)) for n in ("caller", "target", "did")),
        *(sa.Column(n, sa.String(32)) for n in ("caller_e164", "target_e164", "did_e164")),
        sa.Column("caller_extension", sa.String(64)),
        sa.Column("caller_extension_name", sa.String(255)),
        sa.Column("target_extension", sa.String(64)),
        sa.Column("target_extension_name", sa.String(255)),
        sa.Column("duration", sa.Integer),
        sa.Column("dialtime", sa.Integer),
        sa.Column("wait_seconds", sa.Integer),
        sa.Column("queue_id", sa.BigInteger),
        sa.Column("queue_name", sa.String(255)),
        sa.Column("agent_code", sa.String(64)),
        sa.Column("agent_name", sa.String(255)),
        sa.Column("representative_code", sa.String(64)),
        sa.Column("representative_name", sa.String(255)),
        sa.Column("department_id", sa.BigInteger),
        sa.Column("department_name", sa.String(255)),
        sa.Column("top_department_id", sa.BigInteger),
        sa.Column("top_department_name", sa.String(255)),
        sa.Column("price_agorot", sa.Float),
        sa.Column("record_url", sa.Text),
        sa.Column("caller_country", sa.String(64)),
        sa.Column("target_country", sa.String(64)),
        sa.Column("original_ivruniqueid", sa.String(128)),
        sa.Column("ivr", Json),
        sa.Column("ivr_raw", sa.Text),
        sa.Column("ai_data", Json),
        sa.Column("custom_data", Json),
        sa.Column("unknown_fields", Json),
        sa.Column("raw", Json, nullable=False),
        sa.Column("raw_body", sa.LargeBinary),
        sa.Column("encoding", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("first_received_at", sa.DateTime, nullable=False),
        sa.Column("last_received_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_legs_started", "legs", ["started_at", "id"])
    op.create_index("ix_legs_caller_e164", "legs", ["caller_e164"])
    op.create_index("ix_legs_target_e164", "legs", ["target_e164"])
    op.create_index("ix_legs_agent", "legs", ["agent_code"])
    op.create_index("ix_legs_queue", "legs", ["queue_id"])
    op.create_index("ix_legs_original", "legs", ["original_ivruniqueid"])
    op.create_table(
        "leg_versions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("ivruniqueid", sa.String(128), nullable=False, index=True),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("raw", Json, nullable=False),
        sa.Column("encoding", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("replaced_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("body_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("content_type", sa.String(255)),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("query", sa.Text),
        sa.Column("headers", Json, nullable=False),
        sa.Column("source", sa.String(64)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("received_count", sa.Integer, nullable=False),
        sa.Column("first_received_at", sa.DateTime, nullable=False),
        sa.Column("last_received_at", sa.DateTime, nullable=False),
        sa.Column("replayed_at", sa.DateTime),
        sa.Column("replay_result", sa.Text),
    )
    op.create_table(
        "app_state",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for name in ("app_state", "quarantine", "leg_versions", "legs"):
        op.drop_table(name)
