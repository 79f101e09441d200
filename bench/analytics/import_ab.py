"""A/B of `cdrhub import`'s rate: two source trees alternated on one machine, so that a load
that comes and goes hits both alike.

    .venv/bin/python bench/analytics/import_ab.py --base /work/wt/base/src --rounds 3

Each round imports the same generated JSON-lines file (`run.py`'s `measure_import`: new legs,
then the same file again, all duplicates) on each engine, once with each tree's `src` first on
PYTHONPATH, in a fresh process and database of its own; the order of the two trees alternates
round by round. Results: bench/analytics/results/<out>.json, and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def one(engine_name: str, legs: int, label: str) -> dict[str, Any]:
    """One import measurement in this process (the tree is whatever `cdrhub` imports)."""
    sys.path.insert(0, str(HERE))
    import run  # bench/analytics/run.py

    run.longlived.settle()
    original = run.fresh
    run.fresh = lambda name, _label, reuse=False: original(name, label, reuse)  # own database
    try:
        return run.measure_import(engine_name, legs)
    finally:
        if engine_name == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"/tmp/cdrhub-bench-{label}.db{suffix}").unlink(missing_ok=True)
        else:
            with run.psycopg.connect(run.PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "cdrhub_bench_{label}" WITH (FORCE)')


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as handle:
        return handle.read().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the other tree's src directory")
    parser.add_argument("--head", default=str(ROOT / "src"), help="this tree's src directory")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--legs", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", default="import-ab")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # engine: the child's measurement
    args = parser.parse_args()
    if args.one:
        label = f"import_ab_{os.getpid()}"
        print(json.dumps(one(args.one, args.legs, label)))
        return
    trees = {"base": args.base, "head": args.head}
    runs: list[dict[str, Any]] = []
    for round_ in range(args.rounds):
        order = ["base", "head"] if round_ % 2 == 0 else ["head", "base"]
        for engine_name in args.engines.split(","):
            for tree in order:
                env = {**os.environ, "PYTHONPATH": trees[tree]}
                before = _load()
                started = time.perf_counter()
                out = subprocess.run(
                    [sys.executable, __file__, "--base", args.base, "--legs", str(args.legs),
                     "--one", engine_name],
                    env=env, capture_output=True, text=True, check=True,
                )  # fmt: skip
                result = json.loads(out.stdout.strip().splitlines()[-1])
                entry = {"round": round_ + 1, "engine": engine_name, "tree": tree,
                         "load_before": before, "load_after": _load(),
                         "wall": round(time.perf_counter() - started, 1), **result}  # fmt: skip
                runs.append(entry)
                print(json.dumps(entry), flush=True)
    summary = {}
    for engine_name in args.engines.split(","):
        rates = {}
        for tree in trees:
            mine = [r for r in runs if r["engine"] == engine_name and r["tree"] == tree]
            rates[tree] = {
                "new_legs_per_s": statistics.median(r["legs_per_second"] for r in mine),
                "reimport_legs_per_s": statistics.median(
                    r["reimport_legs_per_second"] for r in mine
                ),
            }
        summary[engine_name] = {
            **rates,
            "head/base new": round(
                rates["head"]["new_legs_per_s"] / rates["base"]["new_legs_per_s"], 2
            ),
            "head/base reimport": round(
                rates["head"]["reimport_legs_per_s"] / rates["base"]["reimport_legs_per_s"], 2
            ),
        }
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "args": vars(args),
        "runs": runs,
        "summary": summary,
    }
    path = HERE / "results" / f"{args.out}.json"
    path.write_text(json.dumps(results, indent=2))
    print(json.dumps(summary, indent=2))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
