"""Every bulk write of the store: many rows into one table in one call.

The statements are built from the Table (its name, the columns given, the conflict target and
the columns a conflict updates), quoted by the dialect's identifier preparer, and the values go
through each column type's public `bind_processor` (SQLite's DATETIME text, JSON) once per
distinct value, then straight to the driver:

- SQLite: one prepared statement run with the driver's `executemany`, or, when rows must come
  back (RETURNING), multi-row INSERTs of as many rows as SQLite takes variables for;
- PostgreSQL, few rows: multi-row INSERTs with PostgreSQL's own $n placeholders on a raw psycopg
  cursor (one statement per batch, planned once, instead of one per row);
- PostgreSQL, many rows (`COPY_ROWS`): COPY into a temporary table, then one INSERT ... SELECT
  (psycopg would otherwise parse a huge query per batch).

`insert_ignoring` is the single-row statement of the same kind, for `Connection.execute`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Column, Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

if TYPE_CHECKING:
    import psycopg

Processor = Callable[[Any], Any]

# From this many rows on, PostgreSQL gets them by COPY; below it a multi-row INSERT is as fast.
COPY_ROWS = 200
# PostgreSQL takes at most 65,535 parameters in one statement, SQLite 32,766 variables.
_PG_PARAMETERS = 65535
_SQLITE_VARIABLES = 32766


@dataclass(frozen=True, slots=True)
class OnConflict:
    """What a row whose `key` columns match a stored row does: nothing (no `add`, no `set`),
    or update the stored row, adding its value to each `add` column and taking its value for
    each `set` column."""

    key: tuple[str, ...]
    add: tuple[str, ...] = ()
    set: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Plan:
    table: str  # quoted
    columns: str  # quoted, comma-separated
    width: int
    tail: str  # " ON CONFLICT ..." and " RETURNING ...", or ""
    order: str  # " ORDER BY <conflict key>" for an update (a stable lock order), or ""
    processors: tuple[tuple[int, Processor], ...]  # (index in the row, bind processor)

    def values_sql(self, rows: int, marks: Callable[[int], str]) -> str:
        """A multi-row INSERT; `marks(i)` is the placeholder of the row's value number i."""
        groups = (
            "(" + ", ".join(marks(r * self.width + i) for i in range(self.width)) + ")"
            for r in range(rows)
        )
        return f"INSERT INTO {self.table} ({self.columns}) VALUES {', '.join(groups)}{self.tail}"


@lru_cache(maxsize=256)
def _plan(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    conflict: OnConflict | None,
    returning: tuple[str, ...],
) -> _Plan:
    """Built once per dialect and column list: looking the processors up costs more than the
    insert of a small batch. Keyed by the dialect object, whose settings (its JSON serializer)
    the processors use."""
    quote = dialect.identifier_preparer.quote
    for name in (*columns, *returning, *(conflict.key if conflict else ())):
        table.c[name]  # a KeyError for a column the table does not have
    processors = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors.append((index, processor))
    tail, order = "", ""
    if conflict is not None:
        me = quote(table.name)
        sets = [f"{quote(c)} = {me}.{quote(c)} + excluded.{quote(c)}" for c in conflict.add]
        sets += [f"{quote(c)} = excluded.{quote(c)}" for c in conflict.set]
        target = ", ".join(quote(c) for c in conflict.key)
        action = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
        tail = f" ON CONFLICT ({target}) {action}"
        order = f" ORDER BY {target}" if sets else ""
    if returning:
        tail += f" RETURNING {', '.join(quote(c) for c in returning)}"
    return _Plan(
        dialect.identifier_preparer.format_table(table),
        ", ".join(quote(c) for c in columns),
        len(columns),
        tail,
        order,
        tuple(processors),
    )


def _converted(value: Any, processor: Processor, seen: dict[Any, Any]) -> Any:
    """`processor(value)`, once per distinct value: rows repeat values (a batch's few periods)."""
    try:
        done = seen.get(value)
    except TypeError:  # unhashable (a JSON value)
        return processor(value)
    if done is None:
        done = seen[value] = processor(value)
    return done


def _bound(
    rows: Sequence[Sequence[Any]], processors: Sequence[tuple[int, Processor]]
) -> list[list[Any]]:
    seen: list[dict[Any, Any]] = [{} for _ in processors]
    out = []
    for row in rows:
        values = list(row)
        for (index, processor), done in zip(processors, seen, strict=True):
            if values[index] is not None:
                values[index] = _converted(values[index], processor, done)
        out.append(values)
    return out


def insert_rows(
    conn: Connection,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    on_conflict: OnConflict | None = None,
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """INSERT `rows` (each the values of `columns`, in that order) into `table`, in the caller's
    transaction; with `returning`, those columns of each row the statement inserted or updated
    (in no particular order).

    With an update on conflict, no two rows may have the same key (a statement cannot change
    one row twice); with `DO NOTHING`, of several rows with one key the first is inserted."""
    if not rows:
        return []
    plan = _plan(conn.dialect, table, tuple(columns), on_conflict, tuple(returning))
    values = _bound(rows, plan.processors)
    if conn.dialect.name == "postgresql":
        if len(values) >= COPY_ROWS:
            return _pg_copy(conn, table, plan, values, bool(returning))
        return _pg_values(conn, plan, values, bool(returning))
    if not returning:
        one_row = plan.values_sql(1, lambda _i: "?")
        conn.exec_driver_sql(one_row, [tuple(v) for v in values])
        return []
    out: list[tuple[Any, ...]] = []
    per_statement = max(1, _SQLITE_VARIABLES // plan.width)
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        sql = plan.values_sql(len(chunk), lambda _i: "?")
        out.extend(tuple(r) for r in conn.exec_driver_sql(sql, tuple(v for r in chunk for v in r)))
    return out


def _psycopg(conn: Connection) -> psycopg.Connection[Any]:
    """The driver's own connection under `conn` (on PostgreSQL, psycopg's: imported only there,
    so that SQLite's processes never load it)."""
    return cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)


@cache
def _dollar(i: int) -> str:
    return f"${i + 1}"


def _pg_values(
    conn: Connection, plan: _Plan, values: list[list[Any]], returning: bool
) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    per_statement = max(1, _PG_PARAMETERS // plan.width)
    # A raw cursor takes PostgreSQL's own $n placeholders: psycopg does not convert the query.
    from psycopg import RawCursor

    with RawCursor(_psycopg(conn)) as cursor:
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            cursor.execute(plan.values_sql(len(chunk), _dollar), [v for r in chunk for v in r])
            if returning:
                out.extend(tuple(r) for r in cursor.fetchall())
    return out


def _pg_copy(
    conn: Connection, table: Table, plan: _Plan, values: list[list[Any]], returning: bool
) -> list[tuple[Any, ...]]:
    """COPY into a temporary table shaped like `table` (dropped at commit), then one INSERT ...
    SELECT with the conflict clause."""
    temp = conn.dialect.identifier_preparer.quote(f"_bulk_{table.name}")
    with _psycopg(conn).cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} ON COMMIT DROP AS "
            f"SELECT * FROM {plan.table} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {temp}")
        with cursor.copy(f"COPY {temp} ({plan.columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {plan.table} ({plan.columns}) "
            f"SELECT {plan.columns} FROM {temp}{plan.order}{plan.tail}"
        )
        return [tuple(r) for r in cursor.fetchall()] if returning else []


@cache
def _insert_ignoring(
    dialect_name: str, table: Table, key: tuple[str, ...], returning: Column[Any] | None
) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    stmt = dialect.insert(table).on_conflict_do_nothing(index_elements=list(key))
    return stmt.returning(returning) if returning is not None else stmt


def insert_ignoring(
    conn: Connection, table: Table, key: tuple[str, ...], returning: Column[Any] | None = None
) -> Any:
    """The one-row `INSERT ... ON CONFLICT DO NOTHING` for `table`, built once per (dialect,
    table, key) and given its values as execute() parameters (building one per call with
    `.values(**row)` was ingest's largest single cost); with `returning`, the new row's column
    (None when nothing was inserted)."""
    return _insert_ignoring(conn.dialect.name, table, key, returning)
