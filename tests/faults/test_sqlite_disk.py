"""SQLite on a small disk (an 8 MiB tmpfs) that fills up under load and is freed again.

While the disk is full a CDR is answered 503 Err 2 (not a hang, and no Err 0 for a CDR that
was not stored) and /readyz says 503; once a file is removed the same server takes CDRs
again, and after Voicenter's resend every CDR is stored exactly once. Throughout, the WAL stays
near `JOURNAL_SIZE_LIMIT` (SQLite's defaults let it grow to 4 MiB and keep that space, half this
disk) and the database passes its integrity check.
"""

from __future__ import annotations

import errno
import os
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from cdrhub.store.engine import JOURNAL_SIZE_LIMIT, make_engine
from tests.faults.load import Load, check_answers, check_stored
from tests.faults.test_postgres import DEADLINE, MARGIN, READY_TIMEOUT, TOKEN, serve
from tests.serverproc import wait_ready

ACKS = 30
# The WAL after a checkpoint is cut back to the limit; before the next one it may pass it by
# the pages of the transaction that crosses the checkpoint threshold.
WAL_MOST = JOURNAL_SIZE_LIMIT + 256 * 1024


def fill(disk: Path) -> Path:
    """Write a file until the disk has no room left."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        chunk = b"\0" * 65536
        while True:  # unbuffered: a short write, then ENOSPC
            os.write(fd, chunk)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC, exc
    finally:
        os.close(fd)
    return filler


@pytest.mark.slow
def test_full_disk_answers_err_2_and_recovers_once_freed(small_disk: Path) -> None:
    db = small_disk / "cdrhub.db"
    db_url = f"sqlite:///{db}"
    server = serve(db_url)
    pid = server.pid
    load = Load(server.base_url, TOKEN, threads=2, client_timeout=DEADLINE + 10).start()
    wal_sizes: list[int] = []
    try:
        load.wait("acks before the disk fills", lambda: load.acked() >= ACKS)
        filler = fill(small_disk)
        full = time.monotonic()
        # A few CDRs may still fit in the room the WAL already holds; then each is refused.
        load.wait("Err 2 on the full disk", lambda: load.refused(full) >= 5, 20)
        refusing = time.monotonic()
        time.sleep(1.0)
        assert load.acked(refusing) == 0, "Err 0 while the disk is full"
        ready = httpx.get(f"{server.base_url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json()["reason"] in {
            "the database did not take a write",
            "the database's disk is full (0.0 MiB free)",
        }
        wal_sizes.append((small_disk / "cdrhub.db-wal").stat().st_size)
        filler.unlink()
        freed = time.monotonic()
        wait_ready(server, timeout=30)
        load.wait("acks after the disk was freed", lambda: load.acked(freed) >= ACKS)
        # Enough CDRs to pass several checkpoints of the WAL.
        load.wait("more acks", lambda: load.acked(freed) >= 400, 120)
        wal_sizes.append((small_disk / "cdrhub.db-wal").stat().st_size)
        load.stop()
        load.resend()
        kinds = check_answers(load, DEADLINE, MARGIN)
        check_stored(load, db_url)
        assert server.alive() and server.pid == pid, "the server was restarted"
        wal_sizes.append((small_disk / "cdrhub.db-wal").stat().st_size)
    finally:
        load.stop()
        server.stop()
    assert max(wal_sizes) <= WAL_MOST, wal_sizes
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()
    print(f"answers={dict(kinds)} wal={wal_sizes} ready_timeout={READY_TIMEOUT}")
