"""Reading stored legs a page at a time: filtered, newest first, with a keyset cursor (the
query behind `GET /api/calls`). Values come in read and typed; nothing here parses user text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, and_, extract, false, func, or_, select, true
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
    # an agent: the codes given or named (the caller resolves names), matched against the
    # agent's and representative's code and the caller's and target's extension
    agents: tuple[str, ...] | None = None
    type_key: str | None = None  # a known call type's canonical name
    type_text: str | None = None  # an unknown type as received
    status: str | None = None
    queue_id: int | None = None
    queue_name: str | None = None
    queued: bool | None = None  # True: legs of some queue; False: legs of none
    direction: str | None = None
    # The drill-down of the reports (the domain's rules come in as values; store knows none):
    # the customer's country: target_country, else (blank) a target number with one of the
    # calling-code prefixes of that country, whose country by `country_of` (the reports' rule,
    # given the target's E.164) is this one: a code shared by several countries (+1, +7, +44)
    # selects in SQL every leg of the code, and `country_of` keeps those of this country only
    country: str | None = None
    country_prefixes: tuple[str, ...] = ()
    country_of: Callable[[str | None], str] | None = None
    # the blank-country legs whose number `country_of` names no country count under `country`
    # too (the reports' row of unknown countries): every blank one is a candidate in SQL
    country_unknown: bool = False
    weekday: int | None = None  # local (started_at_local), 0 = Sunday
    hour: int | None = None  # local, 0..23
    answered: bool | None = None  # False: missed (any status but `answered_status`)
    answered_status: str = "ANSWER"
    type_keys: tuple[str, ...] | None = None  # one of these known types
    # with type_keys: a leg linked to another (original_ivruniqueid) counts only with these
    linked_type_keys: tuple[str, ...] | None = None
    # the reports' dimensions, as the rollups key a leg (values come resolved: codes, ids and
    # the reports' type labels): agent_code (not the representative or an extension),
    # department_id, queue_id, and type_key, else the type as received (trimmed)
    agent_codes: tuple[str, ...] | None = None
    department_ids: tuple[int, ...] | None = None
    queue_ids: tuple[int, ...] | None = None
    type_labels: tuple[str, ...] | None = None


def _drill(found: LegFilter) -> list[ColumnElement[bool]]:
    c = legs.c
    where: list[ColumnElement[bool]] = []
    if found.country is not None:
        blank = or_(c.target_country.is_(None), func.trim(c.target_country) == "")
        by_number = [c.target_e164.startswith(p, autoescape=True) for p in found.country_prefixes]
        if found.country_unknown:
            candidates: ColumnElement[bool] = blank
        else:
            candidates = and_(blank, or_(*by_number)) if by_number else false()
        where.append(or_(func.trim(c.target_country) == found.country, candidates))
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
    if found.department_ids is not None:
        where.append(c.department_id.in_(found.department_ids))
    if found.queue_ids is not None:
        where.append(c.queue_id.in_(found.queue_ids))
    if found.type_labels is not None:
        labels = sorted(found.type_labels)
        received = and_(c.type_key.is_(None), func.trim(c.type).in_(labels))
        where.append(or_(c.type_key.in_(labels), received))
    return where


def parties(found: LegFilter) -> list[tuple[ColumnElement[bool], ...]]:
    """The filters that hold when any one of several conditions does, each condition served by
    an index ordered by time ((column, started_at, id)): the number (in E.164, or as written
    when it is no phone number), the exact agent code, then the agent in any role."""
    c = legs.c
    groups: list[tuple[ColumnElement[bool], ...]] = []
    if found.phone_e164 is not None:
        e164 = found.phone_e164
        groups.append((c.caller_e164 == e164, c.target_e164 == e164, c.did_e164 == e164))
    if found.phone_text is not None:
        text = found.phone_text
        groups.append((c.caller == text, c.target == text, c.did == text))
    if found.agent_codes is not None:
        exact = tuple(c.agent_code == code for code in sorted(found.agent_codes))
        groups.append(exact or (false(),))
    if found.agents is not None:
        codes = sorted(found.agents)
        columns = (c.agent_code, c.representative_code, c.caller_extension, c.target_extension)
        # one equality per value: an IN list is no longer read in the index's time order
        branches = tuple(column == code for column in columns for code in codes)
        groups.append(branches or (false(),))
    return groups


def conditions(found: LegFilter) -> list[ColumnElement[bool]]:
    """Every filter of `found` as one condition (the `parties` groups as ORs)."""
    return [*(or_(*group) for group in parties(found)), *_single(found)]


def _single(found: LegFilter) -> list[ColumnElement[bool]]:
    c = legs.c
    where: list[ColumnElement[bool]] = []
    if found.start is not None:
        where.append(c.started_at >= found.start)
    if found.end is not None:
        where.append(c.started_at < found.end)
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
    if found.queued is not None:
        where.append(c.queue_id.is_not(None) if found.queued else c.queue_id.is_(None))
    if found.direction is not None:
        where.append(c.direction == found.direction)
    return [*where, *_drill(found)]


def _keeper(found: LegFilter) -> Callable[[RowMapping], bool] | None:
    """What the SQL of a country drill-down cannot tell: which blank-country legs of a shared
    calling code are that country's (None: the SQL's rows are the answer)."""
    if found.country is None or found.country_of is None:
        return None
    country = "" if found.country_unknown else found.country
    country_of = found.country_of

    def keep(row: RowMapping) -> bool:
        if (row["target_country"] or "").strip(" "):
            return True  # matched by name in SQL
        return country_of(row["target_e164"]) == country

    return keep


# the most rows read at once while a keeper drops some (a page first, then twice as many each
# time: a long run of another country's legs costs a few reads, not one per page)
MAX_BATCH = 4000


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
    more conditions (what a dashboard user may see), in the same query.

    A filter on a party (a number, an agent) is an OR over several columns, which no planner
    reads from one index: walking every leg newest first, it takes seconds for a rare or absent
    value on millions of legs. So the first such filter is read as one query per column, each
    from its (column, started_at, id) index, and the pages merged here."""
    groups = parties(found)
    where = [*(or_(*group) for group in groups[1:]), *_single(found), *limits]
    branches = groups[0] if groups else (true(),)
    keep = _keeper(found)
    if keep is None:
        rows = _read(conn, branches, where, after, limit + 1)
    else:
        # read on past the rows the keeper drops, in key order, until a page and one more are
        # kept: the next page starts after the last kept row, as with SQL alone
        rows, cursor, size = [], after, limit + 1
        while len(rows) <= limit:
            batch = _read(conn, branches, where, cursor, size)
            rows += [r for r in batch if keep(r)]
            if len(batch) < size or batch[-1]["started_at"] is None:
                break
            cursor = (batch[-1]["started_at"], batch[-1]["id"])
            size = min(size * 2, MAX_BATCH)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return rows, (last["started_at"], last["id"]) if last and last["started_at"] else None


def _read(
    conn: Connection,
    branches: Sequence[ColumnElement[bool]],
    where: Sequence[ColumnElement[bool]],
    after: Key | None,
    count: int,
) -> list[RowMapping]:
    """Up to `count` legs newest first (started_at, then id, descending) after the leg `after`
    names: each branch's first `count`, merged."""
    where = list(where)
    if after is not None:
        at, ident = after
        where.append(or_(legs.c.started_at < at, and_(legs.c.started_at == at, legs.c.id < ident)))
    newest = (legs.c.started_at.desc(), legs.c.id.desc())
    rows: dict[int, RowMapping] = {}
    for branch in branches:
        query = select(legs).where(branch, *where).order_by(*newest).limit(count)
        rows.update((row["id"], row) for row in conn.execute(query).mappings())
    ordered = sorted(rows.values(), key=_newest_first(conn.dialect.name), reverse=True)
    return ordered[:count]


def _newest_first(dialect: str) -> Callable[[RowMapping], tuple[int, datetime, int]]:
    """The engine's `started_at DESC, id DESC` as an ascending key to reverse: a leg without a
    start time comes first on PostgreSQL (NULLs are the largest) and last on SQLite."""
    unknown = 1 if dialect == "postgresql" else -1

    def key(row: RowMapping) -> tuple[int, datetime, int]:
        at = row["started_at"]
        return (0, at, row["id"]) if at is not None else (unknown, datetime.min, row["id"])

    return key
