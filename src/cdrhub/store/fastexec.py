"""Run one statement for many rows with the DBAPI's `executemany`, skipping SQLAlchemy's
per-row parameter work.

`Connection.execute(stmt, rows)` builds each row's parameters through the compiled statement
(`construct_params`, then every bind processor), which costs several times what SQLite spends
on an upsert of a small rollup row. Here the statement is compiled once per dialect and column
list; each row only goes through the bind processors that exist (SQLite's DATETIME, say), and
the driver gets plain tuples (qmark, format) or dicts (named, pyformat) in one call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any]


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    names: tuple[str, ...]  # the statement's parameters, in the driver's order
    positional: bool
    processors: tuple[tuple[int, Processor], ...]  # (index in `names`, bind processor)


_cache: dict[tuple[str, int, tuple[str, ...]], Compiled] = {}


def _compile(stmt: ClauseElement, dialect: Dialect, columns: tuple[str, ...]) -> Compiled:
    key = (dialect.name, id(stmt), columns)
    found = _cache.get(key)
    if found is not None:
        return found
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
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
    if compiled.names != tuple(columns) and set(compiled.names) != set(columns):
        raise ValueError(f"statement parameters {compiled.names} are not {tuple(columns)}")
    order = [columns.index(name) for name in compiled.names]
    params: list[Any] = []
    processors = compiled.processors
    for row in rows:
        values = [row[i] for i in order]
        for index, processor in processors:
            value = values[index]
            if value is not None:
                values[index] = processor(value)
        params.append(tuple(values) if compiled.positional else dict(zip(compiled.names, values)))
    if params:
        conn.exec_driver_sql(compiled.sql, params)


def rows_of(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> list[tuple[Any, ...]]:
    return [tuple(record[c] for c in columns) for record in records]
