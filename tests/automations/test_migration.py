"""Migration 0003 creates exactly the tables `automations/tables.py` describes."""

from __future__ import annotations

from sqlalchemy import Engine

from cdrhub.automations import tables
from tests.schemadiff import differences

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


def test_migration_matches_the_table_definitions(engine: Engine) -> None:
    assert differences(engine, MINE) == []
