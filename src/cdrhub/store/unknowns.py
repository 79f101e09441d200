"""What CDRs carried that cdrhub does not know: call types, statuses and field names, each with
the number of legs that carry it and when such a leg was first and last received.

Read from the legs themselves (their `type_key`, `status_known` and `unknown_fields`), through
partial indexes that hold only the legs concerned, so nothing is written twice on ingest.
/metrics counts these without naming them; the names are here, behind the API key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, TextClause, false, func, select, text

from cdrhub.store.schema import UNKNOWN_FIELDS, legs
from cdrhub.timefmt import iso_utc

_FIRST = func.min(legs.c.first_received_at)
_LAST = func.max(legs.c.last_received_at)

Tally = tuple[int, datetime, datetime]  # legs, first received, last received
Condition = ColumnElement[bool] | TextClause


def conditions(dialect_name: str) -> dict[str, Condition]:
    """Which legs carry an unknown name, by kind: each matches its partial index's condition."""
    return {
        "types": legs.c.type_key.is_(None),
        "statuses": legs.c.status_known == false(),
        "fields": text(UNKNOWN_FIELDS[dialect_name]),
    }


def _items(tallies: dict[str, Tally], limit: int) -> list[dict[str, Any]]:
    ranked = sorted(tallies.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
    return [
        {"name": name, "legs": n, "first_seen": iso_utc(first), "last_seen": iso_utc(last)}
        for name, (n, first, last) in ranked
    ]


def _column(
    conn: Connection, column: ColumnElement[str], condition: Condition, limit: int
) -> list[dict[str, Any]]:
    count = func.count()
    query = (
        select(column, count, _FIRST, _LAST)
        .where(condition)
        .group_by(column)
        .order_by(count.desc(), column)
        .limit(limit)
    )
    # .tuples(): rows unpack as typed tuples (the same rows at run time).
    rows = conn.execute(query).tuples()
    return _items({name: (n, first, last) for name, n, first, last in rows}, limit)


def _fields(conn: Connection, condition: Condition, limit: int) -> list[dict[str, Any]]:
    # Grouped by the whole list first: legs mostly repeat the same few lists.
    query = (
        select(legs.c.unknown_fields, func.count(), _FIRST, _LAST)
        .where(condition)
        .group_by(legs.c.unknown_fields)
    )
    tallies: dict[str, Tally] = {}
    for names, n, first, last in conn.execute(query).tuples():
        for name in {str(x) for x in names or ()}:
            seen = tallies.get(name)
            tallies[name] = (
                (n, first, last)
                if seen is None
                else (seen[0] + n, min(seen[1], first), max(seen[2], last))
            )
    return _items(tallies, limit)


def unknown_names(conn: Connection, limit: int = 100) -> dict[str, list[dict[str, Any]]]:
    """At most `limit` names of each kind, those on the most legs first."""
    where = conditions(conn.dialect.name)
    return {
        "types": _column(conn, legs.c.type, where["types"], limit),
        "statuses": _column(conn, legs.c.status, where["statuses"], limit),
        "fields": _fields(conn, where["fields"], limit),
    }


def received(conn: Connection, kind: str, name: str) -> bool:
    """Whether some stored leg carries the unknown type (`kind` "types") or status ("statuses")
    `name`, read through the partial index of such legs."""
    column = legs.c.type if kind == "types" else legs.c.status
    where = conditions(conn.dialect.name)[kind]
    found = conn.execute(select(legs.c.id).where(where, column == name).limit(1)).first()
    return found is not None
