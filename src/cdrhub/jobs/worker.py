"""The outbox worker: claims due jobs, runs their handlers, records the outcome.

Run it as `cdrhub worker` (any number of processes on PostgreSQL) or inside `cdrhub serve`
(a background thread, on by default: `run_worker`). Settings, in the TOML `[worker]` section:
`lease_seconds` (30: renewed every third of it while a job runs; a job whose worker
died is retried once it runs out), `poll_seconds` (1), `urgent_poll_seconds` (0.2),
`threads` (2), `urgent_threads` (1), `backoff_base_seconds` (10), `backoff_cap_seconds` (3600),
`host_failures` (3), `host_backoff_seconds` (30), `host_backoff_cap_seconds` (900).

Lanes: `urgent_threads` threads take only urgent jobs (texts, alerts); the `threads` others take
urgent jobs first, then bulk ones (recordings, CRM pushes, webhooks). However slow or failing
the bulk backlog, an urgent job waits at most for a poll of an urgent thread.

Per-host backoff: after `host_failures` transient failures in a row of jobs for one host (network
errors, 429, 5xx), this worker postpones every pending job of that host together for
`host_backoff_seconds`, doubling while the host keeps failing up to `host_backoff_cap_seconds`,
instead of trying and failing each in turn; the first job run after the pause probes the host.
Postponing does not use up attempts. The failure counts live in the worker's memory
(`hosts.HostHealth`, bounded); the postponement itself is written to the jobs, so every worker
sees it.

The worker runs the handlers it is handed (`handlers`: `cdrhub.domains.job_handlers()` in
`serve` and `cdrhub worker`); it claims only the kinds it has a handler for, and tells the
handlers' `on_dead` listeners, in the same transaction, when a job gives up for good.

Each job is claimed in one short transaction and finished in another; the handler runs between
them with no transaction open, so a slow provider holds no database lock. An idle worker looks
for due jobs with a read before it takes the write lock to claim one.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from cdrhub.config import Settings
from cdrhub.jobs import outbox
from cdrhub.jobs.hosts import HostHealth
from cdrhub.jobs.outbox import (
    BULK,
    LANES,
    URGENT,
    ClaimedJob,
    PermanentFailure,
    Reschedule,
    RetryLater,
    Skip,
)
from cdrhub.jobs.registry import Handlers, JobContext
from cdrhub.store.engine import write_transaction

log = logging.getLogger("cdrhub.worker")


_INTEGERS = ("threads", "urgent_threads", "host_failures")


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    lease_seconds: float = 30.0
    poll_seconds: float = 1.0
    urgent_poll_seconds: float = 0.2
    threads: int = 2
    urgent_threads: int = 1
    backoff_base_seconds: float = 10.0
    backoff_cap_seconds: float = 3600.0
    host_failures: int = 3
    host_backoff_seconds: float = 30.0
    host_backoff_cap_seconds: float = 900.0

    @classmethod
    def from_section(cls, section: Mapping[str, Any]) -> WorkerConfig:
        values: dict[str, Any] = {}
        for name in cls.__dataclass_fields__:
            if name in section:
                values[name] = int(section[name]) if name in _INTEGERS else float(section[name])
        return cls(**values)


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Worker:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        handlers: Handlers,
        config: WorkerConfig | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.handlers = handlers
        self.config = config or WorkerConfig.from_section(settings.section("worker"))
        self.worker_id = (worker_id or default_worker_id())[:128]
        self.stop_event = threading.Event()
        c = self.config
        self.hosts = HostHealth(c.host_failures, c.host_backoff_seconds, c.host_backoff_cap_seconds)

    # -- one job ------------------------------------------------------------------------------

    def run_once(self, limit: int = 1, lanes: Sequence[str] = LANES) -> int:
        """Claim and run up to `limit` due jobs of `lanes` (in that order); returns how many
        were claimed (a job of a paused host is put back with the others, not run)."""
        return self._claim_and_run(limit, lanes)[0]

    def _claim_and_run(self, limit: int, lanes: Sequence[str]) -> tuple[int, int]:
        """(jobs claimed, jobs whose handler ran)."""
        kinds = self.handlers.kinds()
        with self.engine.connect() as conn:
            if not outbox.has_due(conn, lanes, kinds):
                return 0, 0
        with write_transaction(self.engine) as conn:
            jobs = outbox.claim(
                conn,
                worker_id=self.worker_id,
                lease_seconds=self.config.lease_seconds,
                limit=limit,
                kinds=kinds,
                lanes=lanes,
            )
        ran = sum(self._run(job) for job in jobs)
        return len(jobs), ran

    def run_until_idle(self, max_jobs: int = 10_000) -> int:
        """Run due jobs until none is left (tests and `cdrhub worker --once`)."""
        done = 0
        while done < max_jobs and self.run_once():
            done += 1
        return done

    def _run(self, job: ClaimedJob) -> bool:
        """Run the job's handler and record its outcome; False when its host is paused (the
        job joins the host's postponed ones without running)."""
        paused = self.hosts.paused_until(job.host, outbox.utcnow()) if job.host else None
        if paused is not None:  # enqueued after its host's jobs were postponed: join them
            self._record(job, ("host_paused", paused))
            return False
        ctx = JobContext(
            id=job.id,
            kind=job.kind,
            key=job.key,
            payload=job.payload,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            settings=self.settings,
            engine=self.engine,
        )
        outcome: tuple[str, Any]
        stop_beat = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(job, stop_beat), daemon=True)
        beat.start()
        try:
            # Claims ask only for known kinds; a kind whose handler is gone goes dead, named.
            outcome = ("done", self.handlers.handler_for(job.kind)(ctx))
        except RetryLater as exc:
            outcome = ("retry", exc)
        except PermanentFailure as exc:
            outcome = ("dead", exc.reason)
        except Skip as exc:
            outcome = ("skipped", exc.reason)
        except Reschedule as exc:
            outcome = ("reschedule", exc)
        except Exception as exc:  # a bug or an unforeseen error: transient by default
            log.warning("job %s (%s) failed: %s", job.id, job.kind, traceback.format_exc())
            outcome = ("retry", RetryLater(f"{type(exc).__name__}: {exc}"))
        finally:
            stop_beat.set()
            beat.join()
        self._record(job, outcome)
        return True

    def _heartbeat(self, job: ClaimedJob, stop: threading.Event) -> None:
        """Renew the lease every third of it while the handler runs, so that no other worker
        takes a slow job; a dead worker stops renewing and its jobs come free."""
        interval = max(0.2, self.config.lease_seconds / 3)
        while not stop.wait(interval):
            try:
                with write_transaction(self.engine) as conn:
                    kept = outbox.extend_lease(
                        conn, job, outbox.utcnow(), self.config.lease_seconds
                    )
            except Exception:
                log.exception("job %s: lease renewal failed", job.id)
                continue
            if not kept:
                log.warning("job %s: lease lost while running", job.id)
                return

    def _record(self, job: ClaimedJob, outcome: tuple[str, Any]) -> None:
        state, value = outcome
        now = outbox.utcnow()
        paused = self._host_outcome(job, state, value, now)
        with write_transaction(self.engine) as conn:
            if paused is not None and job.host:
                waiting = f"host {job.host} failing: its jobs wait until {paused:%H:%M:%S} UTC"
                outbox.postpone_host(conn, job.host, paused, waiting, now)
            if state == "host_paused":
                kept = outbox.mark_rescheduled(conn, job, waiting, now, value)
            elif state == "done":
                kept = outbox.mark_done(conn, job, _jsonable(value), now)
            elif state == "skipped":
                kept = outbox.mark_skipped(conn, job, value, now)
            elif state == "dead":
                kept = outbox.mark_dead(conn, job, value, now)
            elif state == "reschedule":
                kept = outbox.mark_rescheduled(conn, job, value.reason, now, value.at)
            else:
                delay = outbox.backoff_seconds(
                    job.attempt,
                    base=self.config.backoff_base_seconds,
                    cap=self.config.backoff_cap_seconds,
                    retry_after=value.retry_after,
                )
                if paused is not None:
                    delay = max(delay, (paused - now).total_seconds())
                kept = outbox.mark_retry(conn, job, value.reason, now, delay)
            if kept and (state == "dead" or (state == "retry" and job.attempt >= job.max_attempts)):
                reason = value if state == "dead" else value.reason
                for listener in self.handlers.on_dead:
                    listener(conn, job, reason, now)
        log.info("job %s %s attempt %s: %s", job.id, job.kind, job.attempt, state)
        if not kept:
            log.warning("job %s: lease lost before its outcome (%s) was recorded", job.id, state)

    def _host_outcome(
        self, job: ClaimedJob, state: str, value: Any, now: datetime
    ) -> datetime | None:
        """Count the outcome for the job's host; until when its jobs should wait, or None."""
        if not job.host:
            return None
        if state == "host_paused":
            return value if isinstance(value, datetime) else None
        if state == "done":
            self.hosts.succeeded(job.host)
        elif state == "retry":
            return self.hosts.failed(job.host, now)
        return None

    # -- loops --------------------------------------------------------------------------------

    def _loop(self, lanes: Sequence[str], poll_seconds: float) -> None:
        while not self.stop_event.is_set():
            try:
                ran = self._claim_and_run(1, lanes)[1]
            except Exception:
                log.exception("worker loop error")
                ran = 0
            # Nothing ran (nothing due, or only jobs of a paused host, which are all postponed
            # at once): wait, so that a stream of new jobs for a paused host costs a write per
            # poll, not one per job.
            if not ran:
                self.stop_event.wait(poll_seconds)

    def run_forever(self) -> None:
        """Block, running jobs on `threads` threads until `stop()`."""
        threads = self.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(0.5)
        except KeyboardInterrupt:
            self.stop()

    def start(self) -> list[threading.Thread]:
        """Start the worker threads in the background (used by `serve`): `urgent_threads` for
        the urgent lane alone, `threads` for both lanes, urgent first."""
        c = self.config
        plan: list[tuple[tuple[str, ...], float, str]]
        plan = [((URGENT,), c.urgent_poll_seconds, "urgent")] * max(0, c.urgent_threads)
        plan += [((URGENT, BULK), c.poll_seconds, "any")] * max(1, c.threads)
        threads = []
        for n, (lanes, poll, name) in enumerate(plan):
            t = threading.Thread(
                target=self._loop, args=(lanes, poll), name=f"cdrhub-worker-{name}-{n}", daemon=True
            )
            t.start()
            threads.append(t)
        self._threads = threads
        return threads

    def stop(self, timeout: float = 10.0) -> None:
        self.stop_event.set()
        for t in getattr(self, "_threads", []):
            t.join(timeout)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)
