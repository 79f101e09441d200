"""The transactional outbox: durable jobs that commit with the data that caused them.

Every domain uses it; it knows none of them. The API:

Enqueue, inside the caller's open write transaction (never commits)::

    from cdrhub.jobs.outbox import enqueue
    job_id = enqueue(conn, "crm.push", f"crm.push:{leg.ivruniqueid}", {"leg_id": 42})
    # -> the new job's id, or None when a job with that key already exists (idempotent)

    enqueue(conn, kind, key, payload, run_at=None, max_attempts=None, leg_id=None, host=None)

`key` is the job's identity (unique across all kinds; prefix it with the kind). A second
`enqueue` with the same key changes nothing, so a hook that runs again for a redelivered or
revised CDR creates no second job. `payload` is JSON. `run_at` (naive UTC) delays the first run.
`host` names the outside host the job will talk to (`jobs.hosts.host_of(url)`): when a host keeps
failing, the worker postpones all its pending jobs together instead of trying each in turn.

Lanes: a job is `urgent` (texts to customers, alerts to staff: `URGENT_KINDS`) or `bulk`
(recordings, CRM pushes, webhooks: every other kind). Workers claim urgent jobs first and keep
threads that take nothing else, so a backlog of slow or failing bulk jobs never delays an SMS.

Handle, with a callable for the job kind in the domain's handlers (`cdrhub.jobs.registry`: a
domain exports `HANDLERS = {"crm.push": push}`, `cdrhub.domains` hands them all to the worker)::

    from cdrhub.jobs.registry import JobContext
    from cdrhub.jobs.outbox import RetryLater, PermanentFailure

    def push(ctx: JobContext) -> dict | None:
        ctx.payload, ctx.key, ctx.attempt, ctx.idempotency_key, ctx.settings, ctx.engine
        ...  # return a JSON-able result (kept on the job) or None

A handler runs outside any transaction, at least once (a worker killed mid-job leaves the job
to be retried once its lease expires), so it must be idempotent: send `ctx.idempotency_key` to
the outside service. To steer the outcome raise (`cdrhub.jobs.http` turns an HTTP answer into
one of the first two):

- `RetryLater(reason, retry_after=seconds)`: transient (429, 5xx, network); retried with
  exponential backoff and jitter, never sooner than `retry_after`; dead after `max_attempts`.
- `PermanentFailure(reason)`: will not succeed by retrying (400, auth); the job goes `dead`.
- `Skip(reason)`: nothing to do after all (opted out, already texted); the job goes `skipped`.
- `Reschedule(at, reason)`: not now (quiet hours); runs at `at` without using up an attempt.
Any other exception counts as transient.

Statuses: pending -> running -> done | skipped | dead (or back to pending for a retry).
`list_jobs`, `get_job` and `retry_job` serve the CLI (`cdrhub jobs`) and the API (`/api/jobs`).
Workers claim due jobs with `claim` (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the write
lock taken at BEGIN) under a lease; see `cdrhub.jobs.worker`.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, RowMapping, func, select, update

from cdrhub.jobs.tables import outbox_jobs
from cdrhub.store.bulk import OnConflict, insert_ignoring, insert_rows

DEFAULT_MAX_ATTEMPTS = 8
FINISHED = ("done", "dead", "skipped")
STATUSES = ("pending", "running", *FINISHED)

URGENT, BULK = "urgent", "bulk"
LANES = (URGENT, BULK)  # the order a worker that serves both claims in
# What a person is waiting for: a text or call to the customer, an alert to staff. Kinds are
# names, not imports (the outbox knows no domain). Migration 0009_outbox_lanes sets the lane of
# the jobs it finds from this list.
URGENT_KINDS = frozenset(
    {
        "automations.sms",
        "automations.whatsapp",
        "automations.click2call",
        "automations.slack",
        "automations.email",
        "automations.notify",
    }
)


def lane_of(kind: str) -> str:
    return URGENT if kind in URGENT_KINDS else BULK


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def idempotency_key(key: str) -> str:
    """The key sent to outside services for a job: stable, short, safe in any header."""
    return hashlib.sha256(key.encode()).hexdigest()[:40]


# --- outcomes a handler can raise ------------------------------------------------------------


class JobOutcome(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(JobOutcome):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentFailure(JobOutcome):
    pass


class Skip(JobOutcome):
    pass


class Reschedule(JobOutcome):
    def __init__(self, at: datetime, reason: str) -> None:
        super().__init__(reason)
        self.at = at


# --- writing jobs ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewJob:
    """A job to add with `enqueue_many`; the arguments of `enqueue`."""

    kind: str
    key: str
    payload: Mapping[str, Any]
    run_at: datetime | None = None
    max_attempts: int | None = None
    leg_id: int | None = None
    host: str | None = None
    # Written as a `skipped` job with this reason (a guard stopped it before it was queued):
    # it shows where skipped jobs show, and `retry_job` can still send it on purpose.
    skipped: str | None = None


def _insert(conn: Connection, returning: bool) -> Any:
    return insert_ignoring(conn, outbox_jobs, ("key",), outbox_jobs.c.id if returning else None)


_BY_KEY = OnConflict(key=("key",))
# The keys of `_job_row`, in order.
_JOB_COLUMNS = (
    "kind", "key", "payload", "status", "attempts", "max_attempts", "run_at", "leg_id",
    "created_at", "updated_at", "lane", "host",
)  # fmt: skip
_SKIPPED_COLUMNS = (*_JOB_COLUMNS, "result", "finished_at")


def _job_row(job: NewJob, now: datetime) -> dict[str, Any]:
    if not 0 < len(job.kind) <= 64 or not 0 < len(job.key) <= 255:
        raise ValueError("a job kind has 1-64 characters and a key 1-255 (hash longer keys)")
    return {
        "kind": job.kind,
        "key": job.key,
        "payload": dict(job.payload),
        "status": "skipped" if job.skipped else "pending",
        "attempts": 0,
        "max_attempts": job.max_attempts or DEFAULT_MAX_ATTEMPTS,
        "run_at": job.run_at or now,
        "leg_id": job.leg_id,
        "created_at": now,
        "updated_at": now,
        "lane": lane_of(job.kind),
        "host": job.host[:255] if job.host else None,
        **({"result": {"skipped": job.skipped}, "finished_at": now} if job.skipped else {}),
    }


def enqueue(
    conn: Connection,
    kind: str,
    key: str,
    payload: Mapping[str, Any],
    *,
    run_at: datetime | None = None,
    max_attempts: int | None = None,
    leg_id: int | None = None,
    host: str | None = None,
) -> int | None:
    """Add a job in the caller's transaction; None when a job with `key` already exists."""
    row = _job_row(NewJob(kind, key, payload, run_at, max_attempts, leg_id, host), utcnow())
    return conn.execute(_insert(conn, True), row).scalar()


def enqueue_many(conn: Connection, jobs: Iterable[NewJob]) -> None:
    """`enqueue` for many jobs in one statement, in order: of several with one key the first
    is kept, and a key that exists already changes nothing (as one `enqueue` after another)."""
    now = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    for job in jobs:
        row = _job_row(job, now)
        rows.setdefault(job.key, row)
    for columns in (_JOB_COLUMNS, _SKIPPED_COLUMNS):
        values = [tuple(r.values()) for r in rows.values() if len(r) == len(columns)]
        if values:
            insert_rows(conn, outbox_jobs, columns, values, on_conflict=_BY_KEY)


# --- claiming and finishing (the worker's side) ----------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    lease: str
    lane: str = BULK
    host: str | None = None


def _due_ids(
    conn: Connection,
    lane: str,
    now: datetime,
    limit: int,
    kinds: list[str] | None,
    lock: bool = True,
) -> list[int]:
    """Up to `limit` due jobs of one lane, oldest first: pending ones whose time has come, then
    running ones whose worker died (its lease ran out). Each is one range of ix_outbox_lane_due,
    so a claim reads `limit` index entries however many jobs wait."""
    c = outbox_jobs.c
    found: list[int] = []
    for status, due in (("pending", c.run_at <= now), ("running", c.locked_until < now)):
        query = select(c.id).where(c.lane == lane, c.status == status, due)
        if kinds is not None:
            query = query.where(c.kind.in_(kinds))
        query = query.order_by(c.run_at, c.id).limit(limit - len(found))
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        found.extend(conn.execute(query).scalars())
        if len(found) >= limit:
            break
    return found


def has_due(
    conn: Connection,
    lanes: Iterable[str] = LANES,
    kinds: list[str] | None = None,
    now: datetime | None = None,
) -> bool:
    """Whether any job of `lanes` is due: a read, for a worker to look before it takes the
    write lock (on SQLite an idle poll would otherwise queue with ingest for it)."""
    if kinds is not None and not kinds:
        return False
    now = now or utcnow()
    return any(_due_ids(conn, lane, now, 1, kinds, lock=False) for lane in lanes)


def claim(
    conn: Connection,
    *,
    worker_id: str,
    lease_seconds: float,
    limit: int = 1,
    kinds: list[str] | None = None,
    lanes: Iterable[str] = LANES,
    now: datetime | None = None,
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs for this worker (in the caller's write transaction), from
    `lanes` in order: a lane's jobs first, the next lane's only to fill up `limit`."""
    now = now or utcnow()
    if kinds is not None and not kinds:
        return []
    ids: list[int] = []
    for lane in lanes:
        if len(ids) >= limit:
            break
        ids.extend(_due_ids(conn, lane, now, limit - len(ids), kinds))
    claimed = []
    for job_id in ids:
        lease = uuid.uuid4().hex
        row = (
            conn.execute(
                update(outbox_jobs)
                .where(outbox_jobs.c.id == job_id)
                .values(
                    status="running",
                    attempts=outbox_jobs.c.attempts + 1,
                    locked_until=now + timedelta(seconds=lease_seconds),
                    lease=lease,
                    locked_by=worker_id,
                    updated_at=now,
                )
                .returning(
                    outbox_jobs.c.kind,
                    outbox_jobs.c.key,
                    outbox_jobs.c.payload,
                    outbox_jobs.c.attempts,
                    outbox_jobs.c.max_attempts,
                    outbox_jobs.c.lane,
                    outbox_jobs.c.host,
                )
            )
            .mappings()
            .one()
        )
        claimed.append(
            ClaimedJob(
                id=job_id,
                kind=row["kind"],
                key=row["key"],
                payload=dict(row["payload"] or {}),
                attempt=row["attempts"],
                max_attempts=row["max_attempts"],
                lease=lease,
                lane=row["lane"],
                host=row["host"],
            )
        )
    return claimed


def postpone_host(
    conn: Connection, host: str, until: datetime, reason: str, now: datetime | None = None
) -> int:
    """Move every pending job of `host` that is due before `until` to `until`, without using up
    an attempt (per-host backoff: one statement instead of each job failing in turn)."""
    c = outbox_jobs.c
    result = conn.execute(
        update(outbox_jobs)
        .where(c.host == host, c.status == "pending", c.run_at < until)
        .values(run_at=until, last_error=reason[:2000], updated_at=now or utcnow())
    )
    return result.rowcount


def backoff_seconds(
    attempt: int,
    *,
    base: float = 10.0,
    cap: float = 3600.0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with jitter (half to full of base * 2^(attempt-1), capped),
    never shorter than the server's Retry-After."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    draw = rng.random() if rng is not None else random.random()
    delay = ceiling / 2 + draw * ceiling / 2
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def _finish(conn: Connection, job: ClaimedJob, now: datetime, **values: Any) -> bool:
    """Record an outcome unless the lease was lost (another worker owns the job now)."""
    result = conn.execute(
        update(outbox_jobs)
        .where(outbox_jobs.c.id == job.id, outbox_jobs.c.lease == job.lease)
        .values(locked_until=None, lease=None, updated_at=now, **values)
    )
    return result.rowcount == 1


def extend_lease(conn: Connection, job: ClaimedJob, now: datetime, seconds: float) -> bool:
    """Heartbeat: keep the job while its handler runs; False when the lease was lost."""
    result = conn.execute(
        update(outbox_jobs)
        .where(
            outbox_jobs.c.id == job.id,
            outbox_jobs.c.lease == job.lease,
            outbox_jobs.c.status == "running",
        )
        .values(locked_until=now + timedelta(seconds=seconds))
    )
    return result.rowcount == 1


def mark_done(conn: Connection, job: ClaimedJob, result: Any, now: datetime) -> bool:
    return _finish(conn, job, now, status="done", result=result, finished_at=now, last_error=None)


def mark_skipped(conn: Connection, job: ClaimedJob, reason: str, now: datetime) -> bool:
    return _finish(conn, job, now, status="skipped", result={"skipped": reason}, finished_at=now)


def mark_dead(conn: Connection, job: ClaimedJob, reason: str, now: datetime) -> bool:
    return _finish(conn, job, now, status="dead", last_error=reason, finished_at=now)


def mark_retry(conn: Connection, job: ClaimedJob, reason: str, now: datetime, delay: float) -> bool:
    if job.attempt >= job.max_attempts:
        return mark_dead(conn, job, f"{reason} (after {job.attempt} attempts)", now)
    return _finish(
        conn, job, now, status="pending", last_error=reason, run_at=now + timedelta(seconds=delay)
    )


def mark_rescheduled(
    conn: Connection, job: ClaimedJob, reason: str, now: datetime, at: datetime
) -> bool:
    """Run later without using up an attempt."""
    return _finish(
        conn,
        job,
        now,
        status="pending",
        last_error=reason,
        run_at=at,
        attempts=outbox_jobs.c.attempts - 1,
    )


# --- reading and operating -------------------------------------------------------------------


def _row(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    return {k: row[k] for k in row.keys() if k not in {"lease"}}  # noqa: SIM118


def list_jobs(
    conn: Connection,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    query = select(outbox_jobs)
    if status:
        query = query.where(outbox_jobs.c.status == status)
    if kind:
        query = query.where(outbox_jobs.c.kind == kind)
    query = query.order_by(outbox_jobs.c.id.desc()).limit(limit).offset(offset)
    return [_row(r) for r in conn.execute(query).mappings()]


def count_jobs(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(outbox_jobs.c.status, func.count()).group_by(outbox_jobs.c.status)
    ).tuples()
    return {status: n for status, n in rows}


def get_job(conn: Connection, job_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(outbox_jobs).where(outbox_jobs.c.id == job_id)).mappings().first()
    return _row(row) if row is not None else None


def retry_job(conn: Connection, job_id: int, *, now: datetime | None = None) -> bool:
    """Put a dead or skipped job back in the queue with a fresh set of attempts."""
    now = now or utcnow()
    result = conn.execute(
        update(outbox_jobs)
        .where(outbox_jobs.c.id == job_id, outbox_jobs.c.status.in_(("dead", "skipped")))
        .values(
            status="pending",
            attempts=0,
            run_at=now,
            finished_at=None,
            updated_at=now,
        )
    )
    return result.rowcount == 1


def retry_dead(conn: Connection, *, kind: str | None = None, now: datetime | None = None) -> int:
    now = now or utcnow()
    stmt = update(outbox_jobs).where(outbox_jobs.c.status == "dead")
    if kind:
        stmt = stmt.where(outbox_jobs.c.kind == kind)
    result = conn.execute(
        stmt.values(status="pending", attempts=0, run_at=now, finished_at=None, updated_at=now)
    )
    return result.rowcount


def purge_finished(conn: Connection, older_than: datetime) -> int:
    """Delete done and skipped jobs finished before `older_than` (dead ones stay for review)."""
    from sqlalchemy import delete

    result = conn.execute(
        delete(outbox_jobs).where(
            outbox_jobs.c.status.in_(("done", "skipped")), outbox_jobs.c.finished_at < older_than
        )
    )
    return result.rowcount
