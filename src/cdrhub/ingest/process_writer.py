"""The webhook's writer in a process of its own, beside the server.

The server hands each request's bytes to the writer process and awaits its outcome, so HTTP and
storage run on two cores. The writer takes whatever deliveries are waiting, reads them, stores
them in one transaction (`pipeline.store_batch`: legs, quarantine, hooks), and answers each only
after the commit. A body of many CDRs is stored in parts of at most a batch's legs, with other
deliveries between them (`Turns`).

The writer builds the hooks in its own process, from the factory it is handed
(`cdrhub.domains.hooks`: a function at module level, which `spawn` pickles by reference).

If the writer process dies, every delivery it had not answered fails as `StorageUnavailable`
(Err 2, HTTP 503, Voicenter sends it again; a delivery that did commit is then counted as a
redelivery), and the next delivery starts a new writer. A delivery not answered within
`ack_deadline_seconds` fails the same way (it may still commit later: the redelivery is then
counted, not stored twice), and while the oldest unanswered delivery is older than that, new
ones fail at once instead of queueing behind it. The writer's own statements give up after
`db_timeout_seconds`. Readiness (`check`) has the writer itself write a heartbeat row.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection as Pipe
from typing import Any

from cdrhub import logs, longlived
from cdrhub.config import Settings
from cdrhub.ingest.messages import (
    Delivery,
    Outcome,
    Received,
    delivery_tuple,
    outcome,
    outcome_from_tuple,
    outcome_tuple,
)
from cdrhub.ingest.parts import Part, data_fault, fault_reason, parts_of
from cdrhub.ingest.pipeline import LegHook, StoredLeg, keep_body, read, store_batch
from cdrhub.ingest.writer import MAX_BATCH, StorageUnavailable, write_heartbeat
from cdrhub.store.engine import make_engine
from cdrhub.store.groupcommit import commit_batch

log = logging.getLogger("cdrhub.ingest")

# The writer process answers a batch before it reads more. On SQLite smaller batches keep the
# server and the writer both busy; on PostgreSQL, where each statement is a round trip, larger
# ones win (bench/README.md, Ingest, "Tuning the writer process, measured").
PROCESS_MAX_BATCH = {"sqlite": 16, "postgresql": 64}

# Builds the hooks in the writer process: `cdrhub.domains.hooks`, or any function at module
# level (it crosses to the process by reference).
HooksFactory = Callable[[Settings], list[LegHook]]


def _writer_main(pipe: Pipe, settings: Settings, make_hooks: HooksFactory) -> None:
    """The writer process: deliveries in, outcomes (or failures) out, until the pipe closes."""
    logs.configure(settings)  # a spawned process starts with no logging set up
    # No ping before each batch (a round trip per batch, a visible share of the writer's time on
    # PostgreSQL: bench/README.md, Ingest, session 3): a connection that died is found by the
    # batch itself, and `commit_batch` stores that batch again on a new one.
    engine = make_engine(
        settings.database_url, pool_pre_ping=False, timeout=settings.db_timeout_seconds
    )
    hooks = make_hooks(settings)
    most = PROCESS_MAX_BATCH.get(engine.dialect.name, MAX_BATCH)
    longlived.settle()
    turns = Turns(settings, most)  # received, not stored yet
    while True:
        try:  # each message is a list of deliveries (`ProcessWriter._send`)
            if not turns:
                turns.add(_unpack(pipe.recv(), engine, pipe))
            while len(turns) < most and pipe.poll():
                turns.add(_unpack(pipe.recv(), engine, pipe))
        except (EOFError, OSError):  # the server is gone
            break
        if not turns:  # only pings
            continue
        replies = turns.store_next(engine, hooks)
        try:
            if replies:
                pipe.send(replies)
        except (BrokenPipeError, OSError):
            break
    engine.dispose()


def _unpack(
    message: list[tuple[int, tuple[Any, ...] | None]], engine: Any, pipe: Pipe
) -> list[tuple[int, Delivery]]:
    """A message's numbered deliveries. Its pings (no fields) are answered here and now, each
    with a heartbeat written in a transaction of its own."""
    deliveries = []
    for number, fields in message:
        if fields is None:
            free, error = write_heartbeat(engine)
            pipe.send([(number, free, error)])
        else:
            deliveries.append((number, Delivery(*fields)))
    return deliveries


Reply = tuple[int, tuple[Any, ...] | None, str | None]  # (number, outcome, failure)


@dataclass(slots=True)
class _Job:
    number: int
    delivery: Delivery
    received: Received | None = None  # read when first taken
    parts: deque[Part] = field(default_factory=deque)
    stored: list[StoredLeg] = field(default_factory=list)  # of its committed parts


class Turns:
    """The writer process's queue: deliveries in arrival order, each batch at most `most` legs,
    and the next part of a delivery of many CDRs queued behind every delivery that arrived
    while its part before was stored (so that it delays another's ack by one batch at most)."""

    def __init__(self, settings: Settings, most: int) -> None:
        self.settings = settings
        self.most = most
        self._waiting: deque[_Job] = deque()
        self._again: list[_Job] = []  # with parts left, queued once new arrivals are

    def add(self, deliveries: Any) -> None:
        self._waiting.extend(_Job(number, delivery) for number, delivery in deliveries)

    def __len__(self) -> int:
        return len(self._waiting) + len(self._again)

    def store_next(self, engine: Any, hooks: list[LegHook]) -> list[Reply]:
        """Read and store the next batch; the replies of the deliveries it completed."""
        batch, replies = self._take()
        if batch:
            results = _store_parts_once(engine, hooks, [part for _job, part in batch])
            for (job, part), (legs, error) in zip(batch, results, strict=True):
                if error is not None:
                    replies.append(_failed(engine, job, error))
                    continue
                job.stored.extend(legs or ())  # a part without error has its legs
                if part.last:
                    assert job.received is not None
                    done = outcome(job.received, job.stored)
                    replies.append((job.number, outcome_tuple(done), None))
                else:
                    self._again.append(job)
        return replies

    def _take(self) -> tuple[list[tuple[_Job, Part]], list[Reply]]:
        self._waiting.extend(self._again)
        self._again.clear()
        batch: list[tuple[_Job, Part]] = []
        refused: list[Reply] = []
        weight = 0
        while self._waiting:
            job = self._waiting[0]
            if job.received is None:
                job.received = read(job.delivery, self.settings)
                if job.received.refused is not None:
                    self._waiting.popleft()
                    refused.append((job.number, outcome_tuple(outcome(job.received, [])), None))
                    continue
                job.parts.extend(parts_of(job.delivery, job.received, self.most))
            part = job.parts[0]
            if batch and weight + part.weight > self.most:
                break
            self._waiting.popleft()
            job.parts.popleft()
            batch.append((job, part))
            weight += part.weight
        return batch, refused


def _store_parts_once(
    engine: Any, hooks: list[LegHook], parts: list[Part]
) -> list[tuple[list[StoredLeg] | None, Exception | None]]:
    """Store the parts as one work, so that their legs go in with one statement; if that
    fails, each part again alone, so that one bad delivery fails alone (`commit_batch` also
    stores a work again once when its connection was lost)."""
    [(together, error)] = commit_batch(engine, [partial(store_batch, parts=parts, hooks=hooks)])
    if error is None:
        return [(legs, None) for legs in together]
    if len(parts) == 1:
        return [(None, error)]
    log.warning("batch of %d rolled back (%s); retrying one by one", len(parts), error)
    results: list[tuple[list[StoredLeg] | None, Exception | None]] = []
    for part in parts:
        [(alone, error)] = commit_batch(engine, [partial(store_batch, parts=[part], hooks=hooks)])
        results.append((alone[0] if error is None else None, error))
    return results


def _failed(engine: Any, job: _Job, error: Exception) -> Reply:
    """A delivery that failed alone: quarantined when its data was refused, else a failure
    (Err 2). Its parts not stored yet are dropped either way."""
    job.parts.clear()
    assert job.received is not None
    if data_fault(error):
        reason = fault_reason(error)
        log.warning("a delivery could not be stored, quarantined: %s", reason)
        work = partial(keep_body, delivery=job.delivery, reason=reason)
        [(_kept, kept_error)] = commit_batch(engine, [work])
        if kept_error is None:
            return (job.number, outcome_tuple(outcome(job.received, job.stored, reason)), None)
        error = kept_error
    log.error("storage failed: %s", error)
    return (job.number, None, f"{type(error).__name__}: {error}")


def _store_batch(
    engine: Any, settings: Settings, hooks: list[LegHook], batch: list[tuple[int, Delivery]]
) -> list[Reply]:
    """Read and store numbered deliveries, in batches of at most `MAX_BATCH` legs, until all
    are answered; (number, outcome, failure) of each, in the order given."""
    turns = Turns(settings, MAX_BATCH)
    turns.add(batch)
    replies: list[Reply] = []
    while turns:
        replies.extend(turns.store_next(engine, hooks))
    order = {number: index for index, (number, _delivery) in enumerate(batch)}
    return sorted(replies, key=lambda reply: order[reply[0]])


class ProcessWriter:
    """Hand deliveries to a writer process and await its answers on the event loop.

    Everything here runs on the event loop's thread: the pipe is read by the loop itself
    (`add_reader`), so an answer costs no thread switch. A writer serves one event loop; a
    delivery from another loop (tests that run each request on a loop of its own) starts a
    new writer for that loop."""

    def __init__(self, settings: Settings, make_hooks: HooksFactory) -> None:
        self.settings = settings
        self.make_hooks = make_hooks
        self._pipe: Pipe | None = None
        self._process: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: dict[int, asyncio.Future[Outcome]] = {}
        self._sent: deque[tuple[int, float]] = deque()  # (number, loop time), oldest first
        self._pings: dict[int, asyncio.Future[int | None] | None] = {}
        self._numbers = itertools.count()
        # deliveries (and pings: no fields) not yet sent
        self._outbox: list[tuple[int, tuple[Any, ...] | None]] = []

    def start(self) -> None:
        """Start the writer for the running event loop, unless it is running already."""
        loop = asyncio.get_running_loop()
        if self._pipe is not None and self._loop is loop:
            return
        self.close()
        # spawn: a fresh interpreter, never a fork of a server holding threads and sockets.
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=_writer_main,
            args=(theirs, self.settings, self.make_hooks),
            name="cdrhub-ingest-writer",
        )
        process.daemon = True
        process.start()
        theirs.close()
        self._pipe, self._process, self._loop = ours, process, loop
        loop.add_reader(ours.fileno(), self._read_replies)
        self._queue(None, None)  # a ping: the writer connects now, not at the first CDR

    async def submit(self, delivery: Delivery) -> Outcome:
        self.start()
        assert self._loop is not None
        deadline = self.settings.ack_deadline_seconds
        now = self._loop.time()
        if self._waited(now) > deadline:  # stuck (a frozen database): do not queue behind it
            raise StorageUnavailable(f"the ingest writer has not answered for {deadline:g} s")
        future: asyncio.Future[Outcome] = self._loop.create_future()
        number = self._queue(delivery_tuple(delivery), future)
        self._sent.append((number, now))
        try:
            return await asyncio.wait_for(future, deadline)
        except TimeoutError:  # the future stays pending: the writer has not answered it
            raise StorageUnavailable(f"not committed within {deadline:g} s") from None

    async def check(self) -> int | None:
        self.start()
        assert self._loop is not None
        future: asyncio.Future[int | None] = self._loop.create_future()
        number = self._queue(None, future)
        try:
            return await future
        finally:
            self._pings.pop(number, None)

    def _queue(self, fields: tuple[Any, ...] | None, future: asyncio.Future[Any] | None) -> int:
        """Queue a delivery (or, with no fields, a ping) for this turn's message."""
        assert self._loop is not None
        number = next(self._numbers)
        if fields is None:
            self._pings[number] = future
        else:
            self._pending[number] = future  # type: ignore[assignment]
        if not self._outbox:
            self._loop.call_soon(self._send)
        self._outbox.append((number, fields))
        return number

    def _waited(self, now: float) -> float:
        """How long the oldest delivery the writer has not answered has waited (0: none)."""
        sent = self._sent
        while sent and sent[0][0] not in self._pending:
            sent.popleft()
        return now - sent[0][1] if sent else 0.0

    def _send(self) -> None:
        """Send what the requests of this turn of the event loop submitted as one message: one
        pickle and one write for many deliveries under load."""
        outbox, self._outbox = self._outbox, []
        if self._pipe is None or not outbox:  # the writer went away: its futures have failed
            return
        try:
            self._pipe.send(outbox)
        except (BrokenPipeError, OSError) as exc:
            self._writer_gone(f"ingest writer unavailable: {exc}")

    def _read_replies(self) -> None:
        pipe = self._pipe
        try:
            while pipe is not None and pipe.poll():
                for number, result, error in pipe.recv():
                    if number in self._pings:
                        _settle(self._pings.pop(number), result, error)
                        continue
                    future = self._pending.pop(number, None)
                    if future is None or future.done():
                        continue
                    if error is None:
                        future.set_result(outcome_from_tuple(result))
                    else:
                        future.set_exception(StorageUnavailable(error))
        except (EOFError, OSError):
            self._writer_gone("the ingest writer process ended")

    def _writer_gone(self, why: str) -> None:
        process = self._process
        self._detach()
        if process is not None:
            process.join(timeout=1)
            log.error("%s (exit code %s)", why, process.exitcode)

    def _detach(self) -> None:
        """Forget the writer; every delivery it had not answered fails (Voicenter resends)."""
        pipe, loop, pending = self._pipe, self._loop, self._pending
        self._pipe, self._process, self._loop, self._pending = None, None, None, {}
        pings, self._pings, self._outbox = self._pings, {}, []
        self._sent.clear()
        if pipe is not None:
            if loop is not None and not loop.is_closed():
                loop.remove_reader(pipe.fileno())
            pipe.close()  # the writer finishes its batch, sees the end of the pipe and exits
        for future in [*pending.values(), *pings.values()]:
            if future is not None and not future.done() and not future.get_loop().is_closed():
                future.set_exception(StorageUnavailable("the ingest writer stopped"))

    def close(self) -> None:
        process = self._process
        self._detach()
        if process is not None:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()


def _settle(future: asyncio.Future[Any] | None, result: Any, error: str | None) -> None:
    if future is None or future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(StorageUnavailable(error))
