"""What differs between the migrated database and the table definitions, for the tables a
domain owns: each domain's test_migration asserts it is nothing."""

from __future__ import annotations

from collections.abc import Set
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from cdrhub.store.schema import metadata


def _table_name(diff: Any, tables: Set[str]) -> str | None:
    """The table an autogenerate diff is about (a table, column, index or constraint change)."""
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if getattr(part, "name", None) in tables:
            return str(part.name)
        if isinstance(part, str) and part in tables:
            return part
    return None


def differences(engine: Engine, tables: Set[str]) -> list[Any]:
    """Autogenerate's differences that concern `tables` (names)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    return [d for d in diffs if _table_name(d, tables) in tables]
