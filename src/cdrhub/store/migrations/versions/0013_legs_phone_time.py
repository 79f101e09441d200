"""Legs: the phone-number indexes also order by time, so a number's newest legs (a contact's
timeline, the Contact page) are read from the index instead of sorting every leg of the
number: the company's own line is a party of nearly every leg.

Revision ID: 0013_legs_phone_time
"""

from alembic import op

revision = "0013_legs_phone_time"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for side in ("caller_e164", "target_e164"):
        op.create_index(f"ix_legs_{side}_started", "legs", [side, "started_at", "id"])
        op.drop_index(f"ix_legs_{side}", table_name="legs")


def downgrade() -> None:
    for side in ("caller_e164", "target_e164"):
        op.create_index(f"ix_legs_{side}", "legs", [side])
        op.drop_index(f"ix_legs_{side}_started", table_name="legs")
