"""Soak: a long run of distinct CDRs into one `cdrhub serve`, watching latency and memory.

    .venv/bin/python bench/soak/run.py                       # 1,000,000 CDRs into SQLite
    .venv/bin/python bench/soak/run.py --total 200000 --window 20000   # a shorter look

It starts a real `cdrhub serve` (as deployed: uvicorn and the ingest writer process; the outbox
worker off, so nothing leaves the machine) on a fresh SQLite database, and posts `--total`
realistic JSON CDRs, each with its own ivruniqueid, over `--connections` keep-alive connections
(closed loop: each connection sends its next CDR when the previous one is acknowledged). For
every `--window` CDRs it prints one row: the window's ack latency p50/p99/max, its rate, and the
resident memory (RSS) of the server and of each of its child processes, read from /proc. At the
end it counts the stored legs, which must equal the acks.

What a healthy run shows: RSS flat after the first windows (warm-up), p99 not rising with the
size of the database. Results: a Markdown table on stdout, every figure in a JSON file (`--out`,
default bench/soak/results/latest.json). Numbers are for this machine and this moment; the
load generator shares the cores with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # tests.serverproc
sys.path.insert(0, str(ROOT / "bench" / "ingest"))  # loadgen

from loadgen import Connection, HttpError, acked, cdr_body, percentiles  # noqa: E402
from sqlalchemy import func, select  # noqa: E402
from tests.serverproc import start_server  # noqa: E402

from cdrhub.store.engine import make_engine  # noqa: E402
from cdrhub.store.schema import legs  # noqa: E402

TOKEN = "soak-ingest-token-0123456789"
PAGE = os.sysconf("SC_PAGE_SIZE")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return round(int(f.read().split()[1]) * PAGE / 2**20, 1)
    except OSError:
        return None


def children(pid: int) -> list[int]:
    """The direct child processes of `pid` (the ingest writer, a resource tracker)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                # the command name may hold spaces: the parent pid is the 2nd field after ")"
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            found.append(int(entry))
    return sorted(found)


def process_memory(pid: int) -> dict[str, float | None]:
    memory = {"server": rss_mib(pid)}
    for child in children(pid):
        with open(f"/proc/{child}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        name = (
            "tracker"
            if "resource_tracker" in cmd
            else "writer"
            if "spawn_main" in cmd
            else cmd[:20]
        )
        memory[name] = rss_mib(child)
    return memory


async def soak(
    url: str, total: int, window: int, connections: int, prefix: str, pid: int, db_file: Path
) -> list[dict[str, Any]]:
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    counter = iter(range(total))
    rows: list[dict[str, Any]] = []
    latencies: list[float] = []
    state = {"ok": 0, "bad": 0, "errors": 0, "done": 0, "window_start": time.perf_counter()}
    loop = asyncio.get_running_loop()

    def close_window() -> None:
        now = time.perf_counter()
        seconds = now - state["window_start"]
        row = {
            "cdrs": state["done"],
            "rate": round(len(latencies) / seconds, 1),
            "latency": percentiles(latencies),
            "rss_mib": process_memory(pid),
            "db_mib": round(
                sum(p.stat().st_size for p in db_file.parent.glob(db_file.name + "*")) / 2**20, 1
            ),
            "loadavg": os.getloadavg()[0],
        }
        rows.append(row)
        lat = row["latency"]
        log(
            f"{row['cdrs']:>9,} CDRs  {row['rate']:>7.1f}/s  p50 {lat['p50_ms']:.1f} ms  "
            f"p99 {lat['p99_ms']:.1f} ms  RSS {row['rss_mib']}  db {row['db_mib']} MiB"
        )
        latencies.clear()
        state["window_start"] = now

    async def client() -> None:
        conn = Connection(host, int(port))
        for n in counter:
            started = loop.time()
            try:
                status, data = await conn.post(path, cdr_body(prefix, n))
            except (OSError, HttpError, asyncio.IncompleteReadError, ValueError):
                conn.close()
                state["errors"] += 1
            else:
                latencies.append(loop.time() - started)
                state["ok" if acked(status, data) else "bad"] += 1
            state["done"] += 1
            if state["done"] % window == 0:
                close_window()
        conn.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    if latencies:
        close_window()
    rows.append({"ok": state["ok"], "bad": state["bad"], "errors": state["errors"]})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=1_000_000, help="CDRs to post")
    parser.add_argument("--window", type=int, default=100_000, help="CDRs per reported window")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)

    prefix = f"20231115092000{uuid.uuid4().hex[:6]}"
    with tempfile.TemporaryDirectory(prefix="cdrhub-soak-") as tmp:
        db_file = Path(tmp) / "soak.db"
        db_url = f"sqlite:///{db_file}"
        env = {
            "CDRHUB_DATABASE_URL": db_url,
            "CDRHUB_INGEST_TOKEN": TOKEN,
            "CDRHUB_API_KEY": "soak-api-key-0123456789",
            "CDRHUB_RUN_WORKER": "false",
        }
        server = start_server(env, log_path=Path(tmp) / "serve.log")
        started = time.perf_counter()
        try:
            url = f"{server.base_url}/voicenter/cdr/{TOKEN}"
            rows = asyncio.run(
                soak(url, args.total, args.window, args.connections, prefix, server.pid, db_file)
            )
        except BaseException:
            log(server.log_tail())
            raise
        finally:
            server.stop()
        elapsed = time.perf_counter() - started
        engine = make_engine(db_url)
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(legs)).scalar_one()
        engine.dispose()

    totals = rows.pop()
    result = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "total": args.total,
        "connections": args.connections,
        "elapsed_s": round(elapsed, 1),
        "stored": stored,
        **totals,
        "windows": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result))
    return 0 if stored == totals["ok"] and not totals["errors"] else 1


def markdown(result: dict[str, Any]) -> str:
    names = sorted(
        {name for w in result["windows"] for name in w["rss_mib"]}, key=lambda n: (n != "server", n)
    )
    head = (
        "| CDRs | rate/s | p50 ms | p99 ms | max ms | "
        + " | ".join(f"RSS {n} MiB" for n in names)
        + " | db MiB | load |"
    )
    lines = [
        f"{result['date']}, {result['machine']}: {result['total']:,} CDRs over "
        f"{result['connections']} connections in {result['elapsed_s']} s; acked {result['ok']:,}, "
        f"stored {result['stored']:,}, errors {result['errors']}",
        "",
        head,
        "|" + "---|" * (head.count("|") - 1),
    ]
    for w in result["windows"]:
        lat = w["latency"]
        rss = " | ".join(str(w["rss_mib"].get(n, "")) for n in names)
        lines.append(
            f"| {w['cdrs']:,} | {w['rate']} | {lat['p50_ms']} | {lat['p99_ms']} | "
            f"{lat['max_ms']} | {rss} | {w['db_mib']} | {w['loadavg']:.2f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
