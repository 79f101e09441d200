"""Migration 0003 creates exactly the tables `automations/tables.py` describes."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from cdrhub.automations import tables
from cdrhub.store.schema import metadata

MINE = {
    t.name
    for t in (
        tables.outbox_jobs,
        tables.callback_items,
        tables.notifications,
        tables.opt_outs,
        tables.text_log,
    )
}


def _name(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        table = getattr(part, "table", None)
        if table is not None:
            return table.name
        if getattr(part, "name", None) in MINE:
            return part.name  # type: ignore[union-attr]
        if isinstance(part, str) and part in MINE:
            return part
    return None


def test_migration_matches_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, metadata)
    mine = [d for d in diffs if _name(d) in MINE]
    assert mine == []
