"""What the webhook's writers promise (`IngestWriter`), and what both share.

A request's HTTP work and its CDR's work (read, store, hooks, commit) both need the CPU. With
`ingest_writer = "process"` (the default) the server hands each request's bytes to a writer
process (`process_writer`) and awaits its outcome, so the two halves run on two cores;
`"thread"` (`thread_writer`) keeps everything in the server process, for one-core machines and
tests. Either way an outcome exists only for a committed delivery, a body of many CDRs is stored
in parts (`parts`), and a delivery whose data the database refuses is quarantined rather than
answered Err 2 forever. Nothing waits without a limit (docs/ingest.md, "Deadlines and
readiness").
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from cdrhub.ingest.messages import Delivery, Outcome
from cdrhub.store import heartbeat
from cdrhub.store.groupcommit import commit_batch

log = logging.getLogger("cdrhub.ingest")

MAX_BATCH = 64


class StorageUnavailable(Exception):
    """The delivery could not be committed; Voicenter should send it again."""


class IngestWriter(Protocol):
    async def submit(self, delivery: Delivery) -> Outcome: ...

    async def check(self) -> int | None:
        """Write the heartbeat as a CDR would be written (StorageUnavailable if that fails);
        the free bytes on a SQLite database's disk."""
        ...

    def close(self) -> None: ...


def write_heartbeat(engine: Any) -> tuple[int | None, str | None]:
    """Commit the heartbeat: (free bytes on SQLite's disk, None) or (None, the failure)."""
    free = heartbeat.free_bytes(engine)
    [(_result, error)] = commit_batch(engine, [heartbeat.beat])
    if error is not None:
        log.error("heartbeat failed: %s", error)
        return None, f"{type(error).__name__}: {error}"
    return free, None
