"""Partial indexes of the legs that carry an unknown call type, status or field names, for
GET /api/unknowns (the names /metrics counts without naming them).

Revision ID: 0010_unknown_names
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_unknown_names"
down_revision = "0001_core"
branch_labels = ("unknown_names",)
depends_on = None

# As in store/schema.py at this revision.
UNKNOWN_TYPE = "type_key IS NULL"
UNKNOWN_STATUS = {"sqlite": "status_known = 0", "postgresql": "NOT status_known"}
UNKNOWN_FIELDS = {"sqlite": "unknown_fields <> '[]'", "postgresql": "unknown_fields <> '[]'::jsonb"}
INDEXES = (
    ("ix_legs_unknown_type", ["type", "first_received_at", "last_received_at"], UNKNOWN_TYPE),
    ("ix_legs_unknown_status", ["status", "first_received_at", "last_received_at"], UNKNOWN_STATUS),
    ("ix_legs_unknown_fields", ["id"], UNKNOWN_FIELDS),
)


def _where(condition: str | dict[str, str], dialect: str) -> sa.TextClause:
    return sa.text(condition if isinstance(condition, str) else condition[dialect])


def upgrade() -> None:
    for name, columns, condition in INDEXES:
        op.create_index(
            name,
            "legs",
            columns,
            sqlite_where=_where(condition, "sqlite"),
            postgresql_where=_where(condition, "postgresql"),
        )


def downgrade() -> None:
    for name, _columns, _condition in INDEXES:
        op.drop_index(name, table_name="legs")
