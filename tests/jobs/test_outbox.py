from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from cdrhub.config import Settings
from cdrhub.jobs import outbox
from cdrhub.jobs.outbox import PermanentFailure, Reschedule, RetryLater, Skip
from cdrhub.jobs.registry import Handlers, JobContext
from cdrhub.jobs.worker import Worker, WorkerConfig
from cdrhub.store.engine import write_transaction


def _enqueue(engine: Engine, key: str, kind: str = "test.job", **kw) -> int | None:
    with write_transaction(engine) as conn:
        return outbox.enqueue(conn, kind, key, {"n": key}, **kw)


def _job(engine: Engine, job_id: int) -> dict:
    with engine.connect() as conn:
        job = outbox.get_job(conn, job_id)
    assert job is not None
    return job


def _worker(engine: Engine, settings: Settings, handlers: Handlers) -> Worker:
    config = WorkerConfig(lease_seconds=30, backoff_base_seconds=0.0, backoff_cap_seconds=0.0)
    return Worker(engine, settings, handlers=handlers, config=config)


def test_enqueue_is_idempotent_on_key(engine: Engine) -> None:
    first = _enqueue(engine, "k1")
    assert first is not None
    assert _enqueue(engine, "k1") is None
    with engine.connect() as conn:
        assert len(outbox.list_jobs(conn)) == 1


def test_enqueue_rolls_back_with_the_transaction(engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_transaction(engine) as conn:
        outbox.enqueue(conn, "test.job", "k-rollback", {})
        raise RuntimeError("leg failed")
    with engine.connect() as conn:
        assert outbox.list_jobs(conn) == []


def test_handler_outcomes(engine: Engine, settings: Settings) -> None:
    seen: list[JobContext] = []

    def handler(ctx: JobContext) -> dict:
        seen.append(ctx)
        action = ctx.payload["n"]
        if action == "ok":
            return {"sent": True}
        if action == "skip":
            raise Skip("opted out")
        if action == "perm":
            raise PermanentFailure("bad number")
        if action == "later":
            raise Reschedule(ctx.now + timedelta(hours=1), "quiet hours")
        raise RetryLater("503")

    ids = {k: _enqueue(engine, k, max_attempts=2) for k in ("ok", "skip", "perm", "later", "flaky")}
    worker = _worker(engine, settings, Handlers({"test.job": handler}))
    worker.run_until_idle()
    assert _job(engine, ids["ok"])["status"] == "done"
    assert _job(engine, ids["ok"])["result"] == {"sent": True}
    assert _job(engine, ids["skip"])["status"] == "skipped"
    assert _job(engine, ids["perm"])["status"] == "dead"
    later = _job(engine, ids["later"])
    assert later["status"] == "pending" and later["attempts"] == 0
    flaky = _job(engine, ids["flaky"])
    assert flaky["status"] == "dead" and flaky["attempts"] == 2
    assert "503" in flaky["last_error"]
    assert all(ctx.idempotency_key == outbox.idempotency_key(ctx.key) for ctx in seen)

    with write_transaction(engine) as conn:
        assert outbox.retry_job(conn, ids["flaky"])
        assert not outbox.retry_job(conn, ids["ok"])
    assert _job(engine, ids["flaky"])["status"] == "pending"


def test_unknown_kind_is_not_claimed(engine: Engine, settings: Settings) -> None:
    job_id = _enqueue(engine, "x", kind="nobody.handles")
    worker = _worker(engine, settings, Handlers())
    assert worker.run_until_idle() == 0
    assert _job(engine, job_id)["status"] == "pending"


def test_expired_lease_is_reclaimed(engine: Engine) -> None:
    job_id = _enqueue(engine, "lost")
    with write_transaction(engine) as conn:
        (first,) = outbox.claim(conn, worker_id="a", lease_seconds=30)
    with write_transaction(engine) as conn:
        assert outbox.claim(conn, worker_id="b", lease_seconds=30) == []
    later = outbox.utcnow() + timedelta(seconds=31)
    with write_transaction(engine) as conn:
        (second,) = outbox.claim(conn, worker_id="b", lease_seconds=30, now=later)
    assert second.id == first.id == job_id and second.attempt == 2
    with write_transaction(engine) as conn:
        assert not outbox.mark_done(conn, first, None, later)  # the lease was lost
        assert outbox.mark_done(conn, second, None, later)


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    rng = random.Random(1)
    delays = [outbox.backoff_seconds(n, base=10, cap=10_000, rng=rng) for n in range(1, 6)]
    for n, delay in enumerate(delays, start=1):
        assert 10 * 2 ** (n - 1) / 2 <= delay <= 10 * 2 ** (n - 1)
    assert outbox.backoff_seconds(1, base=10, retry_after=120) == 120
    assert outbox.backoff_seconds(30, base=10, cap=60, rng=rng) <= 60


def test_concurrent_claims_never_share_a_job(engine: Engine) -> None:
    for n in range(40):
        _enqueue(engine, f"c{n}")
    claimed: list[int] = []
    lock = threading.Lock()

    def grab(name: str) -> None:
        while True:
            with write_transaction(engine) as conn:
                jobs = outbox.claim(conn, worker_id=name, lease_seconds=60, limit=3)
            if not jobs:
                return
            with lock:
                claimed.extend(j.id for j in jobs)

    threads = [threading.Thread(target=grab, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(set(claimed)) and len(claimed) == 40


def test_lease_is_renewed_while_a_slow_handler_runs(engine: Engine, settings: Settings) -> None:
    stolen: list[int] = []

    def slow(ctx: JobContext) -> None:
        import time

        for _ in range(6):
            time.sleep(0.25)
            with write_transaction(engine) as conn:
                stolen.extend(j.id for j in outbox.claim(conn, worker_id="thief", lease_seconds=9))

    job_id = _enqueue(engine, "slow")
    config = WorkerConfig(lease_seconds=0.6, backoff_base_seconds=0.0)
    Worker(engine, settings, handlers=Handlers({"test.job": slow}), config=config).run_once()
    assert stolen == []
    assert _job(engine, job_id)["status"] == "done"


def test_purge_keeps_dead_and_recent_jobs(engine: Engine) -> None:
    ids = [_enqueue(engine, k) for k in ("old-done", "new-done", "old-dead")]
    old = outbox.utcnow() - timedelta(days=40)
    with write_transaction(engine) as conn:
        for job_id, status, at in zip(
            ids, ("done", "done", "dead"), (old, outbox.utcnow(), old), strict=True
        ):
            conn.execute(
                outbox.outbox_jobs.update()
                .where(outbox.outbox_jobs.c.id == job_id)
                .values(status=status, finished_at=at)
            )
        assert outbox.purge_finished(conn, outbox.utcnow() - timedelta(days=30)) == 1
    with engine.connect() as conn:
        assert sorted(j["key"] for j in outbox.list_jobs(conn)) == ["new-done", "old-dead"]
