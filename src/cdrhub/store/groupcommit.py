"""Group commit: many requests' writes in one transaction, each answered after that commit.

Ingest used to run one write transaction per request on a thread pool. With every CDR touching
the same hourly rollup rows, concurrent transactions mostly waited on each other's row locks
(PostgreSQL) or on the database lock (SQLite), and each paid its own BEGIN, COMMIT and fsync.

Here one writer thread per engine takes whatever work is waiting (up to `max_batch` items, or
items weighing that much: a work that stores many legs weighs as many), runs
it in a single `write_transaction`, commits, and only then resolves each caller's future: the
"answer only after the commit" rule holds for every item. Under light load a batch is one item,
so latency is that of a plain transaction; under load the batch grows and the per-transaction
cost (BEGIN, COMMIT + fsync, lock hand-over, thread hand-off) is shared.

If anything in a batch fails, the batch is rolled back and each item is retried in its own
transaction, so one bad item never fails its neighbours and each caller gets exactly the result
or exception it would have had alone. Work functions must therefore be safe to run again after a
rollback (the legs pipeline is: it only writes inside the transaction).

The writer thread stops after `idle_seconds` without work and is started again on demand, so
apps built in tests leave no thread behind for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine

from cdrhub.store.engine import write_transaction

log = logging.getLogger("cdrhub.store.groupcommit")

T = TypeVar("T")


@dataclass(slots=True)
class _Job(Generic[T]):
    work: Callable[[Connection], T]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[T]
    weight: int = 1


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


Outcome = tuple[Any, Exception | None]  # (result, None) or (None, the exception)


def commit_batch(
    engine: Engine,
    works: list[Callable[[Connection], Any]],
    finish: Callable[[Connection, list[Any]], None] | None = None,
    _retried: bool = False,
) -> list[Outcome]:
    """Run `works` in one write transaction, then `finish(conn, results)`, and commit. If that
    fails, each work runs again in a transaction of its own, so that one bad item fails
    alone; its outcome is then the exception it raised. A lone work whose connection was lost
    (the pool has dropped it) runs once more, on a new connection."""
    results: list[Any] = []
    try:
        with write_transaction(engine) as conn:
            for work in works:
                results.append(work(conn))
            if finish is not None:
                finish(conn, results)
    except Exception as exc:
        if len(works) == 1:
            if getattr(exc, "connection_invalidated", False) and not _retried:
                return commit_batch(engine, works, finish, _retried=True)
            return [(None, exc)]
        log.warning("batch of %d rolled back (%s); retrying one by one", len(works), exc)
        return [commit_batch(engine, [work], finish)[0] for work in works]
    return [(result, None) for result in results]


class GroupCommitter:
    """Runs submitted `work(conn)` calls in shared write transactions on one writer thread."""

    def __init__(
        self,
        engine: Engine,
        *,
        finish: Callable[[Connection, list[Any]], None] | None = None,
        max_batch: int = 64,
        idle_seconds: float = 5.0,
    ) -> None:
        """`finish(conn, results)`, when given, runs once per batch after every item's work and
        before the commit, with the items' results: the place for work that is cheaper done
        once for many items (the legs' hooks)."""
        self.engine = engine
        self.finish = finish
        self.max_batch = max_batch
        self.idle_seconds = idle_seconds
        self._queue: queue.SimpleQueue[_Job[Any]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._running = False
        self.batches = 0
        self.items = 0

    async def run(self, work: Callable[[Connection], T], weight: int = 1) -> T:
        """Run `work` in a write transaction; returns its result once that is committed. A
        batch holds works weighing at most `max_batch` together (or one heavier work alone)."""
        loop = asyncio.get_running_loop()
        job: _Job[T] = _Job(work, loop, loop.create_future(), weight)
        with self._lock:
            self._queue.put(job)
            if not self._running:
                self._running = True
                threading.Thread(
                    target=self._serve, name="cdrhub-group-commit", daemon=True
                ).start()
        return await job.future

    def _serve(self) -> None:
        held: _Job[Any] | None = None  # taken, but too heavy for the last batch: first in the next
        while True:
            if held is not None:
                first, held = held, None
            else:
                try:
                    first = self._queue.get(timeout=self.idle_seconds)
                except queue.Empty:
                    with self._lock:
                        if self._queue.empty():
                            self._running = False
                            return
                    continue
            jobs, weight = [first], first.weight
            while weight < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if weight + job.weight > self.max_batch:
                    held = job
                    break
                jobs.append(job)
                weight += job.weight
            try:
                self._commit(jobs)
            except BaseException as exc:  # never leave a caller waiting
                log.exception("group commit failed unexpectedly")
                for job in jobs:
                    self._answer(job, None, exc)

    def _commit(self, jobs: list[_Job[Any]]) -> None:
        outcomes = commit_batch(self.engine, [job.work for job in jobs], self.finish)
        self.batches += 1
        self.items += len(jobs)
        for job, (result, error) in zip(jobs, outcomes, strict=True):
            self._answer(job, result, error)

    @staticmethod
    def _answer(job: _Job[Any], result: Any, error: BaseException | None) -> None:
        # RuntimeError: the caller's event loop is closed, so nobody is waiting.
        with contextlib.suppress(RuntimeError):
            job.loop.call_soon_threadsafe(_resolve, job.future, result, error)
