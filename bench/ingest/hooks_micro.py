"""Micro benchmark of the store path: `pipeline.store_legs` per leg, batches of 1 and 32.

Realistic legs from the analytics demo generator (answered legs get a recording URL, as
Voicenter sends), on SQLite (a temporary file) and PostgreSQL (a fresh `cdrhub_hooks_*`
database, dropped afterwards). Two settings: the recordings archive on (`[crm.recordings]
enabled = true`, off by default) and the same plus the example rule of docs/automations.md.
For each, per leg: what `store_legs` does, step by step in the same transactions (saving the
legs, the analytics rollup hook, the automations + CRM hooks); commit is not included.
Median of --repeat runs.

    .venv/bin/python bench/ingest/hooks_micro.py [--legs 1024] [--engines sqlite,postgres]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg

from cdrhub import domains as composition
from cdrhub.analytics.demo import Generator
from cdrhub.config import load_settings
from cdrhub.ingest import pipeline
from cdrhub.store.engine import make_engine, write_transaction
from cdrhub.store.legs import save_legs
from cdrhub.store.migrate import upgrade
from cdrhub.voicenter.normalize import normalize

ARCHIVE_TOML = """
[crm.recordings]
enabled = true
"""

RULE = """
[channels.twilio]
account_sid = "AC0123456789"
auth_token = "secret"
from = "+972722776772"
base_url = "https://api.twilio.com"

[[rules]]
name = "abandoned-queue"
when = { type = "Queue", status = "ABANDONE", min_wait_seconds = 5 }
actions = [
  { do = "sms", via = "twilio", to = "caller", text = "Sorry we missed you ({{ queue_name }}). We will call you back soon." },
  { do = "callback" },
  { do = "notify" },
]
"""  # noqa: E501
RULE_TOML = ARCHIVE_TOML + RULE

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def wires(count: int, seed: int) -> list[dict[str, Any]]:
    out = []
    for wire in Generator(days=30, calls_per_day=400, end=date(2026, 11, 1), seed=seed):
        wire = dict(wire)
        wire["ivruniqueid"] = f"{wire['ivruniqueid']}-{seed}"
        if wire["status"] == "ANSWER":
            wire["record"] = (
                "https://cpanel.voicenter.co.il/CallsHistory/PlayRecord/"
                f"{wire['ivruniqueid']}-aws.mp3"
            )
        out.append(wire)
        if len(out) == count:
            return out
    return out


def run(url: str, toml: Path | None, batch: int, legs: int, seed: int) -> dict[str, float]:
    """ms per leg: saving the legs, the rollup hook, the automations + CRM hooks, in total."""
    env = {"CDRHUB_CONFIG": str(toml)} if toml else {}
    settings = load_settings(env=env, database_url=url, run_worker=False)
    engine = make_engine(url)
    rollup, *domains = composition.hooks(settings)
    now = datetime.now(UTC).replace(tzinfo=None)
    items = [
        pipeline.Incoming(normalize(w, tz=settings.tz), "json", None) for w in wires(legs, seed)
    ]
    spent = {"save": 0.0, "rollup": 0.0, "domains": 0.0}
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        with write_transaction(engine) as conn:
            # what store_legs does, timed step by step
            t0 = time.perf_counter()
            stored = save_legs(conn, chunk, now)
            t1 = time.perf_counter()
            pipeline.run_hooks(conn, [rollup], stored)
            t2 = time.perf_counter()
            pipeline.run_hooks(conn, domains, stored)
            t3 = time.perf_counter()
        spent["save"] += t1 - t0
        spent["rollup"] += t2 - t1
        spent["domains"] += t3 - t2
    engine.dispose()
    out = {k: v / len(items) * 1000 for k, v in spent.items()}
    out["total"] = sum(out.values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--legs", type=int, default=1024)
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hooks_micro_"))
    toml = tmp / "rules.toml"
    toml.write_text(RULE_TOML)
    archive = tmp / "archive.toml"
    archive.write_text(ARCHIVE_TOML)
    print(
        "ms per leg (median of --repeat runs), store_legs step by step, commit not included\n"
        f"{'engine':9} {'settings':8} {'batch':>5} {'store_legs':>10} {'save legs':>10}"
        f" {'rollups':>8} {'crm+autom.':>12}"
    )
    for engine_name in args.engines.split(","):
        pg_db = None
        if engine_name == "sqlite":
            url = f"sqlite:///{tmp / 'micro.db'}"
        else:
            pg_db = f"cdrhub_hooks_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                c.execute(f'CREATE DATABASE "{pg_db}"')
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_db}"
        try:
            e = make_engine(url)
            upgrade(e)
            e.dispose()
            seed = 0
            run(url, archive, 32, 64, 10_000)  # warm up: statements compiled, caches filled
            for label, cfg in (("archive", archive), ("rule", toml)):
                for batch in (1, 32):
                    runs = []
                    for _ in range(args.repeat):
                        seed += 1
                        runs.append(run(url, cfg, batch, args.legs, seed))
                    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                    print(
                        f"{engine_name:9} {label:8} {batch:>5} {med['total']:>10.3f}"
                        f" {med['save']:>10.3f} {med['rollup']:>8.3f} {med['domains']:>12.3f}",
                        flush=True,
                    )
        finally:
            if pg_db:
                with psycopg.connect(PG_ADMIN, autocommit=True) as c:
                    c.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')


if __name__ == "__main__":
    main()
