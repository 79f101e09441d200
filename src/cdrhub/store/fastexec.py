"""Run one statement for many rows with the DBAPI's `executemany`, skipping SQLAlchemy's
per-row parameter work.

`Connection.execute(stmt, rows)` builds each row's parameters through the compiled statement
(`construct_params`, then every bind processor), which costs several times what SQLite spends
on an upsert of a small rollup row. Here the statement is compiled once per dialect and column
list; each row only goes through the bind processors that exist (SQLite's DATETIME, say), and
the driver gets plain tuples (qmark, format) or dicts (named, pyformat) in one call; on
PostgreSQL the statement is compiled with $n placeholders and run on a raw psycopg cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from psycopg import RawCursor
from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from cdrhub.store.engine import CUSTOM_PLANS

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    names: tuple[str, ...]  # the statement's parameters, in the driver's order
    positional: bool
    processors: tuple[tuple[int, Processor], ...]  # (index in `names`, bind processor)


_cache: dict[tuple[str, int, tuple[str, ...]], Compiled] = {}
_PG_NUMERIC = psycopg_dialect(paramstyle="numeric_dollar")


def _compile(stmt: ClauseElement, dialect: Dialect, columns: tuple[str, ...]) -> Compiled:
    key = (dialect.name, id(stmt), columns)
    found = _cache.get(key)
    if found is not None:
        return found
    # PostgreSQL: compiled with its own $n placeholders, for a raw cursor (`executemany`).
    target = _PG_NUMERIC if dialect.name == "postgresql" else dialect
    compiled = stmt.compile(dialect=target, column_keys=list(columns))
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup or ()) if positional else tuple(compiled.binds)
    processors = []
    for index, name in enumerate(names):
        processor = compiled.binds[name].type._cached_bind_processor(dialect)
        if processor is not None:
            processors.append((index, processor))
    found = Compiled(compiled.string, names, positional, tuple(processors))
    # Keyed by id(): the statements given here are module-level constants or lru_cached, so
    # they live as long as the process and an id is never reused for another statement.
    _cache[key] = found
    return found


def _converted(value: Any, processor: Processor, seen: dict[Any, Any]) -> Any:
    """`processor(value)`, once per distinct value: rows repeat values (a batch's few periods)."""
    try:
        done = seen.get(value)
    except TypeError:  # unhashable (a JSON value)
        return processor(value)
    if done is None:
        done = seen[value] = processor(value)
    return done


def executemany(
    conn: Connection,
    stmt: ClauseElement,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> None:
    """Execute `stmt` once per row; each row holds the values of `columns`, in that order.

    The statement's parameters must be exactly `columns` (an INSERT of those columns, with any
    ON CONFLICT clause that only refers to them or to `excluded`)."""
    compiled = _compile(stmt, conn.dialect, tuple(columns))
    if set(compiled.names) != set(columns):
        raise ValueError(f"statement parameters {compiled.names} are not {tuple(columns)}")
    order = [columns.index(name) for name in compiled.names]
    values = _bound(([row[i] for i in order] for row in rows), compiled.processors)
    if not values:
        return
    if conn.dialect.name == "postgresql":
        # Straight to psycopg: no SQLAlchemy per call, no dict per row, and a raw cursor does
        # not convert the query (the writer: 2.18 -> 2.10 M instructions per CDR, callgrind).
        with _raw_cursor(conn) as cursor:
            cursor.executemany(compiled.sql, values)
    elif compiled.positional:
        conn.exec_driver_sql(compiled.sql, [tuple(v) for v in values])
    else:
        conn.exec_driver_sql(
            compiled.sql, [dict(zip(compiled.names, v, strict=True)) for v in values]
        )


@contextmanager
def _raw_cursor(conn: Connection) -> Iterator[RawCursor[Any]]:
    """A psycopg cursor that takes PostgreSQL's own $n placeholders, on the connection's
    transaction, with generic plans for what it runs.

    Connections plan each execution for its values (`engine._custom_plans`), which a read
    needs; an INSERT ... VALUES has one plan whatever its values, and planning the legs insert
    (53 parameters) again for every row cost PostgreSQL more than inserting it (~85 against
    ~65 us of its CPU per row). `SET LOCAL` ends with the transaction, whatever happens in it;
    the statements go in one pipeline with the rows, so the switch costs no round trip."""
    dbapi = conn.connection.dbapi_connection
    switch = bool(conn.connection.info.get(CUSTOM_PLANS))
    with dbapi.pipeline(), RawCursor(dbapi) as cursor:  # type: ignore[union-attr, arg-type]
        if switch:
            dbapi.execute("SET LOCAL plan_cache_mode = force_generic_plan")  # type: ignore[union-attr]
        yield cursor
        if switch:
            dbapi.execute("SET LOCAL plan_cache_mode = force_custom_plan")  # type: ignore[union-attr]


_processor_cache: dict[tuple[str, str, tuple[str, ...]], list[tuple[int, Processor]]] = {}


def _processors(
    table: Table, columns: Sequence[str], dialect: Dialect
) -> list[tuple[int, Processor]]:
    """(index, bind processor) of the columns that have one; looked up once per column list
    (the lookups cost more than the insert of a small batch)."""
    key = (dialect.name, table.name, tuple(columns))
    found = _processor_cache.get(key)
    if found is None:
        processors = [table.c[name].type._cached_bind_processor(dialect) for name in columns]
        found = [(index, p) for index, p in enumerate(processors) if p is not None]
        _processor_cache[key] = found
    return found


def _bound(
    rows: Iterable[Sequence[Any]], processors: Sequence[tuple[int, Processor]]
) -> list[list[Any]]:
    """The rows as lists, each value that has a bind processor converted, once per distinct
    value: rows repeat values (a batch's few periods)."""
    seen: list[dict[Any, Any]] = [{} for _ in processors]
    out = []
    for row in rows:
        values = list(row)
        for (index, processor), done in zip(processors, seen, strict=True):
            if values[index] is not None:
                values[index] = _converted(values[index], processor, done)
        out.append(values)
    return out


# SQLite allows 32,766 variables per statement; rows of a wide table are sent in chunks.
_SQLITE_VARIABLES = 32766


def insert_ignoring_returning(
    conn: Connection,
    table: Table,
    key: Sequence[str],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: Sequence[str],
) -> list[tuple[Any, ...]]:
    """INSERT the rows whose `key` is not in `table` yet (`ON CONFLICT DO NOTHING`), and return
    `returning` of each row inserted.

    SQLite: one multi-row INSERT ... RETURNING per chunk. PostgreSQL: psycopg's pipelined
    `executemany(returning=True)` of one prepared statement."""
    if not rows:
        return []
    values = _bound(rows, _processors(table, columns, conn.dialect))
    names = ", ".join(columns)
    tail = f"ON CONFLICT ({', '.join(key)}) DO NOTHING RETURNING {', '.join(returning)}"
    out: list[tuple[Any, ...]] = []
    if conn.dialect.name == "postgresql":
        # A raw cursor takes PostgreSQL's own $n placeholders: psycopg does not cache its
        # conversion of %s for statements of more than 50 parameters, and that costs more than
        # the rows of a small batch (one executemany, pipelined: one round trip).
        marks = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks}) {tail}"
        with _raw_cursor(conn) as cursor:
            cursor.executemany(sql, values, returning=True)
            while True:
                out.extend(tuple(r) for r in cursor.fetchall())
                if not cursor.nextset():
                    break
        return out
    row_marks = "(" + ", ".join(["?"] * len(columns)) + ")"
    per_statement = max(1, _SQLITE_VARIABLES // len(columns))
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        many = ", ".join([row_marks] * len(chunk))
        sql = f"INSERT INTO {table.name} ({names}) VALUES {many} {tail}"
        flat = [v for row in chunk for v in row]
        out.extend(tuple(r) for r in conn.exec_driver_sql(sql, tuple(flat)))
    return out
