"""Analytics: one per-number table `an_numbers` (repeat days and missed contacts by day, month,
year and all time, for all calls and per filter dimension value), replacing `an_repeaters` and
`an_missed`.

Revision ID: 0006_analytics_numbers
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_analytics_numbers"
down_revision = "0002_analytics"
branch_labels = None
depends_on = None

COUNTERS = ("rep_days", "rep_contacts", "rep_answered", "rep_missed", "rep_top", "missed")


def upgrade() -> None:
    op.create_table(
        "an_numbers",
        sa.Column("dim", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(128), primary_key=True),
        sa.Column("grain", sa.String(1), primary_key=True),
        sa.Column("period", sa.DateTime, primary_key=True),
        sa.Column("number", sa.String(128), primary_key=True),
        *(sa.Column(c, sa.BigInteger, nullable=False) for c in COUNTERS),
        sqlite_with_rowid=False,  # rows read in key order without a second lookup
    )
    op.create_index("ix_an_numbers_number", "an_numbers", ["number", "grain", "period"])
    op.create_index(
        "ix_an_numbers_top", "an_numbers", ["dim", "value", "grain", "rep_top", "period"]
    )
    missed = sa.text("missed > 0")
    op.create_index(
        "ix_an_numbers_missed", "an_numbers", ["dim", "value", "grain", "period", "number"],
        sqlite_where=missed, postgresql_where=missed,
    )  # fmt: skip
    op.drop_table("an_repeaters")
    op.drop_table("an_missed")


def downgrade() -> None:
    op.create_table(
        "an_repeaters",
        sa.Column("day", sa.DateTime, primary_key=True),
        sa.Column("number", sa.String(128), primary_key=True),
        sa.Column("contacts", sa.BigInteger, nullable=False),
        sa.Column("answered", sa.BigInteger, nullable=False),
        sa.Column("missed", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_an_repeaters_number", "an_repeaters", ["number"])
    op.create_table(
        "an_missed",
        sa.Column("grain", sa.String(1), primary_key=True),
        sa.Column("period", sa.DateTime, primary_key=True),
        sa.Column("number", sa.String(128), primary_key=True),
        sa.Column("missed", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_an_missed_number", "an_missed", ["number", "grain", "period"])
    op.drop_table("an_numbers")
