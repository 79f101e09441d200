"""Where a report's time goes: every SQL statement of one `run_report`, with its time and rows,
and the time outside SQL (Python), on a benchmark database.

    .venv/bin/python bench/analytics/profile.py --engine postgres --label 10m \
        --report overview --range "odd datetimes"
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from cdrhub.analytics.service import run_report

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import END, fresh, ranges


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--label", default="10m")
    parser.add_argument("--report", default="overview")
    parser.add_argument("--range", default="odd datetimes")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sql", type=int, default=300, help="characters of SQL shown")
    parser.add_argument(
        "--explain", type=float, help="EXPLAIN ANALYZE (PostgreSQL) statements slower than N ms"
    )
    args = parser.parse_args()
    engine, settings = fresh(args.engine, args.label, reuse=True)
    params = ranges(END - timedelta(days=1), args.years)[args.range]
    statements: list[list[Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany) -> None:
        elapsed = (time.perf_counter() - conn.info["started"]) * 1000
        statements.append([elapsed, statement, parameters, cursor.rowcount])

    run_report(engine, settings, args.report, params)  # warm
    totals, runs = [], []
    for _ in range(args.runs):
        statements.clear()
        started = time.perf_counter()
        run_report(engine, settings, args.report, params)
        totals.append((time.perf_counter() - started) * 1000)
        runs.append(list(statements))
    median = statistics.median(totals)
    chosen = runs[totals.index(sorted(totals)[len(totals) // 2])]
    sql_ms = sum(s[0] for s in chosen)
    print(f"{args.report} / {args.range} on {args.engine}: median {median:.1f} ms "
          f"(runs {', '.join(f'{t:.1f}' for t in totals)}); in SQL {sql_ms:.1f} ms "
          f"({len(chosen)} statements), outside {median - sql_ms:.1f} ms")  # fmt: skip
    for elapsed, statement, parameters, rowcount in chosen:
        sql = " ".join(statement.split())
        print(f"{elapsed:7.2f} ms  rows={rowcount:<6} {sql[: args.sql]}")
        if args.sql > 300:
            print(f"            params={str(parameters)[: args.sql]}")
        if args.explain is not None and elapsed > args.explain and args.engine == "postgres":
            raw = engine.raw_connection()
            try:
                cursor = raw.cursor()
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                print("\n".join("            " + r[0] for r in cursor.fetchall()))
            finally:
                raw.close()


if __name__ == "__main__":
    main()
