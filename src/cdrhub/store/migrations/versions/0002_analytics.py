"""Analytics: rollup tables (calls, peak and callers with and without agent, ivr), repeat callers,
missed numbers and display names.

Revision ID: 0002_analytics
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_analytics"
down_revision = "0001_core"
branch_labels = ("analytics",)
depends_on = None

FILTER_DIMS = ("department", "queue", "agent", "type")
WAITS = tuple(f"wa{i}" for i in range(6)) + tuple(f"wb{i}" for i in range(6))
# (table, string dims, integer dims, counters), frozen as of this revision.
ROLLUPS = (
    (
        "an_calls",
        (*FILTER_DIMS, "direction", "country"),
        (),
        ("legs", "contacts", "answered", "voicemail", "abandoned", "short_abandoned", "missed",
         "sl_met", "wait_answered", "talk", "cost_milli", *WAITS),
    ),
    ("an_peak", ("department", "queue", "type"), ("weekday", "hour"),
     ("contacts", "answered", "abandoned")),
    ("an_peak_agent", FILTER_DIMS, ("weekday", "hour"), ("contacts", "answered", "abandoned")),
    ("an_ivr", (*FILTER_DIMS, "layer", "layer_number", "dtmf"), (),
     ("visits", "reached", "hangups")),
    ("an_callers", ("number", "department", "queue", "type"), (),
     ("contacts", "answered", "missed")),
    ("an_callers_agent", ("number", *FILTER_DIMS), (), ("contacts", "answered", "missed")),
)  # fmt: skip


def upgrade() -> None:
    for table, dims, int_dims, counters in ROLLUPS:
        op.create_table(
            table,
            sa.Column("grain", sa.String(1), nullable=False),
            sa.Column("period", sa.DateTime, nullable=False),
            *(sa.Column(d, sa.String(128), nullable=False) for d in dims),
            *(sa.Column(d, sa.Integer, nullable=False) for d in int_dims),
            *(sa.Column(c, sa.BigInteger, nullable=False) for c in counters),
        )
        op.create_index(
            f"ux_{table}_key", table, ["grain", "period", *dims, *int_dims], unique=True
        )
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
    op.create_table(
        "an_names",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("code", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("an_names")
    op.drop_table("an_repeaters")
    op.drop_table("an_missed")
    for table, *_ in ROLLUPS:
        op.drop_table(table)
