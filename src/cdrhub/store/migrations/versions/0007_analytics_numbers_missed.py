"""Analytics: the partial index of the numbers that missed (`ix_an_numbers_missed`) holds their
missed count too, so that missed customers over a range that holds most stored days (all time
less the days outside, customers.py) is an index-only read on PostgreSQL rather than one heap
page per row.

Revision ID: 0007_analytics_numbers_missed
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_analytics_numbers_missed"
down_revision = "0006_analytics_numbers"
branch_labels = None
depends_on = None

MISSED = sa.text("missed > 0")


def _index(columns: list[str]) -> None:
    op.drop_index("ix_an_numbers_missed", table_name="an_numbers")
    op.create_index(
        "ix_an_numbers_missed", "an_numbers", columns, sqlite_where=MISSED, postgresql_where=MISSED
    )


def upgrade() -> None:
    _index(["dim", "value", "grain", "period", "number", "missed"])


def downgrade() -> None:
    _index(["dim", "value", "grain", "period", "number"])
