"""Automations: the live events of callback items (the dashboard's stream), and the department
name on callback items (a manager's scope names departments).

Revision ID: 0012_live_events
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0012_live_events"
down_revision = "0009_outbox_lanes"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("callback_items") as batch:
        batch.add_column(sa.Column("department_name", sa.String(255)))
    op.create_table(
        "live_events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("tx", sa.BigInteger, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("item_id", Id, nullable=False),
        sa.Column("customer_number", sa.String(32)),
        sa.Column("queue_name", sa.String(255)),
        sa.Column("department_name", sa.String(255)),
        sa.Column("data", Json, nullable=False),
    )
    op.create_index("ix_live_events_tx_id", "live_events", ["tx", "id"])


def downgrade() -> None:
    op.drop_table("live_events")
    with op.batch_alter_table("callback_items") as batch:
        batch.drop_column("department_name")
