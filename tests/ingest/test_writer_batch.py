"""The writer process's batch (`_store_batch`): many deliveries stored as one work, with their
legs in one save, answered exactly as if each had been stored alone, in order; and when the
batch fails, each delivery stored again alone so that only the bad one fails."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, Engine, select, text

from cdrhub import domains
from cdrhub.config import Settings
from cdrhub.ingest.messages import Delivery
from cdrhub.ingest.pipeline import StoredLeg
from cdrhub.ingest.process_writer import _store_batch
from cdrhub.ingest.thread_writer import ThreadWriter
from cdrhub.store.engine import make_engine
from cdrhub.store.schema import legs, quarantine
from tests.conftest import PG_ADMIN_URL, sample

T0 = datetime(2026, 11, 28, 10, 0, 0)
OUT = "outgoing-answered.json"


def delivery(body: bytes, seconds: int) -> Delivery:
    return Delivery(
        body=body,
        content_type="application/json",
        query="",
        method="POST",
        headers={"content-type": "application/json"},
        source="127.0.0.1",
        received_at=T0 + timedelta(seconds=seconds),
    )


def wire(name: str, ivruniqueid: str, **changes: Any) -> bytes:
    return json.dumps({**sample(name), "ivruniqueid": ivruniqueid, **changes}).encode()


def kinds(reply: tuple[int, Any, str | None]) -> list[str]:
    _number, outcome, _failure = reply
    _encoding, notes, _errors, _refused = outcome
    return [note[0] for note in notes]


def test_a_batch_is_answered_as_if_each_delivery_were_stored_alone(
    engine: Engine, settings: Settings
) -> None:
    batch = [
        (1, delivery(wire("outgoing-answered.json", "b-1"), 1)),
        (2, delivery(wire("queue-abandoned.json", "b-2"), 2)),
        (3, delivery(b"{not json", 3)),
        (4, delivery(wire("outgoing-answered.json", "b-1"), 4)),  # a redelivery
        (5, delivery(wire("queue-abandoned.json", "b-2", duration=99), 5)),  # a revision
        (6, delivery(json.dumps([sample("click2call-leg1.json"), {}]).encode(), 6)),
    ]
    hooks = domains.hooks(settings)
    replies = _store_batch(engine, settings, hooks, batch)

    assert [r[0] for r in replies] == [1, 2, 3, 4, 5, 6]
    assert [r[2] for r in replies] == [None] * 6
    assert [kinds(r) for r in replies] == [
        ["new"], ["new"], [], ["duplicate"], ["revised"], ["new"]
    ]  # fmt: skip
    assert replies[2][1][2] and replies[5][1][2]  # why parts of 3 and 6 were quarantined
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                legs.c.ivruniqueid,
                legs.c.first_received_at,
                legs.c.last_received_at,
                legs.c.deliveries,
                legs.c.revision,
                legs.c.duration,
            ).order_by(legs.c.first_received_at)
        ).all()
        assert conn.execute(
            select(quarantine.c.body).order_by(quarantine.c.id)
        ).scalars().all() == [
            b"{not json",
            batch[5][1].body,
        ]
    leg1 = sample("click2call-leg1.json")["ivruniqueid"]
    assert [tuple(r) for r in rows] == [
        ("b-1", T0 + timedelta(seconds=1), T0 + timedelta(seconds=4), 2, 1, 11),
        ("b-2", T0 + timedelta(seconds=2), T0 + timedelta(seconds=5), 2, 2, 99),
        (leg1, T0 + timedelta(seconds=6), T0 + timedelta(seconds=6), 1, 1, 45),
    ]


def test_a_failing_batch_fails_only_its_bad_delivery(engine: Engine, settings: Settings) -> None:
    hooks = domains.hooks(settings)

    def refuse_b2(conn: Connection, stored: Sequence[StoredLeg]) -> None:
        if any(s.leg.ivruniqueid == "b-2" for s in stored):
            raise RuntimeError("b-2 cannot be stored")

    batch = [
        (1, delivery(wire("outgoing-answered.json", "b-1"), 1)),
        (2, delivery(wire("queue-abandoned.json", "b-2"), 2)),
        (3, delivery(wire("queue-abandoned.json", "b-3"), 3)),
    ]
    replies = _store_batch(engine, settings, [*hooks, refuse_b2], batch)

    assert [r[2] for r in replies] == [None, "RuntimeError: b-2 cannot be stored", None]
    assert [kinds(r) for r in (replies[0], replies[2])] == [["new"], ["new"]]
    with engine.connect() as conn:
        stored = conn.execute(select(legs.c.ivruniqueid).order_by(legs.c.id)).scalars().all()
    assert stored == ["b-1", "b-3"]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)  # a server that drops it
def test_a_batch_on_a_lost_connection_is_stored_again(db_url: str, settings: Settings) -> None:
    engine = make_engine(db_url, pool_pre_ping=False)  # as the writer process makes it
    hooks = domains.hooks(settings)
    try:
        first = _store_batch(engine, settings, hooks, [(1, delivery(wire(OUT, "c-1"), 1))])
        assert first[0][2] is None
        with engine.connect() as conn:  # the writer's one pooled connection
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        replies = _store_batch(engine, settings, hooks, [(2, delivery(wire(OUT, "c-2"), 2))])
        assert [(r[0], r[2], kinds(r)) for r in replies] == [(2, None, ["new"])]
        with engine.connect() as conn:
            ids = conn.execute(select(legs.c.ivruniqueid).order_by(legs.c.id)).scalars().all()
        assert ids == ["c-1", "c-2"]
    finally:
        engine.dispose()


def refuse_a_value_of(ivruniqueid: str) -> Any:
    """A hook that makes the database refuse a value while storing this leg, as a value out
    of range does (PostgreSQL: DataError; sqlite3: OverflowError while binding)."""

    def hook(conn: Connection, stored: Sequence[StoredLeg]) -> None:
        if any(s.leg.ivruniqueid == ivruniqueid for s in stored):
            conn.execute(text("SELECT CAST(:v AS BIGINT)"), {"v": 2**70})

    return hook


def test_a_delivery_whose_value_the_database_refuses_is_quarantined_alone(
    engine: Engine, settings: Settings
) -> None:
    """Retrying cannot fix it: it was answered Err 2 on every delivery. Its batch's other
    deliveries are stored."""
    hooks = [*domains.hooks(settings), refuse_a_value_of("b-2")]
    batch = [
        (1, delivery(wire(OUT, "b-1"), 1)),
        (2, delivery(wire("queue-abandoned.json", "b-2"), 2)),
        (3, delivery(wire(OUT, "b-3"), 3)),
    ]
    replies = _store_batch(engine, settings, hooks, batch)

    refused = "NumericValueOutOfRange" if engine.dialect.name == "postgresql" else "OverflowError"
    reason = f"could not be stored: a value was refused ({refused})"
    assert [(r[0], r[2]) for r in replies] == [(1, None), (2, None), (3, None)]
    assert replies[1][1] == ("json", [], (reason,), None)
    assert [kinds(r) for r in replies] == [["new"], [], ["new"]]
    with engine.connect() as conn:
        stored = conn.execute(select(legs.c.ivruniqueid).order_by(legs.c.id)).scalars().all()
        kept = conn.execute(select(quarantine.c.body, quarantine.c.reason)).all()
    assert stored == ["b-1", "b-3"]
    assert [tuple(k) for k in kept] == [(batch[1][1].body, reason)]


def test_a_storage_failure_stays_a_failure(engine: Engine, settings: Settings) -> None:
    """A missing table is storage's fault, not the data's: Err 2, nothing quarantined."""
    hooks = domains.hooks(settings)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE legs RENAME TO legs_away"))
    try:
        replies = _store_batch(engine, settings, hooks, [(1, delivery(wire(OUT, "s-1"), 1))])
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE legs_away RENAME TO legs"))
    [(number, result, failure)] = replies
    assert (number, result) == (1, None)
    assert failure is not None and failure.split(":")[0] in {"OperationalError", "UndefinedTable"}
    with engine.connect() as conn:
        assert conn.execute(select(quarantine.c.id)).all() == []


def test_the_thread_writer_quarantines_a_refused_value_too(
    engine: Engine, settings: Settings
) -> None:
    writer = ThreadWriter(settings, engine, [*domains.hooks(settings), refuse_a_value_of("t-2")])
    deliveries = [delivery(wire(OUT, "t-1"), 1), delivery(wire(OUT, "t-2"), 2)]

    async def submit_both() -> list[Any]:
        return await asyncio.gather(*(writer.submit(d) for d in deliveries))

    first, second = asyncio.run(submit_both())
    refused = "NumericValueOutOfRange" if engine.dialect.name == "postgresql" else "OverflowError"
    assert ([n.kind for n in first.legs], first.errors) == (["new"], ())
    assert (second.legs, second.errors) == (
        (),
        (f"could not be stored: a value was refused ({refused})",),
    )
    with engine.connect() as conn:
        stored = conn.execute(select(legs.c.ivruniqueid)).scalars().all()
        kept = conn.execute(select(quarantine.c.body)).scalars().all()
    assert (stored, kept) == (["t-1"], [deliveries[1].body])
