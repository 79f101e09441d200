"""Where `cdrhub import`'s time goes, stage by stage, on one file and one SQLite database: what
each stage costs per leg alone, and so the fastest any import doing that stage can be.

    .venv/bin/python bench/analytics/import_floor.py [--legs 30000]

Stages, each timed on its own over the same generated JSON-lines file (CPU time of this
process, median of --repeat runs):
- parse: read the lines, `json.loads`;
- normalize: `voicenter.normalize` (phone numbers to E.164 cached as in ingest);
- row: `leg_to_row` and `content_hash`, what storing a leg needs beside the leg;
- facts: the rollup facts of the stored row and summing them (`leg_facts`, `Deltas.add`);
- insert legs: the finished rows into an empty migrated `legs` table with sqlite3's own
  `executemany` in transactions of 5,000 (no SQLAlchemy, no Python per row): SQLite's floor;
- full import: `store_wires`, everything together (wall time), as `cdrhub import` runs it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cdrhub import domains, longlived
from cdrhub.analytics.config import analytics_settings
from cdrhub.analytics.demo import Generator
from cdrhub.analytics.facts import leg_facts
from cdrhub.analytics.importer import ImportReport, read_wires, store_wires
from cdrhub.analytics.rollup import Deltas
from cdrhub.analytics.stored import stored_leg
from cdrhub.config import load_settings
from cdrhub.store.engine import make_engine
from cdrhub.store.legs import content_hash, leg_to_row
from cdrhub.store.migrate import upgrade
from cdrhub.voicenter.normalize import normalize

LEGS_PER_CALL = 1.135


def timed(work: Callable[[], Any], repeat: int) -> float:
    """Median CPU seconds of `work`."""
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        work()
        runs.append(time.process_time() - started)
    return statistics.median(runs)


def fresh_db(directory: Path, name: str) -> str:
    path = directory / name
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--legs", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    longlived.settle()  # as `cdrhub import` and `cdrhub demo` do

    work = Path(tempfile.mkdtemp(prefix="cdrhub-import-floor-"))
    source = work / "legs.jsonl"
    generator = Generator(
        days=30, calls_per_day=int(args.legs / 30 / LEGS_PER_CALL), end=date(2026, 11, 1)
    )
    with source.open("w", encoding="utf-8") as handle:
        for wire in generator:
            handle.write(json.dumps(wire, ensure_ascii=False) + "\n")
    settings = load_settings(env={})
    tz, cfg = settings.tz, analytics_settings(settings)
    now = datetime.now(UTC).replace(tzinfo=None)
    lines = source.read_text(encoding="utf-8").splitlines()
    wires = [json.loads(line) for line in lines]

    def norm(wire: dict[str, Any]) -> Any:
        return normalize(wire, tz=tz, time_mode=settings.time_mode,
                         region=settings.default_region, received_at=now)  # fmt: skip

    legs = [norm(w) for w in wires]
    meta = {"raw_body": None, "encoding": "import", "revision": 1, "deliveries": 1,
            "first_received_at": now, "last_received_at": now}  # fmt: skip
    rows = [{**leg_to_row(leg), **meta, "content_hash": content_hash(leg)} for leg in legs]
    n = len(lines)

    def insert_legs() -> None:
        path = fresh_db(work, f"floor-{time.monotonic_ns()}.db")
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        columns = list(rows[0])
        sql = (f"INSERT INTO legs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
               "ON CONFLICT (ivruniqueid) DO NOTHING")  # fmt: skip
        values = [
            [json.dumps(v) if isinstance(v, (dict, list)) else v for v in (r[c] for c in columns)]
            for r in rows
        ]
        started = time.process_time()
        for i in range(0, n, 5000):
            conn.execute("BEGIN")
            conn.executemany(sql, values[i : i + 5000])
            conn.execute("COMMIT")
        stages["insert legs"].append(time.process_time() - started)
        conn.close()

    def facts() -> None:
        deltas = Deltas()
        for row in rows:
            deltas.add(leg_facts(stored_leg(row), tz, cfg))

    stages: dict[str, list[float]] = {"insert legs": []}
    results = {
        "parse": timed(lambda: [json.loads(line) for line in lines], args.repeat),
        "normalize": timed(lambda: [norm(w) for w in wires], args.repeat),
        "row": timed(lambda: [(leg_to_row(g), content_hash(g)) for g in legs], args.repeat),
        "facts": timed(facts, args.repeat),
    }
    for _ in range(args.repeat):
        insert_legs()
    results["insert legs"] = statistics.median(stages["insert legs"])
    walls = []
    for _ in range(args.repeat):
        url = f"sqlite:///{fresh_db(work, f'full-{time.monotonic_ns()}.db')}"
        engine = make_engine(url)
        report = ImportReport()
        started = time.perf_counter()
        with source.open(encoding="utf-8") as handle:
            wires_read = read_wires(source, handle, report)
            at = settings.with_(database_url=url)
            store_wires(engine, at, wires_read, domains.hooks(at), report=report)
        walls.append(time.perf_counter() - started)
        engine.dispose()
    results["full import"] = statistics.median(walls)

    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    load = f"load average {os.getloadavg()[0]:.1f}"
    print(f"{n:,} legs; {machine}, {load}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print("| stage | us per leg | legs/s if it were all |")
    print("|---|---|---|")
    for stage, seconds in results.items():
        print(f"| {stage} | {seconds * 1e6 / n:.1f} | {n / seconds:,.0f} |")


if __name__ == "__main__":
    main()
