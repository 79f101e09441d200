"""Callback items: one open item per customer number, from the first missed contact until the
customer is reached.

- A missed contact (see `missed.py`) opens the number's item, or adds to the open one
  (`missed_count`), so a call that rang five extensions is one item.
- An answered outgoing call to the number closes it as "returned"; the customer's next answered
  incoming call closes it as "reached"; `close` closes it by hand ("closed").
- CDRs can arrive out of order: a missed contact whose number was already answered later is
  stored closed at once.
- Legs of one call: a leg that rang unanswered while the same call was answered elsewhere (an
  answered incoming leg from the number that starts before the missed leg's end plus
  `SAME_CALL_SLACK`) is no missed contact. Arriving first, that answered leg keeps the item
  from opening; arriving second, it closes a one-leg item as "answered" (not a miss, left out of
  the report).

Every function runs in the caller's transaction (the leg's, for the ingest hook).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from cdrhub.automations import live
from cdrhub.automations.tables import callback_items
from cdrhub.calls.model import CallLeg
from cdrhub.store.schema import legs
from cdrhub.timefmt import iso_utc
from cdrhub.voicenter import vocab

OPEN = "open"
CLOSED_STATES = ("returned", "reached", "closed", "answered")
SAME_CALL_SLACK = timedelta(seconds=10)


def missed_until(leg: CallLeg, at: datetime) -> datetime:
    """When the missed leg ended (start + ringing + queue wait + talk), plus the slack."""
    span = (leg.dialtime or 0) + (leg.wait_seconds or 0) + (leg.duration or 0)
    try:
        return at + timedelta(seconds=min(max(0, span), 86_400)) + SAME_CALL_SLACK
    except OverflowError:  # a start at the end of time
        return at


def _answered_incoming(number: Any) -> Any:
    return and_(
        legs.c.status == vocab.ANSWERED,
        legs.c.direction == "in",
        legs.c.caller_e164 == number,
        or_(legs.c.type_key.is_(None), legs.c.type_key != "VoiceMail"),
    )


# The statements of the ingest path are built once, the values go in as parameters (`b_`
# names, never a column's): building them per leg cost more than running them.
_NUMBER: BindParameter[str] = bindparam("b_number")

_SAME_CALL_ANSWERED = (
    select(legs.c.id)
    .where(
        _answered_incoming(_NUMBER),
        legs.c.started_at >= bindparam("b_from"),
        legs.c.started_at <= bindparam("b_until"),
    )
    .limit(1)
)


def _same_call_answered(conn: Connection, number: str, at: datetime, until: datetime) -> bool:
    params = {"b_number": number, "b_from": at - SAME_CALL_SLACK, "b_until": until}
    return conn.execute(_SAME_CALL_ANSWERED, params).first() is not None


def _open_query(dialect: str, where: Any) -> Any:
    query = select(callback_items).where(where, callback_items.c.status == OPEN)
    if dialect == "postgresql":
        query = query.with_for_update()
    return query


# Built once per dialect: the numbers go in as parameters.
_OPEN_ONE: dict[str, Any] = {}
_OPEN_MANY: dict[str, Any] = {}


def _open_item(conn: Connection, number: str) -> dict[str, Any] | None:
    name = conn.dialect.name
    query = _OPEN_ONE.get(name)
    if query is None:
        where = callback_items.c.customer_number == bindparam("b_number")
        query = _OPEN_ONE[name] = _open_query(name, where)
    row = conn.execute(query, {"b_number": number}).mappings().first()
    return dict(row) if row is not None else None


class OpenItems:
    """The open items of a batch's customer numbers, read with one query and kept up to date
    by `record_answered`; `record_missed` drops its number, which is then read again. Only for
    one transaction, in which nothing else writes callback items."""

    def __init__(self) -> None:
        self._items: dict[str, dict[str, Any] | None] = {}
        # numbers known by item id, so that `forget` does not scan every number of the batch
        self._numbers: dict[int, set[str]] = {}

    def _know(self, number: str, item: dict[str, Any] | None) -> None:
        self._items[number] = item
        if item is not None:
            self._numbers.setdefault(item["id"], set()).add(number)

    def read(self, conn: Connection, numbers: Iterable[str | None]) -> None:
        """Read the open items of these numbers (one query; PostgreSQL: locks them, in id
        order, as `_open_item` does one by one)."""
        todo = sorted({n for n in numbers if n and n not in self._items})
        if not todo:
            return
        name = conn.dialect.name
        query = _OPEN_MANY.get(name)
        if query is None:
            where = callback_items.c.customer_number.in_(bindparam("b_numbers", expanding=True))
            query = _OPEN_MANY[name] = _open_query(name, where).order_by(callback_items.c.id)
        found = {
            r["customer_number"]: dict(r)
            for r in conn.execute(query, {"b_numbers": todo}).mappings()
        }
        for number in todo:
            self._know(number, found.get(number))

    def get(self, conn: Connection, number: str) -> dict[str, Any] | None:
        if number not in self._items:
            self._know(number, _open_item(conn, number))
        return self._items[number]

    def closed(self, number: str) -> None:
        self._items[number] = None

    def forget(self, number: str | None, item_id: int | None = None) -> None:
        """Drop what is known of this number's item, and of the item `item_id`."""
        if number:
            self._items.pop(number, None)
        if item_id is not None:
            for other in self._numbers.pop(item_id, ()):
                item = self._items.get(other)
                if item is not None and item["id"] == item_id:
                    del self._items[other]


_LEG_ID: BindParameter[str] = bindparam("b_ivruniqueid")
_ALREADY_COUNTED = select(callback_items.c.id).where(
    or_(callback_items.c.first_ivruniqueid == _LEG_ID, callback_items.c.last_ivruniqueid == _LEG_ID)
)


def _already_counted(conn: Connection, ivruniqueid: str) -> int | None:
    return conn.execute(_ALREADY_COUNTED, {"b_ivruniqueid": ivruniqueid}).scalar()


_LATER_ANSWER = (
    select(legs.c.ivruniqueid, legs.c.direction, legs.c.started_at, legs.c.agent_code)
    .where(
        or_(
            and_(
                legs.c.status == vocab.ANSWERED,
                legs.c.direction == "out",
                legs.c.target_e164 == _NUMBER,
                legs.c.started_at > bindparam("b_after"),
            ),
            and_(_answered_incoming(_NUMBER), legs.c.started_at > bindparam("b_until")),
        ),
    )
    .order_by(legs.c.started_at)
    .limit(1)
)


def _later_answer(
    conn: Connection, number: str, after: datetime, until: datetime
) -> dict[str, Any] | None:
    """An answered call with this customer after the missed one (whose CDR arrived earlier):
    outgoing after its start, incoming after its end."""
    params = {"b_number": number, "b_after": after, "b_until": until}
    row = conn.execute(_LATER_ANSWER, params).mappings().first()
    return dict(row) if row is not None else None


_INSERT_CLOSED = callback_items.insert().returning(callback_items.c.id)
_INSERT_OPEN: dict[str, Any] = {}


def _insert_open(conn: Connection) -> Any:
    name = conn.dialect.name
    stmt = _INSERT_OPEN.get(name)
    if stmt is None:
        dialect = postgresql if name == "postgresql" else sqlite
        stmt = _INSERT_OPEN[name] = (
            dialect.insert(callback_items)
            .on_conflict_do_nothing(
                # a literal predicate: PostgreSQL cannot match a partial index to a parameter
                # once the statement is prepared
                index_elements=["customer_number"],
                index_where=text("status = 'open'"),
            )
            .returning(callback_items.c.id)
        )
    return stmt


def record_missed(
    conn: Connection,
    leg: CallLeg,
    now: datetime,
    *,
    rule: str | None = None,
    assign: str | None = None,
    items: OpenItems | None = None,
) -> int | None:
    """Open (or add to) the callback item of the leg's customer; returns the item id. `items`:
    the batch's open items, which forget what this changes."""
    number = leg.caller_e164 if leg.direction == "in" else leg.customer_number
    if not number:
        return None
    item_id = _record_missed(conn, leg, now, number, rule, assign)
    if items is not None:
        items.forget(number, item_id)
    return item_id


def _record_missed(
    conn: Connection,
    leg: CallLeg,
    now: datetime,
    number: str,
    rule: str | None,
    assign: str | None,
) -> int | None:
    counted = _already_counted(conn, leg.ivruniqueid)
    if counted is not None:
        if assign:
            conn.execute(
                update(callback_items)
                .where(callback_items.c.id == counted, callback_items.c.assigned_to.is_(None))
                .values(
                    assigned_to=assign,
                    assigned_at=now,
                    agent_code=func.coalesce(callback_items.c.agent_code, assign),
                    updated_at=now,
                )
            )
        return counted
    at = leg.started_at or now
    until = missed_until(leg, at)
    if leg.direction == "in" and _same_call_answered(conn, number, at, until):
        return None  # the call was answered on another leg: no missed contact
    for _ in range(2):
        existing = _open_item(conn, number)
        if existing is not None:
            values: dict[str, Any] = {
                "missed_count": existing["missed_count"] + 1,
                "updated_at": now,
            }
            if at >= existing["last_missed_at"]:
                values.update(last_missed_at=at, last_ivruniqueid=leg.ivruniqueid)
            if existing["last_missed_until"] is None or until > existing["last_missed_until"]:
                values.update(last_missed_until=until)
            if at < existing["opened_at"]:
                values.update(opened_at=at, first_ivruniqueid=leg.ivruniqueid)
            if assign and not existing["assigned_to"]:
                values.update(assigned_to=assign, assigned_at=now, agent_code=assign)
            conn.execute(
                update(callback_items).where(callback_items.c.id == existing["id"]).values(**values)
            )
            _popup(conn, live.MISSED, {**existing, **values}, leg, now)
            return existing["id"]
        answer = _later_answer(conn, number, at, until)
        row: dict[str, Any] = {
            "customer_number": number,
            "status": OPEN,
            "opened_at": at,
            "last_missed_at": at,
            "last_missed_until": until,
            "missed_count": 1,
            "first_ivruniqueid": leg.ivruniqueid,
            "last_ivruniqueid": leg.ivruniqueid,
            "queue_name": leg.queue_name,
            "department_id": leg.department_id,
            "department_name": leg.department_name,
            "rule": rule,
            "assigned_to": assign,
            "assigned_at": now if assign else None,
            "agent_code": assign,
            "created_at": now,
            "updated_at": now,
        }
        if answer is not None:
            row.update(
                status="returned" if answer["direction"] == "out" else "reached",
                closed_at=answer["started_at"],
                closed_by_ivruniqueid=answer["ivruniqueid"],
                closed_by_agent=answer["agent_code"],
                agent_code=answer["agent_code"],
            )
            return conn.execute(_INSERT_CLOSED, row).scalar()
        new_id = conn.execute(_insert_open(conn), row).scalar()
        if new_id is not None:
            _popup(conn, live.OPENED, {**row, "id": new_id}, leg, now)
            return new_id
    return None


def _popup(conn: Connection, kind: str, item: dict[str, Any], leg: CallLeg, now: datetime) -> None:
    live.record(
        conn,
        kind,
        item,
        now,
        opened_at=iso_utc(item["opened_at"]),
        last_missed_at=iso_utc(item["last_missed_at"]),
        missed_count=item["missed_count"],
        ivruniqueid=leg.ivruniqueid,
        assigned_to=item.get("assigned_to"),
    )


def answered_number(leg: CallLeg) -> tuple[str, str] | None:
    """(customer number, closing state) when the leg is an answered call with a customer."""
    if leg.status != vocab.ANSWERED or leg.started_at is None:
        return None
    if leg.direction == "out":
        number, state = leg.target_e164, "returned"
    elif leg.direction == "in" and leg.type_key != "VoiceMail":
        number, state = leg.caller_e164, "reached"
    else:
        return None
    return (number, state) if number else None


_CLOSE = (
    update(callback_items)
    .where(callback_items.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        closed_at=bindparam("b_closed_at"),
        closed_by_ivruniqueid=bindparam("b_by_ivruniqueid"),
        closed_by_agent=bindparam("b_by_agent"),
        agent_code=bindparam("b_by_agent"),
        updated_at=bindparam("b_now"),
    )
)


def record_answered(
    conn: Connection, leg: CallLeg, now: datetime, *, items: OpenItems | None = None
) -> list[int]:
    """Close the customer's open item if this leg is an answered call with them. `items`: the
    batch's open items (see `OpenItems`), else the item is read here."""
    found = answered_number(leg)
    if found is None:
        return []
    number, state = found
    item = items.get(conn, number) if items is not None else _open_item(conn, number)
    if item is None:
        return []
    started = leg.started_at
    assert started is not None  # answered_number checked it
    if state == "reached" and started <= (item["last_missed_until"] or item["last_missed_at"]):
        if started < item["opened_at"] - SAME_CALL_SLACK:
            return []  # an older call, delivered late
        # the same call as the (last) missed leg, answered elsewhere
        state = "answered" if item["missed_count"] == 1 else "reached"
    elif started <= item["opened_at"]:
        return []
    conn.execute(
        _CLOSE,
        {
            "b_id": item["id"],
            "b_status": state,
            "b_closed_at": started,
            "b_by_ivruniqueid": leg.ivruniqueid,
            "b_by_agent": leg.agent_code,
            "b_now": now,
        },
    )
    if items is not None:
        items.closed(number)
    live.record(conn, live.CLOSED, item, now, status=state, by_agent=leg.agent_code)
    return [item["id"]]


# What a live event names of its item.
_EVENT_COLUMNS = (
    callback_items.c.id,
    callback_items.c.customer_number,
    callback_items.c.queue_name,
    callback_items.c.department_name,
)


# --- reading and operating -------------------------------------------------------------------


def _with_wait(row: Any, now: datetime) -> dict[str, Any]:
    item = dict(row)
    end = item["closed_at"] or now
    item["wait_seconds"] = max(0, int((end - item["opened_at"]).total_seconds()))
    return item


def list_items(
    conn: Connection,
    now: datetime,
    *,
    status: str | None = OPEN,
    assigned_to: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Items oldest first, each with `wait_seconds` (until now, or until closed)."""
    query = select(callback_items)
    if status:
        query = query.where(callback_items.c.status == status)
    if assigned_to:
        query = query.where(callback_items.c.assigned_to == assigned_to)
    query = (
        query.order_by(callback_items.c.opened_at, callback_items.c.id).limit(limit).offset(offset)
    )
    return [_with_wait(r, now) for r in conn.execute(query).mappings()]


def count_open(conn: Connection) -> int:
    return conn.execute(
        select(func.count()).select_from(callback_items).where(callback_items.c.status == OPEN)
    ).scalar_one()


def get_item(conn: Connection, item_id: int, now: datetime) -> dict[str, Any] | None:
    row = (
        conn.execute(select(callback_items).where(callback_items.c.id == item_id))
        .mappings()
        .first()
    )
    return _with_wait(row, now) if row is not None else None


def items_for_number(conn: Connection, e164: str, now: datetime) -> list[dict[str, Any]]:
    """Every item of one customer number, newest first (for the CRM timeline)."""
    query = (
        select(callback_items)
        .where(callback_items.c.customer_number == e164)
        .order_by(callback_items.c.opened_at.desc())
    )
    return [_with_wait(r, now) for r in conn.execute(query).mappings()]


_CLOSED_BY_CALL = ("returned", "reached", "answered")


def assign(
    conn: Connection,
    item_id: int,
    agent: str | None,
    now: datetime,
    *,
    agent_code: str | None = None,
) -> bool:
    """Assign the item to `agent` (an agent code or name; the dashboard's, a user's e-mail, with
    the user's `agent_code`). An item closed by a call stays that call's agent's."""
    code = agent_code if agent_code is not None or (agent and "@" in agent) else agent
    row = (
        conn.execute(
            update(callback_items)
            .where(callback_items.c.id == item_id)
            .values(
                assigned_to=agent,
                assigned_at=now if agent else None,
                agent_code=case(
                    (callback_items.c.status.in_(_CLOSED_BY_CALL), callback_items.c.agent_code),
                    else_=literal(code, String()),
                ),
                updated_at=now,
            )
            .returning(*_EVENT_COLUMNS)
        )
        .mappings()
        .first()
    )
    if row is None:
        return False
    live.record(conn, live.ASSIGNED, dict(row), now, assigned_to=agent)
    return True


def close(
    conn: Connection, item_id: int, now: datetime, *, note: str | None = None, by: str | None = None
) -> bool:
    """Close an open item by hand."""
    row = (
        conn.execute(
            update(callback_items)
            .where(callback_items.c.id == item_id, callback_items.c.status == OPEN)
            .values(status="closed", closed_at=now, closed_by_agent=by, note=note, updated_at=now)
            .returning(*_EVENT_COLUMNS)
        )
        .mappings()
        .first()
    )
    if row is None:
        return False
    live.record(conn, live.CLOSED, dict(row), now, status="closed", by_agent=by)
    return True
