"""Automations: callback items remember when the last missed leg ended (same-call rule) and are
indexed by leg.

Revision ID: 0005_automations_calls
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_automations_calls"
down_revision = "0003_automations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callback_items") as batch:
        batch.add_column(sa.Column("last_missed_until", sa.DateTime))
    op.create_index("ix_callback_first_leg", "callback_items", ["first_ivruniqueid"])
    op.create_index("ix_callback_last_leg", "callback_items", ["last_ivruniqueid"])


def downgrade() -> None:
    op.drop_index("ix_callback_last_leg", "callback_items")
    op.drop_index("ix_callback_first_leg", "callback_items")
    with op.batch_alter_table("callback_items") as batch:
        batch.drop_column("last_missed_until")
