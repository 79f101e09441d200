"""Migrations 0002, 0006 and 0007 create exactly the tables (and indexes) that
`analytics/tables.py` describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from cdrhub.analytics.tables import ROLLUPS, names, numbers
from cdrhub.store.schema import metadata

MINE = {t.name for t in (*ROLLUPS.values(), names, numbers)}


def _name(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if isinstance(part, str) and part in MINE:
            return part
    return None


def test_migrations_match_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    assert [d for d in diffs if _name(d) in MINE] == []
