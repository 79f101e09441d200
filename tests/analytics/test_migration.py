"""Migrations 0002, 0006 and 0007 create exactly the tables (and indexes) that
`analytics/tables.py` describes."""

from __future__ import annotations

from sqlalchemy import Engine

from cdrhub.analytics.tables import ROLLUPS, names, numbers
from tests.schemadiff import differences

MINE = {t.name for t in (*ROLLUPS.values(), names, numbers)}


def test_migrations_match_the_table_definitions(engine: Engine) -> None:
    assert differences(engine, MINE) == []
