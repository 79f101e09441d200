"""Reading stored legs a page at a time: filtered, newest first, with a keyset cursor (the
query behind `GET /api/calls`). Values come in read and typed; nothing here parses user text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, and_, extract, false, func, or_, select
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
    agent: str | None = None  # the agent's (or representative's) code or name, or an extension
    type_key: str | None = None  # a known call type's canonical name
    type_text: str | None = None  # an unknown type as received
    status: str | None = None
    queue_id: int | None = None
    queue_name: str | None = None
    direction: str | None = None
    # The drill-down of the reports (the domain's rules come in as values; store knows none):
    # the customer's country: target_country, else (blank) a target number with one of the
    # calling-code prefixes of that country
    country: str | None = None
    country_prefixes: tuple[str, ...] = ()
    weekday: int | None = None  # local (started_at_local), 0 = Sunday
    hour: int | None = None  # local, 0..23
    answered: bool | None = None  # False: missed (any status but `answered_status`)
    answered_status: str = "ANSWER"
    type_keys: tuple[str, ...] | None = None  # one of these known types
    # with type_keys: a leg linked to another (original_ivruniqueid) counts only with these
    linked_type_keys: tuple[str, ...] | None = None


def _drill(found: LegFilter) -> list[ColumnElement[bool]]:
    c = legs.c
    where: list[ColumnElement[bool]] = []
    if found.country is not None:
        blank = or_(c.target_country.is_(None), func.trim(c.target_country) == "")
        by_number = [c.target_e164.startswith(p, autoescape=True) for p in found.country_prefixes]
        where.append(
            or_(
                func.trim(c.target_country) == found.country,
                and_(blank, or_(*by_number)) if by_number else false(),
            )
        )
    if found.weekday is not None:
        where.append(extract("dow", c.started_at_local) == found.weekday)
    if found.hour is not None:
        where.append(extract("hour", c.started_at_local) == found.hour)
    if found.answered is True:
        where.append(c.status == found.answered_status)
    if found.answered is False:
        where.append(or_(c.status.is_(None), c.status != found.answered_status))
    if found.type_keys is not None:
        where.append(c.type_key.in_(found.type_keys))
    if found.linked_type_keys is not None:
        where.append(
            or_(
                c.original_ivruniqueid.is_(None),
                c.original_ivruniqueid == "",
                c.original_ivruniqueid == c.ivruniqueid,
                c.type_key.in_(found.linked_type_keys),
            )
        )
    return where


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
                c.agent_name == agent,
                c.representative_name == agent,
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
    return [*where, *_drill(found)]


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
