"""Automations: outbox lanes (urgent jobs are claimed first, on threads of their own) and the
host a job talks to (a failing host's jobs are postponed together).

Revision ID: 0009_outbox_lanes
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_outbox_lanes"
down_revision = "0005_automations_calls"
branch_labels = None
depends_on = None

# The urgent kinds when this revision was written (now cdrhub.jobs.outbox.URGENT_KINDS).
URGENT_KINDS = (
    "automations.sms",
    "automations.whatsapp",
    "automations.click2call",
    "automations.slack",
    "automations.email",
    "automations.notify",
)


def upgrade() -> None:
    with op.batch_alter_table("outbox_jobs") as batch:
        batch.add_column(sa.Column("lane", sa.String(16), nullable=False, server_default="bulk"))
        batch.add_column(sa.Column("host", sa.String(255)))
    jobs = sa.table("outbox_jobs", sa.column("kind", sa.String), sa.column("lane", sa.String))
    op.execute(jobs.update().where(jobs.c.kind.in_(URGENT_KINDS)).values(lane="urgent"))
    op.create_index("ix_outbox_lane_due", "outbox_jobs", ["lane", "status", "run_at", "id"])
    op.create_index("ix_outbox_host", "outbox_jobs", ["host", "status"])


def downgrade() -> None:
    op.drop_index("ix_outbox_host", "outbox_jobs")
    op.drop_index("ix_outbox_lane_due", "outbox_jobs")
    with op.batch_alter_table("outbox_jobs") as batch:
        batch.drop_column("host")
        batch.drop_column("lane")
