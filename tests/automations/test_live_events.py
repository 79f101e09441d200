"""The live feed of callback items: an event for each item opened, missed again, closed and
assigned, read in order from a cursor; on PostgreSQL, rows that commit out of id order are
neither lost nor repeated."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from cdrhub.automations import callbacks, live
from cdrhub.automations.tables import callback_items
from cdrhub.jobs.outbox import utcnow
from cdrhub.store.engine import write_transaction
from tests.schemadiff import differences

from .helpers import deliver, sample, settings_for

BASE = 1700050000


def _missed(uid: str, at: int, **extra: Any) -> dict[str, Any]:
    return {**sample("queue-abandoned.json"), "ivruniqueid": uid, "time": at, **extra}


def _outgoing(uid: str, at: int) -> dict[str, Any]:
    wire = {**sample("outgoing-answered.json"), "ivruniqueid": uid, "time": at}
    return {**wire, "target": "972501234567"}


def _events(engine: Engine, cursor: live.Cursor, count: int = 0) -> list[dict[str, Any]]:
    """The settled events after `cursor`; with `count`, waits (up to 10 s) until that many are
    settled: on PostgreSQL a writing transaction on the same database that began before ours
    holds the horizon back until it ends."""
    deadline = time.monotonic() + 10
    while True:
        with engine.connect() as conn:
            found = live.after(conn, cursor)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_the_tables_match_the_migration(engine: Engine) -> None:
    assert differences(engine, {"live_events", "callback_items"}) == []


def test_every_change_of_an_item_is_an_event(engine: Engine, db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, "", tmp_path)
    with engine.connect() as conn:
        start = live.now_cursor(conn)
    deliver(engine, settings, _missed("m1", BASE))
    deliver(engine, settings, _missed("m1", BASE))  # a redelivery: nothing new
    deliver(engine, settings, _missed("m2", BASE + 60, type="Incoming Call", status="NOANSWER"))
    with engine.connect() as conn:
        (item,) = callbacks.list_items(conn, utcnow())
    with write_transaction(engine) as conn:
        assert callbacks.assign(conn, item["id"], "dana@example.com", utcnow()) is True
    deliver(engine, settings, _outgoing("o1", BASE + 3600))
    events = _events(engine, start, 4)
    got = [(e["kind"], e["item_id"], e["customer_number"], e["queue_name"]) for e in events]
    queue = item["queue_name"]
    assert got == [
        ("opened", item["id"], "+972501234567", queue),
        ("missed", item["id"], "+972501234567", queue),
        ("assigned", item["id"], "+972501234567", queue),
        ("closed", item["id"], "+972501234567", queue),
    ]
    assert events[0]["data"]["missed_count"] == 1 and events[0]["data"]["ivruniqueid"] == "m1"
    assert events[1]["data"]["missed_count"] == 2 and events[1]["data"]["ivruniqueid"] == "m2"
    assert events[1]["data"]["opened_at"] == "2023-11-15T10:06:40Z"
    assert events[2]["data"] == {"assigned_to": "dana@example.com"}
    assert events[3]["data"] == {"status": "returned", "by_agent": events[3]["data"]["by_agent"]}
    # resuming from any event's cursor gives exactly the events after it
    for n, event in enumerate(events):
        later = [e["id"] for e in events[n + 1 :]]
        assert [e["id"] for e in _events(engine, event["cursor"], len(later))] == later


def test_closing_by_hand_is_an_event(engine: Engine, db_url: str, tmp_path: Path) -> None:
    settings = settings_for(db_url, "", tmp_path)
    deliver(engine, settings, _missed("m1", BASE))
    with engine.connect() as conn:
        start = live.now_cursor(conn)
        (item,) = callbacks.list_items(conn, utcnow())
    with write_transaction(engine) as conn:
        assert callbacks.close(conn, item["id"], utcnow(), note="called", by="dana") is True
        assert callbacks.close(conn, item["id"], utcnow(), note="again", by="dana") is False
    (event,) = _events(engine, start, 1)
    assert (event["kind"], event["data"]) == ("closed", {"status": "closed", "by_agent": "dana"})


def test_a_cursor_reads_back_from_its_text() -> None:
    assert live.Cursor.parse("812-44") == live.Cursor(812, 44)
    assert str(live.Cursor(812, 44)) == "812-44"
    for bad in (None, "", "44", "a-1", "1-", "-1", "1-2-3", "9" * 50 + "-1"):
        assert live.Cursor.parse(bad) is None


@pytest.mark.postgres
def test_a_row_that_commits_late_with_a_lower_id_is_not_lost(pg_engine: Engine) -> None:
    from tests.conftest import _truncate_all

    _truncate_all(pg_engine)
    now = utcnow()
    item = {"id": 1, "customer_number": "+972501234567", "queue_name": "q", "department_name": None}
    with pg_engine.connect() as conn:
        start = live.now_cursor(conn)
    slow = pg_engine.connect()
    slow_tx = slow.begin()
    live.record(slow, live.OPENED, item, now, n="slow")  # takes the lower id, commits last
    with pg_engine.begin() as fast:
        live.record(fast, live.OPENED, {**item, "id": 2}, now, n="fast")
    # the fast row is committed, but the slow transaction is still running: nothing is settled
    # after the cursor yet, so a reader does not step past the slow row's place
    assert _events(pg_engine, start) == []
    slow_tx.commit()
    slow.close()
    events = _events(pg_engine, start, 2)
    assert sorted(e["data"]["n"] for e in events) == ["fast", "slow"]
    assert [e["cursor"] for e in events] == sorted(e["cursor"] for e in events)
    assert _events(pg_engine, events[-1]["cursor"]) == []


@pytest.mark.postgres
def test_a_transaction_in_another_database_does_not_hold_the_feed(pg_engine: Engine) -> None:
    """A writing transaction open on another database of the server (another application, a
    long import elsewhere) cannot add an event here: the feed goes on past it."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL, _truncate_all

    _truncate_all(pg_engine)
    item = {"id": 1, "customer_number": "+972501234567", "queue_name": "q", "department_name": None}
    with pg_engine.connect() as conn:
        start = live.now_cursor(conn)
    with psycopg.connect(PG_ADMIN_URL) as elsewhere:  # the server's `postgres` database
        (other_xid,) = elsewhere.execute("SELECT pg_current_xact_id()").fetchone() or (0,)
        with pg_engine.begin() as conn:
            live.record(conn, live.OPENED, item, utcnow(), n="after")
        with pg_engine.connect() as conn:
            events = live.after(conn, start)
            ours = conn.execute(text("SELECT pg_current_xact_id()")).scalar_one()
        assert [e["data"]["n"] for e in events] == ["after"]
        assert int(str(other_xid)) < int(str(ours))  # it began before ours and is still open
        elsewhere.rollback()


def test_callback_items_keep_the_department_name(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    settings = settings_for(db_url, "", tmp_path)
    deliver(engine, settings, _missed("m1", BASE, DepartmentName="North"))
    with engine.connect() as conn:
        names = conn.execute(callback_items.select()).mappings().all()
    assert [n["department_name"] for n in names] == ["North"]
