"""Callback items through the real ingest path, and the callbacks report."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from cdrhub.automations import callbacks
from cdrhub.automations.report import callbacks_report, percentile, summarize
from cdrhub.config import Settings
from cdrhub.jobs.outbox import utcnow
from cdrhub.store.engine import write_transaction

from .helpers import deliver, sample, settings_for

NUMBER = "+972501234567"
BASE = 1700050000  # 2023-11-15 12:06:40 Israel time


def _missed(uid: str, at: int, **extra: Any) -> dict[str, Any]:
    return {**sample("queue-abandoned.json"), "ivruniqueid": uid, "time": at, **extra}


def _outgoing(uid: str, at: int, status: str = "ANSWER", **extra: Any) -> dict[str, Any]:
    wire = {**sample("outgoing-answered.json"), "ivruniqueid": uid, "time": at, "status": status}
    return {**wire, "target": "972501234567", **extra}


def _incoming(uid: str, at: int, status: str = "ANSWER") -> dict[str, Any]:
    wire = sample("incoming-ivr-as-string.json")
    return {**wire, "ivruniqueid": uid, "time": at, "status": status, "caller": "0501234567"}


def _settings(db_url: str, tmp_path: Path) -> Settings:
    return settings_for(db_url, "", tmp_path)


def _items(engine: Engine, status: str | None = None) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return callbacks.list_items(conn, utcnow(), status=status)


def test_one_item_per_number_until_returned(engine: Engine, db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    deliver(engine, settings, _missed("m1", BASE))
    deliver(engine, settings, _missed("m2", BASE + 60, type="Incoming Call", status="NOANSWER"))
    deliver(engine, settings, _missed("m2", BASE + 60, type="Incoming Call", status="NOANSWER"))
    (item,) = _items(engine)
    assert item["customer_number"] == NUMBER and item["missed_count"] == 2
    assert item["first_ivruniqueid"] == "m1" and item["last_ivruniqueid"] == "m2"
    assert item["wait_seconds"] > 0
    deliver(engine, settings, _outgoing("o0", BASE + 600, status="NOANSWER"))  # not reached
    assert len(_items(engine, "open")) == 1
    deliver(engine, settings, _outgoing("o1", BASE + 3600))
    (closed,) = _items(engine, None)
    assert closed["status"] == "returned" and closed["closed_by_ivruniqueid"] == "o1"
    assert closed["wait_seconds"] == 3600
    # a new missed contact opens a new item
    deliver(engine, settings, _missed("m3", BASE + 7200))
    assert [i["status"] for i in _items(engine, None)] == ["returned", "open"]


def test_reached_when_the_customer_calls_again(engine: Engine, db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    deliver(engine, settings, _missed("m1", BASE))
    deliver(engine, settings, _incoming("i1", BASE + 300, status="NOANSWER"))
    assert _items(engine)[0]["missed_count"] == 2
    deliver(engine, settings, _incoming("i2", BASE + 900))
    (item,) = _items(engine, None)
    assert item["status"] == "reached" and item["closed_by_ivruniqueid"] == "i2"


def test_out_of_order_delivery(engine: Engine, db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    deliver(engine, settings, _outgoing("o1", BASE + 1800))  # the callback's CDR came first
    deliver(engine, settings, _missed("m1", BASE))
    (item,) = _items(engine, None)
    assert item["status"] == "returned" and item["wait_seconds"] == 1800


def test_click2call_leg2_returns_and_leg1_does_not(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    settings = _settings(db_url, tmp_path)
    deliver(engine, settings, _missed("m1", BASE, caller="4915112345678"))
    leg1 = {**sample("click2call-leg1.json"), "time": BASE + 100}
    deliver(engine, settings, leg1)
    assert _items(engine, "open")
    leg2 = {**sample("click2call-leg2.json"), "time": BASE + 105}
    deliver(engine, settings, leg2)
    assert _items(engine, None)[0]["status"] == "returned"


def test_extensions_and_internal_numbers_open_nothing(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    settings = settings_for(db_url, '[automations]\ninternal_numbers = ["0521111111"]\n', tmp_path)
    deliver(engine, settings, _missed("m1", BASE, caller="SIPSIP"))
    deliver(engine, settings, _missed("m2", BASE, caller="0521111111"))
    deliver(engine, settings, _missed("m3", BASE, caller="0722776772"))  # our own DID
    assert _items(engine, None) == []


def test_assign_and_close_by_hand(engine: Engine, db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    deliver(engine, settings, _missed("m1", BASE))
    (item,) = _items(engine)
    now = utcnow()
    with write_transaction(engine) as conn:
        assert callbacks.assign(conn, item["id"], "2001", now)
        assert callbacks.close(conn, item["id"], now, note="left a message", by="2001")
        assert not callbacks.close(conn, item["id"], now)
    with engine.connect() as conn:
        closed = callbacks.get_item(conn, item["id"], now)
        assert closed is not None
        assert (closed["status"], closed["assigned_to"], closed["note"]) == (
            "closed",
            "2001",
            "left a message",
        )
        assert callbacks.items_for_number(conn, NUMBER, now)[0]["id"] == item["id"]


def test_report(engine: Engine, db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    numbers = [f"05012345{n:02d}" for n in range(5)]
    delays = [600, 5400, 20000, None, None]  # 10 min, 1.5 h, 5.5 h, reached, never
    for n, (number, delay) in enumerate(zip(numbers, delays, strict=True)):
        deliver(engine, settings, _missed(f"m{n}", BASE + n, caller=number))
        if delay:
            deliver(
                engine, settings, _outgoing(f"o{n}", BASE + n + delay, target="972" + number[1:])
            )
    deliver(engine, settings, _incoming("i3", BASE + 4000) | {"caller": numbers[3]})
    with engine.connect() as conn:
        report = callbacks_report(conn)
    assert report["report"] == "callbacks" and report["formula"]
    (row,) = report["rows"]
    assert row["items"] == 5 and row["returned"] == 3
    assert row["returned_within_2h"] == 2 and row["returned_within_24h"] == 3
    assert row["median_seconds_to_callback"] == 5400
    assert row["p90_seconds_to_callback"] == 20000
    assert (row["reached"], row["open"], row["never_returned"]) == (1, 1, 2)
    with engine.connect() as conn:
        by_day = callbacks_report(conn, by="day")["rows"]
        assert [r["key"] for r in by_day] == ["2023-11-15"]
        start = callbacks_report(conn, start=utcnow() - timedelta(days=1))["rows"][0]
        assert start["items"] == 0


def test_percentile_and_empty_summary() -> None:
    assert percentile([], 50) is None
    assert percentile([5, 1, 3], 50) == 3
    assert percentile(list(range(1, 11)), 90) == 9
    assert summarize([], (2, 24))["median_seconds_to_callback"] is None


def test_many_items_in_a_row(engine: Engine, db_url: str, tmp_path: Path) -> None:
    """Regression: PostgreSQL prepares a statement after 5 runs; the partial-index upsert must
    still find its index."""
    settings = _settings(db_url, tmp_path)
    for n in range(12):
        deliver(engine, settings, _missed(f"m{n}", BASE + n, caller=f"05012345{n:02d}"))
    assert len(_items(engine)) == 12


def _ring(uid: str, at: int, status: str, ext: str, dialtime: int, duration: int = 0):
    wire = sample("incoming-ivr-as-string.json")
    return {
        **wire,
        "ivruniqueid": uid,
        "time": at,
        "status": status,
        "caller": "0501234567",
        "targetextension": ext,
        "dialtime": dialtime,
        "duration": duration,
    }


def test_legs_of_one_answered_call_are_no_missed_contact(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    settings = _settings(db_url, tmp_path)
    # extension 101 rang for 15 s unanswered, then 102 answered the same call
    deliver(engine, settings, _ring("c1a", BASE, "NOANSWER", "EXT101", 15))
    assert len(_items(engine)) == 1
    deliver(engine, settings, _ring("c1b", BASE + 16, "ANSWER", "EXT102", 3, 60))
    (item,) = _items(engine, None)
    assert item["status"] == "answered"
    # the other order: the answered leg's CDR first
    deliver(engine, settings, _ring("c2b", BASE + 1016, "ANSWER", "EXT102", 3, 60))
    deliver(engine, settings, _ring("c2a", BASE + 1000, "NOANSWER", "EXT101", 15))
    assert [i["status"] for i in _items(engine, None)] == ["answered"]
    with engine.connect() as conn:
        assert callbacks_report(conn)["rows"][0]["items"] == 0
    # a later call of the customer, answered, after a real miss: reached
    deliver(engine, settings, _ring("c3a", BASE + 2000, "NOANSWER", "EXT101", 20))
    deliver(engine, settings, _ring("c4", BASE + 2300, "ANSWER", "EXT101", 3, 30))
    assert [i["status"] for i in _items(engine, None)] == ["answered", "reached"]
