"""Real `cdrhub worker` processes: a second worker never takes a job the first one is running
(the lease is renewed); when the first is killed mid-job, the job is retried once its lease
expires and completes exactly once (the provider deduplicates on the idempotency key)."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cdrhub.jobs import outbox

from .fakes import FakeServer, Reply, Responder, Seen, twilio_responder, twilio_sent
from .helpers import EXAMPLE_TOML, deliver, recent, settings_for

WORKER_SETTINGS = """
[worker]
lease_seconds = 3
poll_seconds = 0.1
threads = 1
backoff_base_seconds = 0
"""


def stall_first(responder: Responder, seconds: float) -> Responder:
    """The provider accepts the first message, then hangs before answering."""
    calls = {"n": 0}

    def respond(seen: Seen) -> Reply:
        reply = responder(seen)
        calls["n"] += 1
        if calls["n"] == 1:
            reply.delay = seconds
        return reply

    respond.sent = responder.sent  # type: ignore[attr-defined]
    return respond


def _start_worker(db_url: str, config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CDRHUB_CONFIG": str(config), "CDRHUB_DATABASE_URL": db_url}
    return subprocess.Popen(
        [sys.executable, "-m", "cdrhub.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _job(engine: Engine) -> dict:
    with engine.connect() as conn:
        (job,) = outbox.list_jobs(conn)
    return job


@pytest.mark.slow
def test_killed_worker_leaves_the_job_to_be_retried(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with FakeServer(stall_first(twilio_responder("AC0123456789", "secret"), 60)) as twilio:
        toml = EXAMPLE_TOML.replace("https://api.twilio.com", twilio.url) + WORKER_SETTINGS
        settings = settings_for(db_url, toml, tmp_path)
        deliver(engine, settings, recent())
        config = tmp_path / "cdrhub.toml"

        first = _start_worker(db_url, config)
        second = None
        try:
            _wait(lambda: len(twilio.requests) == 1, 30, "the first request")
            assert _job(engine)["status"] == "running"
            # A second worker runs alongside; while the first is alive and renewing its lease,
            # the second never takes the job, however long the provider stalls.
            second = _start_worker(db_url, config)
            time.sleep(3 * 2)  # twice the lease
            assert len(twilio.requests) == 1
            job = _job(engine)
            assert job["status"] == "running" and job["attempts"] == 1
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            _wait(lambda: _job(engine)["status"] == "done", 30, "the job to complete")
        finally:
            first.kill()
            if second is not None:
                second.send_signal(signal.SIGTERM)
                try:
                    second.wait(10)
                except subprocess.TimeoutExpired:
                    second.kill()

        job = _job(engine)
        assert job["attempts"] == 2
        posts = [r for r in twilio.requests if r.method == "POST"]
        assert len(posts) == 2
        assert len({r.headers["i-twilio-idempotency-token"] for r in posts}) == 1
        (message,) = twilio_sent(twilio)
        assert message["to"] == "+972501234567"


@pytest.mark.slow
def test_several_worker_processes_send_each_job_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("several worker processes is the PostgreSQL set-up")
    twilio_answers = twilio_responder("AC0123456789", "secret")

    def slow(seen: Seen) -> Reply:
        # A second per text: one worker alone would need ~8 s for the 30, so the others,
        # started at the same time, get a share even on a loaded machine.
        return dataclasses.replace(twilio_answers(seen), delay=1.0)

    with FakeServer(slow) as twilio:
        toml = EXAMPLE_TOML.replace("https://api.twilio.com", twilio.url)
        toml += WORKER_SETTINGS.replace("threads = 1", "threads = 3")
        toml += "\n[automations]\ntext_once_per_hours = 0\n"
        settings = settings_for(db_url, toml, tmp_path)
        for n in range(30):
            wire = {
                **recent(),
                "ivruniqueid": f"20231115120640m{n:03d}",
                "caller": f"05012345{n:02d}",
            }
            deliver(engine, settings, wire)
        procs = [_start_worker(db_url, tmp_path / "cdrhub.toml") for _ in range(3)]
        try:

            def all_done() -> bool:
                with engine.connect() as conn:
                    return outbox.count_jobs(conn) == {"done": 30}

            _wait(all_done, 60, "30 jobs done")
        finally:
            for p in procs:
                p.kill()
                p.wait(10)
        tokens = [r.headers["i-twilio-idempotency-token"] for r in twilio.requests]
        assert len(tokens) == 30 and len(set(tokens)) == 30  # no job ran twice
        with engine.connect() as conn:
            workers = {j["locked_by"] for j in outbox.list_jobs(conn)}
        assert len(workers) >= 2  # the work was shared
