"""Nothing in ingest waits without a limit, and /readyz proves what it claims.

- A CDR whose commit is not reported within `ack_deadline_seconds` is answered 503 Err 2; it
  may still commit afterwards, and the resend Voicenter makes is then counted, not stored twice.
- While the writer process has left a delivery unanswered past the deadline, new ones are
  answered Err 2 at once instead of queueing behind it.
- The writer process's own statements give up after `db_timeout_seconds` (a lock held elsewhere).
- /readyz is ok only when the writer itself has committed a heartbeat row within
  `ready_timeout_seconds`; otherwise 503 and one line of reason.

The write lock is held from the test by another connection: `BEGIN IMMEDIATE` on SQLite, an
EXCLUSIVE table lock on PostgreSQL (reads go on, writes wait).
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, text
from starlette.testclient import TestClient

from cdrhub.config import Settings
from cdrhub.store.engine import make_engine, write_transaction
from cdrhub.store.heartbeat import MIN_FREE_BYTES, disk_problem
from cdrhub.store.schema import app_state, legs
from cdrhub.web.app import create_app
from tests.conftest import sample
from tests.ingest.test_http import JSON, OK_JSON, URL

ERR_2 = {"Err": 2, "Errdesc": "storage unavailable, retry later"}
READY = {"status": "ok"}


def wait_ready(client: TestClient, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while (response := client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, response.text
        time.sleep(0.05)
    assert response.json() == READY


def timed_post(client: TestClient, wire: dict[str, Any]) -> tuple[Any, float]:
    started = time.monotonic()
    response = client.post(URL, json=wire, headers=JSON)
    return response, time.monotonic() - started


@contextmanager
def write_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's write lock (SQLite) or the legs and heartbeat tables' (PostgreSQL)
    from another connection until the block ends."""
    with write_transaction(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("LOCK TABLE legs, app_state IN EXCLUSIVE MODE"))
        yield


def deliveries(engine: Engine, ivruniqueid: str) -> list[int]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(legs.c.deliveries).where(legs.c.ivruniqueid == ivruniqueid)
            ).scalars()
        )


def wait_for_deliveries(engine: Engine, ivruniqueid: str, expected: int) -> None:
    deadline = time.monotonic() + 30
    while deliveries(engine, ivruniqueid) != [expected]:
        assert time.monotonic() < deadline, deliveries(engine, ivruniqueid)
        time.sleep(0.05)


@pytest.fixture
def other(settings: Settings) -> Iterator[Engine]:
    """The test's own connection to the database, for locks and checks."""
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_a_cdr_not_committed_within_the_ack_deadline_is_err_2_and_stored_once(
    settings: Settings, other: Engine, writer: str
) -> None:
    app = create_app(
        settings.with_(ingest_writer=writer, ack_deadline_seconds=1.0, db_timeout_seconds=30.0)
    )
    wire = {**sample("outgoing-answered.json"), "ivruniqueid": f"20231115092000late{writer}"}
    with TestClient(app) as client:
        wait_ready(client)
        with write_lock(other):
            first, first_took = timed_post(client, wire)
            second, second_took = timed_post(client, wire)
        assert (first.status_code, first.json()) == (503, ERR_2)
        assert 1.0 <= first_took < 2.5
        assert (second.status_code, second.json()) == (503, ERR_2)
        if writer == "process":
            # The writer still holds the first delivery past the deadline: the second is
            # answered at once and never reaches it.
            assert second_took < 0.5
            late_commits = 1
        else:
            assert 1.0 <= second_took < 2.5
            late_commits = 2
        # Once the lock is gone the held deliveries commit after all, unacknowledged ...
        wait_for_deliveries(other, wire["ivruniqueid"], late_commits)
        wait_ready(client)
        # ... and Voicenter's resend is acknowledged and counted on the same leg.
        resent, took = timed_post(client, wire)
        assert (resent.status_code, resent.json()) == (200, OK_JSON)
        assert took < 2.0
    assert deliveries(other, wire["ivruniqueid"]) == [late_commits + 1]
    app.state.engine.dispose()


def test_the_writer_process_gives_up_on_a_held_lock_after_db_timeout(
    settings: Settings, other: Engine
) -> None:
    app = create_app(
        settings.with_(ingest_writer="process", ack_deadline_seconds=10.0, db_timeout_seconds=1.0)
    )
    wire = {**sample("queue-abandoned.json"), "ivruniqueid": "20231115120640timeout"}
    with TestClient(app) as client:
        wait_ready(client)
        with write_lock(other):
            failed, took = timed_post(client, wire)
        # The writer's own timeout ended the wait, long before the 10 s ack deadline, and
        # its transaction was rolled back.
        assert (failed.status_code, failed.json()) == (503, ERR_2)
        assert 1.0 <= took < 4.0
        assert deliveries(other, wire["ivruniqueid"]) == []
        assert client.post(URL, json=wire, headers=JSON).json() == OK_JSON
    assert deliveries(other, wire["ivruniqueid"]) == [1]
    app.state.engine.dispose()


def heartbeat_value(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(app_state.c.value).where(app_state.c.key == "heartbeat")
        ).scalar()


def test_readyz_commits_a_heartbeat_from_the_writer_process(
    settings: Settings, other: Engine
) -> None:
    app = create_app(settings.with_(ingest_writer="process"))
    before = datetime.now(UTC)
    with TestClient(app) as client:
        wait_ready(client)
        first = heartbeat_value(other)
        assert first is not None
        assert before - timedelta(seconds=1) <= datetime.fromisoformat(first) <= datetime.now(UTC)
        time.sleep(0.01)
        assert client.get("/readyz").json() == READY
        assert heartbeat_value(other) > first  # type: ignore[operator]
    with other.connect() as conn:  # one row, overwritten (the tokens are set in settings)
        assert conn.execute(select(app_state.c.key)).scalars().all() == ["heartbeat"]
    app.state.engine.dispose()


def _refuse_heartbeats(engine: Engine) -> tuple[list[str], list[str]]:
    """DDL for a trigger that fails every insert into app_state (the heartbeat's upsert
    included), and the DDL that removes it: the database answers, but takes no write there."""
    if engine.dialect.name == "sqlite":
        return (
            [
                "CREATE TRIGGER refuse BEFORE INSERT ON app_state "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
            ],
            ["DROP TRIGGER refuse"],
        )
    return (
        [
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$",
            "CREATE TRIGGER refuse BEFORE INSERT ON app_state "
            "FOR EACH ROW EXECUTE FUNCTION refuse()",
        ],
        ["DROP TRIGGER refuse ON app_state", "DROP FUNCTION refuse()"],
    )


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_readyz_is_503_when_the_database_answers_but_takes_no_write(
    settings: Settings, other: Engine, writer: str
) -> None:
    app = create_app(settings.with_(ingest_writer=writer))
    refuse, allow = _refuse_heartbeats(other)
    with TestClient(app) as client:
        wait_ready(client)
        with other.begin() as conn:
            for statement in refuse:
                conn.execute(text(statement))
        try:
            response = client.get("/readyz")
        finally:
            with other.begin() as conn:
                for statement in allow:
                    conn.execute(text(statement))
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "reason": "the database did not take a write",
        }
        assert client.get("/readyz").json() == READY
    app.state.engine.dispose()


def test_readyz_is_503_within_its_deadline_while_the_writer_is_frozen(
    settings: Settings,
) -> None:
    app = create_app(settings.with_(ingest_writer="process", ready_timeout_seconds=1.0))
    with TestClient(app) as client:
        wait_ready(client)
        pid = app.state.ingest_writer._process.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            response = client.get("/readyz")
            took = time.monotonic() - started
        finally:
            os.kill(pid, signal.SIGCONT)
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "reason": "the ingest writer did not commit a heartbeat within 1 s",
        }
        assert 1.0 <= took < 2.0
        wait_ready(client, timeout=5)  # the same writer, thawed
        assert app.state.ingest_writer._process.pid == pid
    app.state.engine.dispose()


def test_readyz_is_503_while_a_locked_database_holds_the_heartbeat(
    settings: Settings, other: Engine
) -> None:
    app = create_app(settings.with_(ingest_writer="process", ready_timeout_seconds=1.0))
    with TestClient(app) as client:
        wait_ready(client)
        with write_lock(other):
            response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["reason"] == (
            "the ingest writer did not commit a heartbeat within 1 s"
        )
        wait_ready(client, timeout=10)
    app.state.engine.dispose()


def test_disk_reason() -> None:
    assert disk_problem(None) is None
    assert disk_problem(MIN_FREE_BYTES) is None
    assert disk_problem(1024 * 1024) == "the database's disk is full (1.0 MiB free)"
    assert disk_problem(0) == "the database's disk is full (0.0 MiB free)"
