"""PostgreSQL bulk writes through COPY into a temporary table, then one INSERT ... SELECT.

Sending thousands of rows as one multi-VALUES statement makes psycopg parse a huge query per
batch; COPY streams them instead (about 10x faster here).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Connection, Table


def _adapt(table: Table, columns: Sequence[str]) -> list[bool]:
    return [isinstance(table.c[c].type, JSON) for c in columns]


def copy_insert(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[dict[str, Any]],
    conflict: str,
    returning: str | None = None,
    order_by: Sequence[str] = (),
) -> list[Any]:
    """INSERT rows into `table` via COPY; `conflict` is the ON CONFLICT clause."""
    from psycopg.types.json import Jsonb  # here: a process on SQLite never imports psycopg

    temp = f"_copy_{table.name}"
    cols = ", ".join(columns)
    json_cols = _adapt(table, columns)
    driver = conn.connection.driver_connection
    with driver.cursor() as cur:  # type: ignore[union-attr]
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DROP AS "
            f"SELECT {cols} FROM {table.name} WITH NO DATA"
        )
        cur.execute(f"TRUNCATE {temp}")
        with cur.copy(f"COPY {temp} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    [
                        Jsonb(row[c]) if is_json and row[c] is not None else row[c]
                        for c, is_json in zip(columns, json_cols, strict=True)
                    ]
                )
        order = f" ORDER BY {', '.join(order_by)}" if order_by else ""
        sql = f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {temp}{order} {conflict}"
        if returning:
            cur.execute(f"{sql} RETURNING {returning}")
            return [r[0] for r in cur.fetchall()]
        cur.execute(sql)
        return []
