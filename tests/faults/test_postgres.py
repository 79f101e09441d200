"""PostgreSQL stopped, crashed and frozen under load, with a real `cdrhub serve` in front.

The database is a cluster of the test's own (`own_pg`). Four senders post distinct CDRs while
the fault is made and undone: `pg_ctl stop -m fast` then start; SIGKILL of the postmaster then
start (crash recovery); SIGSTOP of the postmaster and its children for longer than the ack
deadline, then SIGCONT (nothing the client sees ends a frozen database's connection: only the
deadline answers). For each:
- every answer is 200 Err 0 or 503 Err 2, none later than the ack deadline (plus a margin);
- /readyz says 503 during the fault, within its own deadline;
- the same server recovers without a restart: /readyz ok again, new CDRs acknowledged;
- after Voicenter's resend of what was not acknowledged, every CDR is stored exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from tests.faults.load import Load, check_answers, check_stored
from tests.faults.pgcluster import Cluster
from tests.serverproc import ServerProcess, start_server, wait_ready

TOKEN = "fault-token-0123456789abcdef0123"
DEADLINE = 2.0  # CDRHUB_ACK_DEADLINE_SECONDS (5 by default; shorter here to keep tests short)
READY_TIMEOUT = 1.0
MARGIN = 1.5  # for a busy machine
ACKS = 30  # acknowledged CDRs wanted before the fault and again after the recovery
READY_REASONS = {
    "the database did not take a write",
    f"the ingest writer did not commit a heartbeat within {READY_TIMEOUT:g} s",
}


def serve(db_url: str) -> ServerProcess:
    server = start_server(
        {
            "CDRHUB_DATABASE_URL": db_url,
            "CDRHUB_INGEST_TOKEN": TOKEN,
            "CDRHUB_API_KEY": "fault-key-0123456789abcdef01234567",
            "CDRHUB_RUN_WORKER": "false",
            "CDRHUB_ACK_DEADLINE_SECONDS": str(DEADLINE),
            "CDRHUB_DB_TIMEOUT_SECONDS": str(DEADLINE),
            "CDRHUB_READY_TIMEOUT_SECONDS": str(READY_TIMEOUT),
        }
    )
    wait_ready(server)
    return server


def check_not_ready(server: ServerProcess) -> None:
    started = time.monotonic()
    response = httpx.get(f"{server.base_url}/readyz", timeout=30)
    took = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert response.json()["status"] == "unavailable"
    assert response.json()["reason"] in READY_REASONS
    assert took <= READY_TIMEOUT + MARGIN


def run_fault(cluster: Cluster, make: Callable[[], Callable[[], None]], hold: float) -> None:
    """Load a server on a new database of `cluster`, call `make()` (which makes the fault and
    returns how to undo it) once CDRs flow, keep the fault for `hold` seconds, undo it, and
    check everything the module's docstring lists."""
    db_url = cluster.new_database()
    server = serve(db_url)
    pid = server.pid
    load = Load(server.base_url, TOKEN, client_timeout=DEADLINE + 10).start()
    undo = None
    try:
        load.wait("acks before the fault", lambda: load.acked() >= ACKS)
        began = time.monotonic()
        undo = make()
        load.wait("Err 2 during the fault", lambda: load.refused(began) >= 4, DEADLINE + 10)
        check_not_ready(server)
        time.sleep(max(0.0, began + hold - time.monotonic()))
        undo, undone = None, undo
        undone()
        recovered = time.monotonic()
        wait_ready(server, timeout=30)
        load.wait("acks after the recovery", lambda: load.acked(recovered) >= ACKS)
        load.stop()
        load.resend()
        kinds = check_answers(load, DEADLINE, MARGIN)
        check_stored(load, db_url)
        assert server.alive() and server.pid == pid, "the server was restarted"
    finally:
        if undo is not None:  # failed during the fault: leave the cluster usable
            undo()
        load.stop()
        server.stop()
    print(f"answers={dict(kinds)} cdrs={len({a.ivr for a in load.answers})}")


@pytest.mark.slow
@pytest.mark.postgres
def test_stopped_then_started(own_pg: Cluster) -> None:
    def make() -> Callable[[], None]:
        own_pg.stop("fast")
        return own_pg.start

    run_fault(own_pg, make, hold=2.0)


@pytest.mark.slow
@pytest.mark.postgres
def test_crashed_then_started(own_pg: Cluster) -> None:
    def make() -> Callable[[], None]:
        own_pg.crash()
        return own_pg.start

    run_fault(own_pg, make, hold=2.0)


@pytest.mark.slow
@pytest.mark.postgres
def test_frozen_longer_than_the_deadline_then_thawed(own_pg: Cluster) -> None:
    def make() -> Callable[[], None]:
        frozen = own_pg.freeze()
        return lambda: own_pg.thaw(frozen)

    run_fault(own_pg, make, hold=2 * DEADLINE + 1)
