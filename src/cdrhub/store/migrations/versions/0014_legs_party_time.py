"""Legs: every column `/api/calls` and the Calls page filter a party by (the DID, the agent
and representative codes, the extensions) gets an index ordered by time, like the caller's
and target's (0013), so a rare or absent value is read from its index instead of walking
every leg newest first.

Revision ID: 0014_legs_party_time
"""

from alembic import op

revision = "0014_legs_party_time"
down_revision = "0013_legs_phone_time"
branch_labels = None
depends_on = None

COLUMNS = ("did_e164", "agent_code", "representative_code", "caller_extension", "target_extension")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_legs_{column}_started", "legs", [column, "started_at", "id"])
    op.drop_index("ix_legs_agent", table_name="legs")


def downgrade() -> None:
    op.create_index("ix_legs_agent", "legs", ["agent_code"])
    for column in COLUMNS:
        op.drop_index(f"ix_legs_{column}_started", table_name="legs")
