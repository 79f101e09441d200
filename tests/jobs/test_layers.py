"""jobs/ stands below the domains: importing it loads none of them, and the worker fails a job
whose kind it has no handler for with a reason that names the kind."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import Engine

from cdrhub.config import Settings
from cdrhub.jobs import outbox
from cdrhub.jobs.outbox import PermanentFailure
from cdrhub.jobs.registry import Handlers
from cdrhub.jobs.worker import Worker, WorkerConfig
from cdrhub.store.engine import write_transaction

GROUND_AND_STORE = ("cdrhub.config", "cdrhub.redact", "cdrhub.timefmt", "cdrhub.longlived")


def test_importing_jobs_loads_no_domain() -> None:
    code = (
        "import cdrhub.jobs.worker, cdrhub.jobs.http, cdrhub.jobs.registry, sys; "
        "print(sorted(m for m in sys.modules if m.startswith('cdrhub.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = eval(out.stdout)  # a list literal printed by the child
    outside = [
        m
        for m in loaded
        if not m.startswith(("cdrhub.jobs", "cdrhub.store", "cdrhub.calls"))
        and m not in GROUND_AND_STORE
    ]
    assert outside == []
    assert "cdrhub.jobs.worker" in loaded


def test_a_kind_handled_twice_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^job kind 'a\.x' has two handlers$"):
        Handlers.combine(Handlers({"a.x": print}), Handlers({"a.x": print}))


def test_a_job_without_a_handler_goes_dead_naming_its_kind(
    engine: Engine, settings: Settings
) -> None:
    with pytest.raises(PermanentFailure, match=r"^no handler for job kind 'nobody\.handles'$"):
        Handlers({"test.job": print}).handler_for("nobody.handles")
    with write_transaction(engine) as conn:
        outbox.enqueue(conn, "nobody.handles", "orphan", {})
    worker = Worker(engine, settings, handlers=Handlers(), config=WorkerConfig())
    assert worker.run_until_idle() == 0  # not claimed: another worker may know the kind
    # claimed anyway (by a worker that knew the kind, or a deploy that dropped it): dead, named
    with write_transaction(engine) as conn:
        (job,) = outbox.claim(conn, worker_id="old", lease_seconds=30)
    assert worker._run(job) is True
    with engine.connect() as conn:
        row = outbox.get_job(conn, job.id)
    assert row is not None
    assert (row["status"], row["last_error"]) == (
        "dead",
        "no handler for job kind 'nobody.handles'",
    )
