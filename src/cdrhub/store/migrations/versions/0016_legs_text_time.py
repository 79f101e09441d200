"""Legs: the caller, target and DID as written get indexes ordered by time, like their E.164
forms (0013, 0014), for the Calls page's number box when what is typed is no phone number
(`anonymous`, an extension): read from the index instead of walking every leg newest first.

Revision ID: 0016_legs_text_time
"""

from alembic import op

revision = "0016_legs_text_time"
down_revision = "0014_legs_party_time"
branch_labels = None
depends_on = None

COLUMNS = ("caller", "target", "did")


def upgrade() -> None:
    for column in COLUMNS:
        op.create_index(f"ix_legs_{column}_started", "legs", [column, "started_at", "id"])


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(f"ix_legs_{column}_started", table_name="legs")
