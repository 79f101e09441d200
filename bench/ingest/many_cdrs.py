"""Time to store one body of many CDRs, per CDR, at several sizes (hole 4 of the hardening
issue: storing such a body was superlinear).

    .venv/bin/python bench/ingest/many_cdrs.py [--sizes 250,1000,4000] [--database-url URL]
        [--profile N]

Each size posts one JSON array of that many distinct CDRs (a realistic mix of types, agents,
queues and two-leg calls) to a fresh app with the in-process writer, on a fresh database, with
`max_cdrs_per_body` raised to the size, in a process of its own, and prints the seconds for the
request, per CDR, and the process's peak memory. `--profile N` prints cProfile's top functions
of storing N CDRs instead: read, then each part through `commit_batch` in this thread, as the
thread writer stores them (this tree only).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import fields
from pathlib import Path
from typing import Any

import psycopg
from starlette.testclient import TestClient

from cdrhub.config import Settings, load_settings
from cdrhub.web.app import create_app

TYPES = ["Incoming Call", "Extension Outgoing", "Queue", "Click2Call leg1", "Click2Call leg2"]
STATUSES = ["ANSWER", "NOANSWER", "ABANDONE", "BUSY"]
T0 = 1_700_040_000


def cdr(i: int) -> dict[str, Any]:
    at = T0 + i * 7
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(at))
    kind = TYPES[i % len(TYPES)]
    return {
        "ivruniqueid": f"{stamp}{uuid.uuid4().hex[:8]}",
        "type": kind,
        "status": STATUSES[i % len(STATUSES)],
        "time": at,
        "duration": i % 300,
        "dialtime": i % 20,
        "caller": f"05{i % 97:02d}{i:06d}"[:10],
        "target": f"9725{i % 89:02d}{i:06d}"[:12],
        "did": "035555555",
        "callerextension": f"EXT{i % 40}",
        "targetextension": f"EXT{(i + 1) % 40}",
        "representative_code": str(1000 + i % 40),
        "representative_name": f"Agent {i % 40}",
        "queueid": 100 + i % 5,
        "queuename": f"Queue {i % 5}",
        "price": i % 13,
        "DepartmentID": 123456,
        "DepartmentName": "Sales",
        "record": f"https://example.invalid/rec/{i}.mp3",
        "IVR": [{"layer_id": 1, "layer_name": "Main", "Dtmf": str(i % 9), "dtmf_order": 1}],
    }


def body(size: int) -> bytes:
    return json.dumps([cdr(i) for i in range(size)]).encode()


def database(url: str | None, tmp: Path, size: int) -> str:
    if url is None:
        return f"sqlite:///{tmp / f'many-{size}.db'}"
    name = f"bench_many_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{name}"


def drop(url: str | None, db: str) -> None:
    if url is not None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db.rsplit("/", 1)[1]}" WITH (FORCE)')


def run(settings: Settings, payload: bytes) -> tuple[float, dict[str, Any]]:
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            started = time.perf_counter()
            response = client.post(
                "/voicenter/cdr/bench-ingest-token-0123456789",
                content=payload,
                headers={"content-type": "application/json"},
            )
            return time.perf_counter() - started, response.json()
    finally:
        app.state.engine.dispose()


def profile(settings: Settings, payload: bytes) -> tuple[float, dict[str, Any]]:
    """Read and store the body as the thread writer does, in this thread, under cProfile."""
    from datetime import datetime
    from functools import partial

    from cdrhub import domains
    from cdrhub.ingest.messages import Delivery
    from cdrhub.ingest.parts import parts_of
    from cdrhub.ingest.pipeline import hooks_after, read, store_parts
    from cdrhub.ingest.writer import MAX_BATCH
    from cdrhub.store.engine import make_engine
    from cdrhub.store.groupcommit import commit_batch
    from cdrhub.store.migrate import upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    finish = hooks_after(domains.hooks(settings))
    delivery = Delivery(payload, "application/json", "", "POST", {}, None, datetime(2026, 1, 1))
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    received = read(delivery, settings)
    for part in parts_of(delivery, received, MAX_BATCH):
        [(_stored, error)] = commit_batch(engine, [partial(store_parts, parts=[part])], finish)
        assert error is None, error
    profiler.disable()
    seconds = time.perf_counter() - started
    engine.dispose()
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(30)
    return seconds, {"errors": received.errors}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="250,1000,4000")
    parser.add_argument("--database-url", help="PostgreSQL admin URL; SQLite when omitted")
    parser.add_argument("--profile", type=int)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.one and not args.profile:
        for size in args.sizes.split(","):
            command = [sys.executable, "-W", "ignore", __file__, "--one", "--sizes", size]
            if args.database_url:
                command += ["--database-url", args.database_url]
            subprocess.run(command, check=True)
        return
    sizes = [args.profile] if args.profile else [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            db = database(args.database_url, Path(tmp), size)
            overrides = dict(
                database_url=db,
                ingest_token="bench-ingest-token-0123456789",
                api_key="bench-api-key-0123456789",
                run_worker=False,
                ingest_writer="thread",
                max_body_bytes=64 * 1024 * 1024,
            )
            if "max_cdrs_per_body" in {f.name for f in fields(Settings)}:
                overrides["max_cdrs_per_body"] = size
            settings = load_settings(env={}, **overrides)
            payload = body(size)
            try:
                seconds, answer = (profile if args.profile else run)(settings, payload)
            finally:
                drop(args.database_url, db)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"{size:6d} CDRs  {len(payload) / 1024:8.0f} KiB  {seconds:7.2f} s  "
                f"{seconds / size * 1000:7.3f} ms/CDR  peak {peak:5.0f} MB  {answer}",
                flush=True,
            )


if __name__ == "__main__":
    main()
