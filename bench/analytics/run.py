"""Analytics benchmark: import rate, and every report's latency on 1 million (optionally 10
million) generated legs, on SQLite and PostgreSQL, beside a plain GROUP BY over the raw legs.

    .venv/bin/python bench/analytics/run.py --engine both --legs 1000000
    .venv/bin/python bench/analytics/run.py --engine both --legs 1000000 --replicate 10

Data: `cdrhub.analytics.demo.Generator` (the `cdrhub demo` traffic), 364 days, stored through
the bulk import path (normalize, legs, rollups in the same transactions). `--replicate N` then
copies that year N-1 times into the 52-week periods before it, in SQL (legs and their hourly and
daily rollups shifted by 364 days, monthly rollups recomputed from the daily ones), so that 10
million legs take minutes to make rather than hours. Results go to bench/analytics/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, text

from cdrhub import domains, longlived
from cdrhub.analytics.demo import Generator
from cdrhub.analytics.importer import ImportReport, read_wires, store_wires
from cdrhub.analytics.service import run_report
from cdrhub.analytics.specs import SPECS
from cdrhub.config import Settings, load_settings
from cdrhub.store.engine import make_engine
from cdrhub.store.migrate import upgrade

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DAYS = 364
LEGS_PER_CALL = 1.135  # click-to-call pairs and transfers
END = date(2026, 11, 1)
REPORTS = ("overview", "agents", "countries", "peak-hours", "queues", "ivr", "repeat-callers",
           "cost")  # fmt: skip


def database_url(engine_name: str, label: str) -> str:
    if engine_name == "sqlite":
        path = Path("/tmp") / f"cdrhub-bench-{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"cdrhub_bench_{label}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def fresh(engine_name: str, label: str, reuse: bool = False) -> tuple[Engine, Settings]:
    """An upgraded database `label`: new and empty, or (reuse) as a previous run left it."""
    if reuse:
        pg = "postgresql+psycopg://postgres@127.0.0.1:5432"
        url = (f"sqlite:////tmp/cdrhub-bench-{label}.db" if engine_name == "sqlite"
               else f"{pg}/cdrhub_bench_{label}")  # fmt: skip
    else:
        url = database_url(engine_name, label)
    settings = load_settings(env={}, database_url=url)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return engine, settings


def measure_import(engine_name: str, legs: int) -> dict[str, Any]:
    """`cdrhub import`'s path on a JSON-lines file: read, parse, normalize, store."""
    path = Path("/tmp") / f"cdrhub-bench-import-{legs}.jsonl"
    if not path.exists():
        generator = Generator(days=30, calls_per_day=int(legs / 30 / LEGS_PER_CALL), end=END)
        with path.open("w", encoding="utf-8") as handle:
            for wire in generator:
                handle.write(json.dumps(wire, ensure_ascii=False) + "\n")
    engine, settings = fresh(engine_name, "import")
    report = ImportReport()
    started = time.perf_counter()
    with path.open(encoding="utf-8") as handle:
        store_wires(
            engine,
            settings,
            read_wires(path, handle, report),
            domains.hooks(settings),
            report=report,
        )
    seconds = time.perf_counter() - started
    again = ImportReport()
    started = time.perf_counter()
    with path.open(encoding="utf-8") as handle:
        store_wires(
            engine, settings, read_wires(path, handle, again), domains.hooks(settings), report=again
        )
    again_seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "legs": report.result.new,
        "seconds": round(seconds, 1),
        "legs_per_second": round(report.result.new / seconds),
        "reimport_duplicates": again.result.duplicate,
        "reimport_legs_per_second": round(again.result.duplicate / again_seconds),
    }


def load(engine: Engine, settings: Settings, legs: int) -> dict[str, Any]:
    generator = Generator(days=DAYS, calls_per_day=int(legs / DAYS / LEGS_PER_CALL), end=END)
    report = ImportReport()
    started = time.perf_counter()
    store_wires(engine, settings, (("gen", w) for w in generator), domains.hooks(settings),
                report=report, encoding="bench")  # fmt: skip
    seconds = time.perf_counter() - started
    return {"legs": report.result.new, "seconds": round(seconds, 1),
            "legs_per_second": round(report.result.new / seconds)}  # fmt: skip


def _shift(dialect: str, column: str, days: int) -> str:
    if dialect == "sqlite":
        return f"strftime('%Y-%m-%d %H:%M:%S.000000', {column}, '-{days} days')"
    return f"{column} - interval '{days} days'"


def _month(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"strftime('%Y-%m-01 00:00:00.000000', {column})"
    return f"date_trunc('month', {column})"


def _year(dialect: str, column: str) -> str:
    if dialect == "sqlite":
        return f"strftime('%Y-01-01 00:00:00.000000', {column})"
    return f"date_trunc('year', {column})"


def _insert_shifted(conn: Any, table: str, cols: list[str], time_col: str, days: int,
                    where: str, dialect: str, first: datetime) -> None:  # fmt: skip
    shifted = [_shift(dialect, c, days) if c == time_col else c for c in cols]
    conn.execute(
        text(
            f"INSERT INTO {table} ({', '.join(cols)}) SELECT {', '.join(shifted)} "
            f"FROM {table} WHERE {where} AND {time_col} >= :first"
        ),
        {"first": first},
    )


def _regroup(conn: Any, table: str, dims: list[str], counters: list[str], source: str,
             target: str, dialect: str) -> None:  # fmt: skip
    period = _month(dialect, "period") if target == "m" else _year(dialect, "period")
    conn.execute(text(f"DELETE FROM {table} WHERE grain = '{target}'"))
    sums = ", ".join(f"SUM({c})" for c in counters)
    keys = "".join(f", {d}" for d in dims)
    conn.execute(
        text(
            f"INSERT INTO {table} (grain, period{keys}, {', '.join(counters)}) "
            f"SELECT '{target}', {period}{keys}, {sums} FROM {table} "
            f"WHERE grain = '{source}' GROUP BY {period}{keys}"
        )
    )


NUMBER_SUMS = ("SUM(rep_days), SUM(rep_contacts), SUM(rep_answered), SUM(rep_missed), "
               "MAX(rep_top), SUM(missed)")  # fmt: skip
NUMBER_COLS = ("dim, value, grain, period, number, rep_days, rep_contacts, rep_answered, "
               "rep_missed, rep_top, missed")  # fmt: skip


def derive_numbers(conn: Any) -> None:
    """`an_numbers` recomputed in SQL from the daily caller rollups, as derived.py keeps it:
    day rows for all calls and per dimension value (2+ contacts: the repeat figures; missed
    contacts), then months, years and all time summed from them."""
    dialect = conn.dialect.name
    conn.execute(text("DELETE FROM an_numbers"))
    sources = [("''", "an_callers", "")] + [
        (d, "an_callers_agent" if d == "agent" else "an_callers", f" AND {d} <> ''")
        for d in ("department", "queue", "agent", "type")
    ]
    for dim, table, where in sources:
        label = "''" if dim == "''" else f"'{dim}'"
        rep = "CASE WHEN c >= 2 THEN {} ELSE 0 END"
        by = "" if dim == "''" else f", {dim}"
        conn.execute(
            text(
                f"INSERT INTO an_numbers ({NUMBER_COLS}) "
                f"SELECT {label}, v, 'd', period, number, {rep.format(1)}, {rep.format('c')}, "
                f"{rep.format('a')}, {rep.format('m')}, {rep.format('c')}, m FROM ("
                f"SELECT period, number, {dim} AS v, SUM(contacts) AS c, SUM(answered) AS a, "
                f"SUM(missed) AS m FROM {table} WHERE grain = 'd'{where} "
                f"GROUP BY period, number{by}) t "
                "WHERE c >= 2 OR m > 0"
            )
        )
    all_time = "'1900-01-01 00:00:00.000000'" if dialect == "sqlite" else "timestamp '1900-01-01'"
    for source, target, period in (
        ("d", "m", _month(dialect, "period")),
        ("m", "y", _year(dialect, "period")),
        ("y", "a", all_time),
    ):
        group = "" if target == "a" else f", {period}"
        conn.execute(
            text(
                f"INSERT INTO an_numbers ({NUMBER_COLS}) "
                f"SELECT dim, value, '{target}', {period}, number, {NUMBER_SUMS} "
                f"FROM an_numbers WHERE grain = '{source}' GROUP BY dim, value, number{group}"
            )
        )


def clone(engine_name: str, source: str, target: str) -> None:
    """Copy the benchmark database `source` to `target` (e.g. the 1M one before replicating)."""
    if engine_name == "sqlite":
        import sqlite3

        path = Path("/tmp") / f"cdrhub-bench-{target}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(f"/tmp/cdrhub-bench-{source}.db") as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        return
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "cdrhub_bench_{target}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "cdrhub_bench_{target}" TEMPLATE "cdrhub_bench_{source}"')


def ensure_numbers(engine: Engine) -> None:
    """A database loaded before `an_numbers` existed (migration 0006): derive it once."""
    with engine.begin() as conn:
        empty = conn.execute(text("SELECT COUNT(*) FROM (SELECT 1 FROM an_numbers LIMIT 1) t"))
        legs_ = conn.execute(text("SELECT COUNT(*) FROM (SELECT 1 FROM legs LIMIT 1) t"))
        if empty.scalar() or not legs_.scalar():
            return
        derive_numbers(conn)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))


def replicate(engine: Engine, copies: int) -> dict[str, Any]:
    """Copy the generated year into the `copies - 1` 52-week periods before it: legs, hourly
    and daily rollup rows shifted by 364 days; months and years regrouped from them, and
    `an_numbers` derived from the daily caller rollups."""
    dialect = engine.dialect.name
    started = time.perf_counter()
    first = datetime.combine(END - timedelta(days=DAYS), datetime.min.time())  # the original year
    with engine.begin() as conn:
        result = conn.execute(text("SELECT * FROM legs LIMIT 0"))
        legs_cols = [c for c in list(result.keys()) if c != "id"]
        for k in range(1, copies):
            days = 364 * k
            # the copies keep every column but the payloads (raw JSON, body, AI data): 10
            # million full payloads would take 25 GB per engine, and no report reads them
            values = [
                f"ivruniqueid || '.r{k}'" if c == "ivruniqueid"
                else _shift(dialect, c, days) if c in ("started_at", "started_at_local")
                else "'{}'" if c == "raw"
                else "NULL" if c in ("raw_body", "ai_data")
                else c
                for c in legs_cols
            ]  # fmt: skip
            conn.execute(
                text(
                    f"INSERT INTO legs ({', '.join(legs_cols)}) SELECT {', '.join(values)} "
                    "FROM legs WHERE ivruniqueid NOT LIKE '%.r%'"
                )
            )
            for spec in SPECS.values():
                cols = ["grain", "period", *spec.dims, *spec.counters]
                where = "grain IN ('h', 'd')"
                _insert_shifted(conn, spec.table, cols, "period", days, where, dialect, first)
        for spec in SPECS.values():
            source = "d" if "d" in spec.grains else "h"
            for target in ("m", "y"):
                if target in spec.grains:
                    dims, counters = list(spec.dims), list(spec.counters)
                    _regroup(conn, spec.table, dims, counters, source, target, dialect)
                    source = target
        derive_numbers(conn)
        total = conn.execute(text("SELECT COUNT(*) FROM legs")).scalar()
    with engine.connect() as conn:
        if dialect == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    return {"legs": total, "seconds": round(time.perf_counter() - started, 1)}


def ranges(last: date, years: int) -> dict[str, dict[str, str]]:
    day = last.isoformat()
    return {
        "day": {"from": day, "to": day},
        "week": {"from": (last - timedelta(days=6)).isoformat(), "to": day},
        "month": {"from": (last - timedelta(days=29)).isoformat(), "to": day},
        "year": {"from": (last - timedelta(days=363)).isoformat(), "to": day},
        "all": {},
        "odd datetimes": {
            "from": f"{last - timedelta(days=364 * years - 40):%Y-%m-%d}T10:17",
            "to": f"{last - timedelta(days=3):%Y-%m-%d}T15:43",
        },
        "all, queue": {"queue": "1002"},
        "month, agent": {
            "from": (last - timedelta(days=29)).isoformat(),
            "to": day,
            "agent": "2003",
        },
    }


def timed(fn: Any, runs: int = 5, warm: bool = True) -> dict[str, float]:
    if warm:
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


GROUP_BY = (
    "SELECT direction, queue_id, agent_code, status, COUNT(*), SUM(duration), "
    "SUM(wait_seconds), SUM(price_agorot) FROM legs {where} "
    "GROUP BY direction, queue_id, agent_code, status"
)


def raw_group_by(engine: Engine, settings: Settings, params: dict[str, str]) -> Any:
    from cdrhub.analytics.filters import parse_filters

    filters = parse_filters(params, settings.tz)
    conds, args = [], {}
    if filters.start:
        conds.append("started_at >= :a")
        args["a"] = filters.start.utc
    if filters.end:
        conds.append("started_at < :b")
        args["b"] = filters.end.utc
    if "queue" in params:
        conds.append("queue_id = :q")
        args["q"] = int(params["queue"])
    if "agent" in params:
        conds.append("agent_code = :g")
        args["g"] = params["agent"]
    sql = GROUP_BY.format(where=("WHERE " + " AND ".join(conds)) if conds else "")

    def run() -> None:
        with engine.connect() as conn:
            conn.execute(text(sql), args).all()

    return run


def check(engine: Engine, settings: Settings) -> dict[str, Any]:
    """Rollups against the raw legs, for the whole range."""
    overview = run_report(engine, settings, "overview", {})["rows"][0]
    with engine.connect() as conn:
        legs, cost = conn.execute(text(
            "SELECT COUNT(*), SUM(price_agorot) FROM legs WHERE started_at IS NOT NULL"
        )).one()  # fmt: skip
    same = overview["legs"] == legs and abs(overview["cost_agorot"] - float(cost)) < 1e-6
    return {"rollup_legs": overview["legs"], "raw_legs": legs,
            "rollup_cost": overview["cost_agorot"], "raw_cost": round(float(cost), 3),
            "equal": same}  # fmt: skip


def bench_reports(engine: Engine, settings: Settings, years: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    last = END - timedelta(days=1)
    for label, params in ranges(last, years).items():
        row: dict[str, Any] = {}
        for name in REPORTS:
            row[name] = timed(lambda n=name, p=params: run_report(engine, settings, n, p))
        slow = years > 1  # seconds per run at 10 million legs: one cold run
        row["raw GROUP BY"] = timed(
            raw_group_by(engine, settings, params), runs=1 if slow else 3, warm=not slow
        )
        out[label] = row
        print(
            f"  {label:14}", "  ".join(f"{k}={v['median_ms']}" for k, v in row.items()), flush=True
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--replicate", type=int, default=1, help="10 makes 10x the legs")
    parser.add_argument("--import-legs", type=int, default=100_000)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep the database of a last run")
    parser.add_argument("--label", default="reports", help="database name suffix")
    parser.add_argument(
        "--clone-from", help="copy this label's database first (e.g. the 1M one to replicate)"
    )
    parser.add_argument("--no-reports", action="store_true", help="load (or replicate) only")
    parser.add_argument("--years", type=int, help="years of data (default: --replicate)")
    parser.add_argument("--out", help="results file name (default: from --legs x --replicate)")
    parser.add_argument("--import-only", action="store_true")
    args = parser.parse_args()
    longlived.settle()  # as `cdrhub import` and `cdrhub demo` do
    engines = ("sqlite", "postgres") if args.engine == "both" else (args.engine,)
    RESULTS.mkdir(exist_ok=True)
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "args": vars(args),
    }  # fmt: skip
    for name in engines:
        print(f"== {name}", flush=True)
        entry: dict[str, Any] = {}
        if not args.skip_import:
            entry["import"] = measure_import(name, args.import_legs)
            print("  import", entry["import"], flush=True)
        if args.import_only:
            results[name] = entry
            continue
        if args.clone_from:
            clone(name, args.clone_from, args.label)
        engine, settings = fresh(name, args.label, reuse=args.reuse or bool(args.clone_from))
        if not (args.reuse or args.clone_from):
            entry["load"] = load(engine, settings, args.legs)
            print("  load", entry["load"], flush=True)
        else:
            ensure_numbers(engine)
        if args.no_reports:
            if args.replicate > 1:
                entry["replicate"] = replicate(engine, args.replicate)
                print("  replicate", entry["replicate"], flush=True)
            engine.dispose()
            results[name] = entry
            continue
        if args.replicate > 1:
            entry["replicate"] = replicate(engine, args.replicate)
            print("  replicate", entry["replicate"], flush=True)
        else:
            entry["check"] = check(engine, settings)
            print("  check", entry["check"], flush=True)
        entry["reports"] = bench_reports(engine, settings, args.years or args.replicate)
        results[name] = entry
        engine.dispose()
    label = "import" if args.import_only else f"{args.legs * args.replicate // 1_000_000}M"
    path = RESULTS / (args.out or f"{label}-{'-'.join(engines)}.json")
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
