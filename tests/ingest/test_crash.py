"""Crash safety of ingest: SIGKILL a real server mid-stream, restart it, keep sending.

What Voicenter relies on: a CDR answered Err 0 is stored (the ack goes out only after the
commit), and a CDR whose request failed is sent again, so a retry of a CDR that was in fact
committed just before the kill must count as a redelivery, never as a second row.

Several client threads each send their own stream of distinct CDRs and retry every request
that failed or was not acknowledged (like Voicenter does) until it is. The server (or its
writer) is killed five times while requests are in flight, on each engine: each kill is a run of
its own, as a fresh test process would be, without paying the start-up five times; at the end a few acknowledged CDRs are sent once more (an
ack Voicenter missed). Then, straight from the database:
- every acknowledged CDR is there, exactly once (one row per ivruniqueid);
- there is no row for anything that was not sent, and every CDR sent is there (all were
  retried until acknowledged);
- for each CDR, acks <= deliveries <= attempts: every acknowledged request was counted, and no
  delivery was counted that was not a request.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from cdrhub.store.engine import make_engine
from cdrhub.store.schema import legs
from tests.serverproc import ServerProcess, start_server

TOKEN = "crash-ingest-token-0123456789"
API_KEY = "crash-api-key-0123456789"
THREADS = 4
PER_THREAD = 100
KILL_AT_ACKS = (50, 110, 170, 230, 290)  # SIGKILL when this many CDRs have been acknowledged
RETRY_PAUSE = 0.05
RESEND = 10  # per stream: acknowledged CDRs sent once more at the end
DEADLINE_SECONDS = 150.0


def make_cdr(ivruniqueid: str, n: int) -> dict[str, Any]:
    return {
        "caller": "0722776772",
        "target": f"97250{n:07d}",
        "time": 1700040000 + n,
        "duration": n % 300,
        "dialtime": 2,
        "ivruniqueid": ivruniqueid,
        "type": "Extension Outgoing",
        "status": "ANSWER",
        "callerextension": "SIPSIP",
        "queueid": 0,
        "price": 7,
        "representative_name": "Walter Melon",
        "representative_code": "9996",
        "DepartmentName": "Voicenter Account",
        "DepartmentID": 123456,
    }


@dataclass
class Ledger:
    """What the clients sent and what the server acknowledged, per ivruniqueid."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    attempts: Counter[str] = field(default_factory=Counter)
    acks: Counter[str] = field(default_factory=Counter)
    failures: int = 0
    acked_total: int = 0
    errors: list[str] = field(default_factory=list)

    def attempt(self, ivr: str) -> None:
        with self.lock:
            self.attempts[ivr] += 1

    def acked(self, ivr: str) -> None:
        with self.lock:
            self.acks[ivr] += 1
            self.acked_total += 1

    def failed(self) -> None:
        with self.lock:
            self.failures += 1


def sender(base_url: str, ids: list[str], ledger: Ledger, stop: threading.Event) -> None:
    url = f"{base_url}/voicenter/cdr/{TOKEN}"
    with httpx.Client(timeout=15.0) as client:  # longer than the ack deadline
        for n, ivr in enumerate(ids):
            body = make_cdr(ivr, n)
            while not stop.is_set():
                ledger.attempt(ivr)
                try:
                    response = client.post(url, json=body)
                except httpx.HTTPError:
                    ledger.failed()
                    time.sleep(RETRY_PAUSE)
                    continue
                if response.status_code == 200 and response.json().get("Err") == 0:
                    ledger.acked(ivr)
                    break
                if response.status_code == 200:  # Err 1: a parse error would be a test bug
                    with ledger.lock:
                        ledger.errors.append(f"{ivr}: {response.text}")
                    return
                ledger.failed()  # 503 Err 2 or anything else: Voicenter retries
                time.sleep(RETRY_PAUSE)


def writer_pid(server: ServerProcess) -> int:
    """The server's ingest writer process (a `multiprocessing` spawn child)."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    for child in children:
        if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
            return int(child)
    raise AssertionError(f"no ingest writer among the server's children {children}")


@pytest.mark.slow
@pytest.mark.parametrize("victim", ["server", "writer"])
def test_sigkill_mid_stream_loses_no_acked_cdr_and_stores_none_twice(
    db_url: str, victim: str
) -> None:
    """`server`: the whole server is killed and restarted. `writer`: only its ingest writer
    process is killed; the server answers what it had in flight with Err 2 and starts a new
    writer for the next CDR."""
    env = {
        "CDRHUB_DATABASE_URL": db_url,
        "CDRHUB_INGEST_TOKEN": TOKEN,
        "CDRHUB_API_KEY": API_KEY,
        "CDRHUB_RUN_WORKER": "false",
        "CDRHUB_INGEST_WRITER": "process",
    }
    run = uuid.uuid4().hex[:8]
    streams = [
        [f"20231115092000{run}t{t}n{n:05d}" for n in range(PER_THREAD)] for t in range(THREADS)
    ]
    sent = {ivr for ids in streams for ivr in ids}
    ledger = Ledger()
    stop = threading.Event()
    server: ServerProcess = start_server(env)
    threads = [
        threading.Thread(target=sender, args=(server.base_url, ids, ledger, stop), daemon=True)
        for ids in streams
    ]
    deadline = time.monotonic() + DEADLINE_SECONDS
    acked_at_kill: list[int] = []
    try:
        for thread in threads:
            thread.start()
        for threshold in KILL_AT_ACKS:
            while ledger.acked_total < threshold and time.monotonic() < deadline:
                time.sleep(0.002)
            acked_at_kill.append(ledger.acked_total)
            if victim == "writer":
                os.kill(writer_pid(server), signal.SIGKILL)
                continue
            server.kill()
            time.sleep(0.2)  # let in-flight requests fail and be queued for retry
            server = server.restart()
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in threads), "senders did not finish in time"
        # Voicenter may also miss an ack we did send: it sends the CDR again. Resend a few
        # acknowledged ones to the restarted server; they must count, not add rows.
        with httpx.Client(timeout=5.0) as client:
            for ids in streams:
                for n, ivr in enumerate(ids[:RESEND]):
                    ledger.attempt(ivr)
                    url = f"{server.base_url}/voicenter/cdr/{TOKEN}"
                    response = client.post(url, json=make_cdr(ivr, n))
                    assert response.json() == {"Err": 0, "Errdesc": "OK"}
                    ledger.acked(ivr)
    finally:
        stop.set()
        server.stop()

    assert not ledger.errors, ledger.errors[:5]
    # The kills really happened mid-stream: acks before each, requests failed, acks after.
    assert len(acked_at_kill) == len(KILL_AT_ACKS)
    assert 0 < acked_at_kill[0] < acked_at_kill[-1] < len(sent)
    assert acked_at_kill == sorted(set(acked_at_kill))
    assert ledger.failures > 0, "no request failed: the kill did not hit the stream"
    assert set(ledger.acks) == sent, "every CDR is retried until it is acknowledged"

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(legs.c.ivruniqueid, legs.c.deliveries, legs.c.target).where(
                    legs.c.ivruniqueid.like(f"20231115092000{run}%")
                )
            ).all()
            per_id = dict(
                conn.execute(
                    select(legs.c.ivruniqueid, func.count())
                    .where(legs.c.ivruniqueid.like(f"20231115092000{run}%"))
                    .group_by(legs.c.ivruniqueid)
                ).all()
            )
    finally:
        engine.dispose()

    stored = {r.ivruniqueid: r for r in rows}
    missing = sent - stored.keys()
    assert not missing, f"{len(missing)} acknowledged CDR(s) lost, e.g. {sorted(missing)[:3]}"
    assert stored.keys() == sent, "rows that were never sent"
    assert len(rows) == len(sent), "a CDR stored twice"
    assert set(per_id.values()) == {1}
    for ivr, row in stored.items():
        assert ledger.acks[ivr] <= row.deliveries <= ledger.attempts[ivr], (
            ivr,
            ledger.acks[ivr],
            row.deliveries,
            ledger.attempts[ivr],
        )
        n = int(ivr.rsplit("n", 1)[1])
        assert row.target == f"97250{n:07d}"
        if n < RESEND:
            assert row.deliveries >= 2
    # Some retries found their CDR already committed before the kill (the lost-ack case),
    # which is what dedupe is for; report it rather than require it (timing-dependent).
    redelivered = sum(1 for r in rows if r.deliveries > 1)
    print(
        f"sent={len(sent)} requests={sum(ledger.attempts.values())} failures={ledger.failures} "
        f"acked_at_kills={acked_at_kill} redelivered={redelivered}"
    )
