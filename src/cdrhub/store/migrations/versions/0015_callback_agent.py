"""Automations: the agent a callback item is for (`agent_code`): the agent whose call reached
the customer, else the agent it is assigned to. The callbacks report filters and groups by it.
Items already closed by a call take that call's agent; others their assignee when it is no
dashboard user's e-mail address (rules, the API and the command line assign agent codes).

Revision ID: 0015_callback_agent
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_callback_agent"
down_revision = "0012_live_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callback_items") as batch:
        batch.add_column(sa.Column("agent_code", sa.String(128)))
    op.execute(
        "UPDATE callback_items SET agent_code = CASE"
        " WHEN status IN ('returned', 'reached', 'answered') THEN closed_by_agent"
        " WHEN assigned_to NOT LIKE '%@%' THEN assigned_to END"
    )


def downgrade() -> None:
    with op.batch_alter_table("callback_items") as batch:
        batch.drop_column("agent_code")
