"""Dialect-aware `INSERT ... ON CONFLICT DO NOTHING`, built once per (dialect, table, key).

Building an insert per call with `.values(**row)` coerces every value into a bind parameter and
hashes it for the compiled-statement cache; on ingest's hot path that was the largest single
cost (~0.6 ms per leg). These statements take their values as execute() parameters instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import Column, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


@cache
def _build(
    dialect_name: str, table: Table, key: tuple[str, ...], returning: Column[Any] | None
) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=list(key))
    return stmt.returning(returning) if returning is not None else stmt


def insert_ignoring(
    conn: Connection, table: Table, key: tuple[str, ...], returning: Column[Any] | None = None
) -> Any:
    """The statement for `table`, doing nothing for a row whose `key` columns already exist;
    with `returning`, the new row's column (None when nothing was inserted)."""
    return _build(conn.dialect.name, table, key, returning)
