"""Where the webhook's CDRs are read and stored: in the server's own process, or in a writer
process beside it.

A request's HTTP work (parsing, routing, the answer) and its CDR's work (decode, normalize,
store the leg, rollups, outbox, commit) both need the CPU, and one Python process runs Python
on one core at a time. With `ingest_writer = "process"` (the default) the server hands each
request's bytes to a writer process and awaits its outcome, so the two halves run on two cores:
the server keeps answering HTTP while the writer stores. The writer takes whatever deliveries
are waiting, reads them, stores them in one transaction (`commit_batch`, the same group commit
as the in-process writer), and answers each only after the commit. `"thread"` keeps everything
in the server process (group commit on a thread), for one-core machines and tests.

Either way a body of many CDRs is stored in parts of at most a batch's legs, with other
deliveries between them (`ingest_parts`), and a delivery whose data the database refuses is
quarantined rather than answered Err 2 forever.

Either way the promise holds: an outcome exists only for a committed delivery. If the writer
process dies, every delivery it had not answered fails as `StorageUnavailable` (Err 2, HTTP
503, Voicenter sends it again; a delivery that did commit is then counted as a redelivery), and
the next delivery starts a new writer.

Nothing waits without a limit (docs/ingest.md, "Deadlines and readiness"). A delivery not
answered within `ack_deadline_seconds` fails the same way (it may still commit later: the
redelivery is then counted, not stored twice), and while the oldest unanswered delivery is older
than that, new ones fail at once instead of queueing behind it. The writer's own statements give
up after `db_timeout_seconds`. Readiness (`check`) has the writer itself write a heartbeat row.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import multiprocessing
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from multiprocessing.connection import Connection as Pipe
from typing import Any, Protocol

from sqlalchemy import Connection

from cdrhub import longlived
from cdrhub.config import Settings
from cdrhub.pipeline import LegHook, StoredLeg, build_hooks, run_hooks
from cdrhub.store import heartbeat
from cdrhub.store.engine import make_engine
from cdrhub.store.groupcommit import GroupCommitter, commit_batch
from cdrhub.voicenter.receive import Received, receive
from cdrhub.web.ingest_parts import (
    Part,
    data_fault,
    fault_reason,
    keep_body,
    parts_of,
    store_parts,
)

log = logging.getLogger("cdrhub.ingest")

MAX_BATCH = 64
# The writer process answers a batch before it reads more. On SQLite smaller batches keep the
# server and the writer both busy (64 connections: 2,070-2,500 CDRs/s at 16 against
# 1,930-2,240 at 64, alternated runs); on PostgreSQL, where each statement is a round trip,
# larger ones win (64 connections: 1,034 CDRs/s at 64, 694 at 16).
PROCESS_MAX_BATCH = {"sqlite": 16, "postgresql": 64}


class StorageUnavailable(Exception):
    """The delivery could not be committed; Voicenter should send it again."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One webhook request, as much of it as storing and quarantining need."""

    body: bytes
    content_type: str | None
    query: str
    method: str
    headers: dict[str, str]
    source: str | None
    received_at: datetime
    # the credential the request authenticated with: stripped from whatever is quarantined
    credentials: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LegNote:
    """What the server's metrics need of one stored leg."""

    kind: str  # new | revised | duplicate
    unknown_type: str | None
    unknown_status: str | None
    unknown_fields: tuple[str, ...]
    time_mismatch_seconds: int | None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A committed delivery: its encoding, the legs stored, and why any part was quarantined;
    or a delivery refused whole (`refused`: more CDRs than a body may hold), nothing stored."""

    encoding: str
    legs: tuple[LegNote, ...]
    errors: tuple[str, ...]
    refused: str | None = None


def read(delivery: Delivery, settings: Settings) -> Received:
    return receive(
        delivery.body,
        delivery.content_type,
        delivery.query,
        settings,
        delivery.received_at,
        max_records=settings.max_cdrs_per_body,
    )


def batch_hooks(hooks: list[LegHook]) -> Any:
    def finish(conn: Connection, results: list[list[list[StoredLeg]]]) -> None:
        run_hooks(conn, hooks, (leg for work in results for each in work for leg in each))

    return finish


def outcome(received: Received, stored: list[StoredLeg], failure: str | None = None) -> Outcome:
    """What the server answers from: `failure`, when the delivery's data could not be stored
    and its body was quarantined for it."""
    notes = tuple(
        LegNote(
            kind=s.kind,
            unknown_type=s.leg.type if s.leg.type_key is None else None,
            unknown_status=None if s.leg.status_known else s.leg.status,
            unknown_fields=s.leg.unknown_fields,
            time_mismatch_seconds=s.leg.time_mismatch_seconds,
        )
        for s in stored
    )
    errors = (*received.errors, failure) if failure else tuple(received.errors)
    return Outcome(received.encoding, notes, errors, received.refused)


class IngestWriter(Protocol):
    async def submit(self, delivery: Delivery) -> Outcome: ...

    async def check(self) -> int | None:
        """Write the heartbeat as a CDR would be written (StorageUnavailable if that fails);
        the free bytes on a SQLite database's disk."""
        ...

    def close(self) -> None: ...


class ThreadWriter:
    """Read in the event loop, store on the group-commit thread of this process."""

    def __init__(
        self, settings: Settings, engine: Any, hooks: list[LegHook], max_batch: int = MAX_BATCH
    ) -> None:
        self.settings = settings
        self.max_batch = max_batch  # legs in a batch, and in a part of a delivery
        self.committer = GroupCommitter(engine, finish=batch_hooks(hooks), max_batch=max_batch)

    async def submit(self, delivery: Delivery) -> Outcome:
        received = read(delivery, self.settings)
        if received.refused is not None:
            return outcome(received, [])
        deadline = self.settings.ack_deadline_seconds
        try:
            return await asyncio.wait_for(self._store(delivery, received), deadline)
        except TimeoutError:
            raise StorageUnavailable(f"not committed within {deadline:g} s") from None

    async def _store(self, delivery: Delivery, received: Received) -> Outcome:
        stored: list[StoredLeg] = []
        # Part after part: each is queued once the one before has committed, behind whatever
        # other deliveries were queued meanwhile.
        for part in parts_of(delivery, received, self.max_batch):
            try:
                [legs] = await self.committer.run(
                    partial(store_parts, parts=[part]), weight=part.weight
                )
            except Exception as exc:
                return await self._failed(part, stored, exc)
            stored.extend(legs)
        return outcome(received, stored)

    async def _failed(self, part: Part, stored: list[StoredLeg], error: Exception) -> Outcome:
        """Quarantine a delivery whose data the database refused; anything else is storage's."""
        if not data_fault(error):
            raise StorageUnavailable(str(error)) from error
        reason = fault_reason(error)
        log.warning("a delivery could not be stored, quarantined: %s", reason)
        try:
            await self.committer.run(partial(keep_body, delivery=part.delivery, reason=reason))
        except Exception as exc:
            raise StorageUnavailable(str(exc)) from exc
        return outcome(part.received, stored, reason)

    async def check(self) -> int | None:
        # An executor future, unlike anyio's threads, lets a deadline stop the wait.
        loop = asyncio.get_running_loop()
        free, error = await loop.run_in_executor(None, _heartbeat, self.committer.engine)
        if error is not None:
            raise StorageUnavailable(error)
        return free

    def close(self) -> None:
        pass


def _heartbeat(engine: Any) -> tuple[int | None, str | None]:
    """Commit the heartbeat: (free bytes on SQLite's disk, None) or (None, the failure)."""
    free = heartbeat.free_bytes(engine)
    [(_result, error)] = commit_batch(engine, [heartbeat.beat])
    if error is not None:
        log.error("heartbeat failed: %s", error)
        return None, f"{type(error).__name__}: {error}"
    return free, None


def _writer_main(pipe: Pipe, settings: Settings) -> None:
    """The writer process: deliveries in, outcomes (or failures) out, until the pipe closes."""
    # No ping before each batch (a round trip that cost ~8% of the writer's time at batches of
    # 32 on PostgreSQL): a connection that died is found by the batch itself, and
    # `commit_batch` stores that batch again on a new one.
    engine = make_engine(
        settings.database_url, pool_pre_ping=False, timeout=settings.db_timeout_seconds
    )
    finish = batch_hooks(build_hooks(settings))
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
        replies = turns.store_next(engine, finish)
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
            free, error = _heartbeat(engine)
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

    def store_next(self, engine: Any, finish: Any) -> list[Reply]:
        """Read and store the next batch; the replies of the deliveries it completed."""
        batch, replies = self._take()
        if batch:
            results = _store_parts_once(engine, finish, [part for _job, part in batch])
            for (job, part), (legs, error) in zip(batch, results, strict=True):
                if error is not None:
                    replies.append(_failed(engine, finish, job, error))
                    continue
                job.stored.extend(legs or ())  # a part without error has its legs
                if part.last:
                    assert job.received is not None
                    done = outcome(job.received, job.stored)
                    replies.append((job.number, _outcome_tuple(done), None))
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
                    refused.append((job.number, _outcome_tuple(outcome(job.received, [])), None))
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
    engine: Any, finish: Any, parts: list[Part]
) -> list[tuple[list[StoredLeg] | None, Exception | None]]:
    """Store the parts as one work, so that their legs go in with one statement; if that
    fails, each part again alone, so that one bad delivery fails alone (`commit_batch` also
    stores a work again once when its connection was lost)."""
    [(together, error)] = commit_batch(engine, [partial(store_parts, parts=parts)], finish)
    if error is None:
        return [(legs, None) for legs in together]
    if len(parts) == 1:
        return [(None, error)]
    log.warning("batch of %d rolled back (%s); retrying one by one", len(parts), error)
    results: list[tuple[list[StoredLeg] | None, Exception | None]] = []
    for part in parts:
        [(alone, error)] = commit_batch(engine, [partial(store_parts, parts=[part])], finish)
        results.append((alone[0] if error is None else None, error))
    return results


def _failed(engine: Any, finish: Any, job: _Job, error: Exception) -> Reply:
    """A delivery that failed alone: quarantined when its data was refused, else a failure
    (Err 2). Its parts not stored yet are dropped either way."""
    job.parts.clear()
    assert job.received is not None
    if data_fault(error):
        reason = fault_reason(error)
        log.warning("a delivery could not be stored, quarantined: %s", reason)
        work = partial(keep_body, delivery=job.delivery, reason=reason)
        [(_kept, kept_error)] = commit_batch(engine, [work], finish)
        if kept_error is None:
            return (job.number, _outcome_tuple(outcome(job.received, job.stored, reason)), None)
        error = kept_error
    log.error("storage failed: %s", error)
    return (job.number, None, f"{type(error).__name__}: {error}")


def _store_batch(
    engine: Any, settings: Settings, finish: Any, batch: list[tuple[int, Delivery]]
) -> list[Reply]:
    """Read and store numbered deliveries, in batches of at most `MAX_BATCH` legs, until all
    are answered; (number, outcome, failure) of each, in the order given."""
    turns = Turns(settings, MAX_BATCH)
    turns.add(batch)
    replies: list[Reply] = []
    while turns:
        replies.extend(turns.store_next(engine, finish))
    order = {number: index for index, (number, _delivery) in enumerate(batch)}
    return sorted(replies, key=lambda reply: order[reply[0]])


class ProcessWriter:
    """Hand deliveries to a writer process and await its answers on the event loop.

    Everything here runs on the event loop's thread: the pipe is read by the loop itself
    (`add_reader`), so an answer costs no thread switch. A writer serves one event loop; a
    delivery from another loop (tests that run each request on a loop of its own) starts a
    new writer for that loop."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
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
            target=_writer_main, args=(theirs, self.settings), name="cdrhub-ingest-writer"
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
        number = self._queue(_delivery_tuple(delivery), future)
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
                        future.set_result(_outcome_from_tuple(result))
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


# Deliveries and outcomes cross the pipe as plain tuples: unpickling a slotted dataclass
# costs several times more.
def _delivery_tuple(d: Delivery) -> tuple[Any, ...]:
    return (
        d.body,
        d.content_type,
        d.query,
        d.method,
        d.headers,
        d.source,
        d.received_at,
        d.credentials,
    )


def _outcome_tuple(o: Outcome) -> tuple[Any, ...]:
    return (o.encoding, [_note_tuple(n) for n in o.legs], o.errors, o.refused)


def _note_tuple(n: LegNote) -> tuple[Any, ...]:
    return (n.kind, n.unknown_type, n.unknown_status, n.unknown_fields, n.time_mismatch_seconds)


def _outcome_from_tuple(t: tuple[Any, ...]) -> Outcome:
    encoding, notes, errors, refused = t
    return Outcome(encoding, tuple(LegNote(*n) for n in notes), errors, refused)


def make_writer(settings: Settings, engine: Any, hooks: list[LegHook]) -> IngestWriter:
    if settings.ingest_writer == "process":
        return ProcessWriter(settings)
    return ThreadWriter(settings, engine, hooks)
