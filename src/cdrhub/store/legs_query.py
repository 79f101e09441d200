"""Reading stored legs a page at a time: filtered, newest first, with a keyset cursor (the
query behind `GET /api/calls`). Values come in read and typed; nothing here parses user text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, and_, or_, select
from sqlalchemy.sql.elements import ColumnElement

from cdrhub.store.schema import legs

Key = tuple[datetime, int]  # (started_at, id) of the last leg of a page


@dataclass(frozen=True, slots=True)
class LegFilter:
    """Every field left None selects everything. `start`/`end` are naive UTC, the half-open
    interval [start, end) of `cdrhub.timerange`."""

    start: datetime | None = None
    end: datetime | None = None
    phone_e164: str | None = None  # the caller, target or DID in E.164
    phone_text: str | None = None  # not a phone number: the caller, target or DID as written
    agent: str | None = None  # the agent's or representative's code, or either extension
    type_key: str | None = None  # a known call type's canonical name
    type_text: str | None = None  # an unknown type as received
    status: str | None = None
    queue_id: int | None = None
    queue_name: str | None = None
    direction: str | None = None


def conditions(found: LegFilter) -> list[ColumnElement[bool]]:
    c = legs.c
    where: list[ColumnElement[bool]] = []
    if found.start is not None:
        where.append(c.started_at >= found.start)
    if found.end is not None:
        where.append(c.started_at < found.end)
    if found.phone_e164 is not None:
        e164 = found.phone_e164
        where.append(or_(c.caller_e164 == e164, c.target_e164 == e164, c.did_e164 == e164))
    if found.phone_text is not None:
        text = found.phone_text
        where.append(or_(c.caller == text, c.target == text, c.did == text))
    if found.agent is not None:
        agent = found.agent
        where.append(
            or_(
                c.agent_code == agent,
                c.representative_code == agent,
                c.caller_extension == agent,
                c.target_extension == agent,
            )
        )
    if found.type_key is not None:
        where.append(c.type_key == found.type_key)
    if found.type_text is not None:
        where.append(c.type == found.type_text)
    if found.status is not None:
        where.append(c.status == found.status)
    if found.queue_id is not None:
        where.append(c.queue_id == found.queue_id)
    if found.queue_name is not None:
        where.append(c.queue_name == found.queue_name)
    if found.direction is not None:
        where.append(c.direction == found.direction)
    return where


def page_legs(
    conn: Connection,
    found: LegFilter,
    *,
    after: Key | None = None,
    limit: int = 50,
    limits: Sequence[ColumnElement[bool]] = (),
) -> tuple[list[RowMapping], Key | None]:
    """Up to `limit` legs newest first (started_at, then id, descending), after the leg `after`
    names; and the key of the last one when more follow (None on the last page). `limits`:
    more conditions (what a dashboard user may see), in the same query."""
    where = [*conditions(found), *limits]
    if after is not None:
        at, ident = after
        where.append(or_(legs.c.started_at < at, and_(legs.c.started_at == at, legs.c.id < ident)))
    query = (
        select(legs)
        .where(*where)
        .order_by(legs.c.started_at.desc(), legs.c.id.desc())
        .limit(limit + 1)
    )
    rows = list(conn.execute(query).mappings())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return rows, (last["started_at"], last["id"]) if last and last["started_at"] else None
