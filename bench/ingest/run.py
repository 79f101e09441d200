"""Ingest benchmark: durable CDRs per second and ack latency, SQLite and PostgreSQL side by side.

    .venv/bin/python bench/ingest/run.py                # both engines, defaults below
    .venv/bin/python bench/ingest/run.py --engines sqlite --duration 5 --latency-duration 5

For each engine it starts a real `cdrhub serve` (uvicorn, CDRHUB_RUN_WORKER=false) on a fresh
database, and from separate load-generator processes measures, on that same server:

1. max throughput (closed loop, `--connections` keep-alive connections, `--duration` seconds) of
   `POST /_noop` (reads the body, answers the ack, stores nothing: the baseline) and of
   `POST /voicenter/cdr/{token}` (ack only after the commit). Every request carries a distinct
   ivruniqueid, so each acked request is one new row; the rows are counted afterwards and must
   match the acks. Load generator: wrk with `unique.lua` (installed with apt-get when missing and
   we are root), else `loadgen.py closed` (Python, slower: it understates both rates);
2. ack latency at a constant `--rate` (open loop, `loadgen.py open`): each request is due at a
   fixed time and its latency is counted from that time (no coordinated omission).

Goals (from the ingest issue): ingest >= 0.5 x no-op throughput; ingest p99 < 20 ms at 200/s.
Results: a Markdown table on stdout and a JSON file (`--out`). `--profile DIR` also records a
py-spy flame graph of the server during each ingest throughput run (pip install py-spy).

Both the server and the load generator run on this machine and share its cores; the numbers are
for comparing engines and changes on one machine, not a capacity figure for production.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # tests.serverproc

from sqlalchemy import func, select  # noqa: E402
from tests.serverproc import ServerProcess, start_server  # noqa: E402

from cdrhub.store.engine import make_engine  # noqa: E402
from cdrhub.store.schema import legs  # noqa: E402

TOKEN = "bench-ingest-token-0123"
PG_ADMIN_URL = os.environ.get("CDRHUB_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
THROUGHPUT_GOAL = 0.5
# --core-only: the server and its writer process without the domains' hooks (core_only.py).
CORE_ONLY = (sys.executable, str(HERE / "core_only.py"))
P99_GOAL_MS = 20.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_wrk(allow_install: bool) -> str | None:
    """Path of wrk; installs the Debian package when missing, allowed and we are root."""
    found = shutil.which("wrk")
    if found or not allow_install:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return None
    log("wrk not found: apt-get install -y wrk")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, **quiet)
    return shutil.which("wrk")


def run_wrk(wrk: str, url: str, connections: int, duration: float, prefix: str) -> dict[str, Any]:
    cmd = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "unique.lua"),
        url,
    ]
    env = {**os.environ, "BENCH_PREFIX": prefix}
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    match = re.search(r"^WRKJSON (.*)$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    ok = raw["requests"] - raw["non_2xx"]
    return {
        "tool": "wrk",
        "connections": connections,
        "duration_s": round(seconds, 3),
        "requests": raw["requests"],
        "ok": ok,
        "non_2xx": raw["non_2xx"],
        "errors": errors,
        "rate": round(ok / seconds, 1),
        "latency": {"p50_ms": raw["p50_ms"], "p99_ms": raw["p99_ms"], "max_ms": raw["max_ms"]},
    }


def run_loadgen(mode: str, url: str, prefix: str, *args: str) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "loadgen.py"), mode, "--url", url, "--prefix", prefix, *args]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def throughput(
    wrk: str | None, url: str, connections: int, duration: float, prefix: str
) -> dict[str, Any]:
    if wrk:
        return run_wrk(wrk, url, connections, duration, prefix)
    result = run_loadgen(
        "closed", url, prefix, "--concurrency", str(connections), "--duration", str(duration)
    )
    return {
        "tool": "loadgen.py closed",
        "connections": connections,
        "duration_s": result["duration_s"],
        "requests": result["acked"] + result["not_acked"],
        "ok": result["acked"],
        "non_2xx": result["not_acked"],
        "errors": result["errors"],
        "rate": result["rate"],
        "latency": result["latency"],
    }


def count_rows(db_url: str, prefix: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(legs.c.ivruniqueid.like(f"{prefix}%"))
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


@contextmanager
def database(engine_name: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty database URL for one engine (the server migrates it on start)."""
    if engine_name == "sqlite":
        yield f"sqlite:///{workdir / 'bench.db'}"
        return
    import psycopg

    name = f"cdrhub_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def profiling(
    server: ServerProcess, out: Path | None, seconds: float, idle: bool = False
) -> Iterator[None]:
    """py-spy profile of the server (all its processes) while the block runs: a flame graph,
    or collapsed stacks when `out` ends in .txt; `idle` keeps the samples of threads that wait
    (a writer waiting on PostgreSQL shows where the round trips are)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if out is None or not Path(spy).exists():
        if out is not None:
            log("py-spy not found: pip install py-spy; no profile recorded")
        yield
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [spy, "record", "--pid", str(server.pid), "--subprocesses", "--nonblocking"]
    cmd += ["--idle"] if idle else []
    cmd += ["--rate", "250", "--duration", str(max(1, int(seconds) - 1)), "-o", str(out)]
    if out.suffix == ".txt":  # collapsed stacks, for reading or diffing as text
        cmd += ["--format", "raw"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.wait(timeout=60)
        log(f"profile: {out}")


def bench_engine(
    engine_name: str, args: argparse.Namespace, wrk: str | None, writer: str
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    prefix = f"20231115092000{run}"
    load_before = loadavg()
    with (
        tempfile.TemporaryDirectory(prefix="cdrhub-bench-") as tmp,
        database(engine_name, Path(tmp)) as db_url,
    ):
        env = {
            "CDRHUB_DATABASE_URL": db_url,
            "CDRHUB_INGEST_TOKEN": TOKEN,
            "CDRHUB_API_KEY": "bench-api-key-0123456789",
            "CDRHUB_RUN_WORKER": "false",
            "CDRHUB_INGEST_WRITER": writer,
            "CDRHUB_BENCH_NOOP": "true",  # the baseline route, off unless asked for
        }
        extra = ["--workers", str(args.workers)] if args.workers != 1 else []
        server = start_server(
            env,
            extra_args=extra,
            log_path=Path(tmp) / "serve.log",
            launcher=CORE_ONLY if args.core_only else (),
        )
        try:
            noop_url = f"{server.base_url}/_noop"
            ingest_url = f"{server.base_url}/voicenter/cdr/{TOKEN}"
            log(f"[{engine_name}] warm-up")
            throughput(wrk, noop_url, args.connections, 2, f"{prefix}w")
            throughput(wrk, ingest_url, args.connections, 2, f"{prefix}w")

            # No-op and ingest alternate, `--rounds` times: a load that comes and goes on a
            # shared machine then weighs on both; the medians are compared.
            rounds = []
            for r in range(args.rounds):
                log(f"[{engine_name}] throughput round {r + 1}/{args.rounds}: no-op")
                one_noop = throughput(
                    wrk, noop_url, args.connections, args.duration, f"{prefix}n{r}"
                )
                log(f"[{engine_name}] throughput round {r + 1}/{args.rounds}: ingest")
                profile = (
                    args.profile / f"{engine_name}-ingest.{args.profile_format}"
                    if args.profile and r == 0
                    else None
                )
                with profiling(server, profile, args.duration, args.profile_idle):
                    one = throughput(
                        wrk, ingest_url, args.connections, args.duration, f"{prefix}t{r}"
                    )
                one["rows"] = count_rows(db_url, f"{prefix}t{r}")
                rounds.append((one_noop, one))
            noop = median_run([n for n, _i in rounds])
            ingest = median_run([i for _n, i in rounds])

            rate = ["--rate", str(args.rate), "--duration", str(args.latency_duration)]
            log(f"[{engine_name}] latency at {args.rate}/s: no-op")
            noop_lat = run_loadgen("open", noop_url, f"{prefix}m", *rate)
            log(f"[{engine_name}] latency at {args.rate}/s: ingest")
            ingest_lat = run_loadgen("open", ingest_url, f"{prefix}l", *rate)
            ingest_lat["rows"] = count_rows(db_url, f"{prefix}l")
        except BaseException:
            log(server.log_tail())
            raise
        finally:
            server.stop()
    ratio = ingest["rate"] / noop["rate"] if noop["rate"] else 0.0
    label = engine_name if writer == "process" else f"{engine_name} ({writer} writer)"
    load_after = loadavg()
    p99 = ingest_lat["latency"].get("p99_ms", float("inf"))
    return {
        "engine": label,
        "writer": writer,
        "rounds": [
            {"noop": n["rate"], "ingest": i["rate"], "ratio": round(i["rate"] / n["rate"], 3)}
            for n, i in rounds
        ],
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "noop": noop,
        "ingest": ingest,
        "ratio": round(ratio, 3),
        "noop_latency": noop_lat,
        "ingest_latency": ingest_lat,
        "throughput_goal_met": ratio >= THROUGHPUT_GOAL,
        "latency_goal_met": p99 < P99_GOAL_MS and ingest_lat["errors"] == 0,
        "durability_check": all(i["rows"] >= i["ok"] for _n, i in rounds)
        and ingest_lat["rows"] >= ingest_lat["acked"],
    }


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median rate (the lower middle one of an even number)."""
    return sorted(runs, key=lambda run: run["rate"])[(len(runs) - 1) // 2]


def loadavg() -> float:
    """1-minute load average: other work on the machine skews the numbers; it is recorded."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return -1.0


def machine() -> dict[str, Any]:
    def sh(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return ""

    model = re.search(r"Model name:\s*(.*)", sh("lscpu"))
    commit = sh("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD")
    dirty = bool(sh("git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"))
    return {
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "nproc": os.cpu_count(),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit + ("+dirty" if dirty else ""),
        "wrk": shutil.which("wrk") is not None,
    }


def markdown(results: list[dict[str, Any]], args: argparse.Namespace, info: dict[str, Any]) -> str:
    lines = [
        f"{info['date_utc']} UTC, {info['nproc']} cores ({info['cpu']}), Python {info['python']}, "
        f"commit {info['commit']}, server `cdrhub serve --workers {args.workers}`"
        f"{' without domain hooks (--core-only)' if args.core_only else ''}, "
        f"throughput by {results[0]['ingest']['tool']} with {args.connections} connections "
        f"x {args.duration:g} s (median of {args.rounds} alternated rounds), "
        f"latency by loadgen.py open at {args.rate:g}/s "
        f"x {args.latency_duration:g} s.",
        "",
        "| engine | no-op req/s | ingest CDRs/s | ratio (goal >= 0.5) "
        "| ack p50 / p99 at 200/s, ms (goal p99 < 20) | no-op p50 / p99, ms | rows = acks "
        "| load avg before / after | ratio per round |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        il, nl = r["ingest_latency"]["latency"], r["noop_latency"]["latency"]
        ok = "yes" if r["durability_check"] else "**NO**"
        per_round = ", ".join(f"{x['ratio']:.2f}" for x in r["rounds"])
        lines.append(
            f"| {r['engine']} | {r['noop']['rate']:.0f} | {r['ingest']['rate']:.0f} "
            f"| {r['ratio']:.2f} {'met' if r['throughput_goal_met'] else '**missed**'} "
            f"| {il['p50_ms']:.1f} / {il['p99_ms']:.1f} "
            f"{'met' if r['latency_goal_met'] else '**missed**'} "
            f"| {nl['p50_ms']:.1f} / {nl['p99_ms']:.1f} | {ok} "
            f"| {r['loadavg_before']:.1f} / {r['loadavg_after']:.1f} "
            f"| {per_round} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--duration", type=float, default=10.0, help="throughput run, seconds")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--rounds", type=int, default=3, help="no-op/ingest throughput pairs; medians compared"
    )
    parser.add_argument(
        "--writers",
        default="process",
        help="ingest writer modes to run, e.g. process,thread (CDRHUB_INGEST_WRITER)",
    )
    parser.add_argument("--rate", type=float, default=200.0, help="latency run, requests/s")
    parser.add_argument("--latency-duration", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--core-only", action="store_true", help="diagnostic: no domain hooks in ingest"
    )
    parser.add_argument("--loadgen", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install wrk")
    parser.add_argument("--profile", type=Path, help="directory for py-spy flame graphs")
    parser.add_argument(
        "--profile-format", choices=("svg", "txt"), default="svg", help="flame graph or stacks"
    )
    parser.add_argument(
        "--profile-idle", action="store_true", help="profile: keep the samples of waiting threads"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)

    wrk = None
    if args.loadgen != "python":
        wrk = ensure_wrk(allow_install=not args.no_install)
        if wrk is None and args.loadgen == "wrk":
            parser.error("wrk not found (apt-get install wrk)")
        if wrk is None:
            log("wrk unavailable: falling back to the Python load generator (slower)")
    info = machine()
    results = []
    for name in [e.strip() for e in args.engines.split(",") if e.strip()]:
        for writer in [w.strip() for w in args.writers.split(",") if w.strip()]:
            started = time.monotonic()
            results.append(bench_engine(name, args, wrk, writer))
            log(f"[{name}, {writer} writer] done in {time.monotonic() - started:.0f} s")
    table = markdown(results, args, info)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "machine": info,
                "args": vars(args) | {"profile": str(args.profile)},
                "results": results,
            },
            indent=2,
            default=str,
        )
        + "\n"
    )
    print(table)
    log(f"results: {args.out}")
    return 0 if all(r["durability_check"] for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
