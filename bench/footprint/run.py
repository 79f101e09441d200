"""Footprint: how long `cdrhub serve` takes to answer, and how much memory it holds at idle.

    .venv/bin/python bench/footprint/run.py                 # 5 runs of this checkout's cdrhub
    .venv/bin/python bench/footprint/run.py --runs 3 \\
        --variant base=/work/wt/fpbase/.venv/bin/cdrhub --variant new=.venv/bin/cdrhub

Each run starts a real `cdrhub serve` (the `cdrhub` script, exactly as deployed: uvicorn, the
ingest writer process, the outbox worker) on a fresh SQLite database in a temporary directory,
and times from the start until `/healthz` answers 200 (`healthz_s`) and until `/readyz` does
(`readyz_s`: the writer process has committed its heartbeat); then, once stopped, a second start
on the same database until `/healthz` answers (`restart_healthz_s`: no migration to apply).
With each, the CPU time the server process had used by then (`*_cpu_s`, user + system, from
/proc/PID/stat): on a busy machine the wall time stretches with the load, the CPU time much less,
and on a quiet one the start is about that long.
Before stopping the first, after `--idle` seconds more, it reads
the memory of the server and of every process below it from /proc/PID/smaps_rollup: RSS
(resident), PSS (resident, pages shared between processes split among them) and USS (private
to the process: what killing it gives back). The sum of PSS is the honest total of the tree.

The server runs without PYTHONDONTWRITEBYTECODE, as deployed, after one start of each variant
that is not recorded (it writes the bytecode caches of an editable install).

Several variants (`--variant name=path/to/cdrhub`, each an installed `cdrhub` script) are run
alternately, run by run, so that a load on the machine that comes and goes weighs on each alike.
Results: a Markdown table on stdout (medians), every figure in a JSON file (`--out`, default
bench/footprint/results/latest.json) with the machine and its load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TOKEN = "footprint-ingest-token-0123456789"
API_KEY = "footprint-api-key-0123456789"
SERVER_ENV_DROPPED = ("CDRHUB_", "PYTHONDONTWRITEBYTECODE")
TICKS = os.sysconf("SC_CLK_TCK")
FIELDS = {"Rss": "rss", "Pss": "pss", "Private_Clean": "uss", "Private_Dirty": "uss"}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def status_of(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def wait_for(url: str, start: float, proc: subprocess.Popen[bytes], limit: float) -> float:
    """Seconds from `start` until `url` answers 200."""
    while time.perf_counter() - start < limit:
        if status_of(url) == 200:
            return time.perf_counter() - start
        if proc.poll() is not None:
            raise RuntimeError(f"cdrhub serve exited ({proc.returncode})")
        time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer 200 within {limit:g} s")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far (its children not counted)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (the ingest writer, multiprocessing's resource tracker)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = [], [pid]
    while frontier:
        here = frontier.pop()
        below = sorted(child for child, parent in parents.items() if parent == here)
        found += below
        frontier += below
    return found


def memory_mib(pid: int) -> dict[str, Any]:
    """RSS, PSS and USS of one process in MiB, and what it runs."""
    kib = {"rss": 0, "pss": 0, "uss": 0}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name in FIELDS:
                kib[FIELDS[name]] += int(rest.split()[0])
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = f.read().split(b"\0")
    command = " ".join(part.decode(errors="replace") for part in argv[:4])[:120]
    return {"pid": pid, "command": command, **{k: round(v / 1024, 1) for k, v in kib.items()}}


def start(cdrhub: str, tmp: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    with open(Path(tmp) / "serve.log", "ab") as out:
        return subprocess.Popen(
            [cdrhub, "serve", "--port", str(port)],
            cwd=tmp,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def one_run(cdrhub: str, idle: float, limit: float) -> dict[str, Any]:
    """A first start on a new database (migrations create it), memory after `idle` seconds,
    then a second start on that database (what a restart costs)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="cdrhub-footprint-") as tmp:
        env = {
            # as deployed: bytecode is cached (PYTHONDONTWRITEBYTECODE would compile every
            # module of cdrhub from source at each start, ~0.2 s)
            **{k: v for k, v in os.environ.items() if not k.startswith(SERVER_ENV_DROPPED)},
            "CDRHUB_DATABASE_URL": f"sqlite:///{tmp}/cdrhub.db",
            "CDRHUB_INGEST_TOKEN": TOKEN,
            "CDRHUB_API_KEY": API_KEY,
        }
        began = time.perf_counter()
        proc = start(cdrhub, tmp, port, env)
        try:
            healthz = wait_for(f"{base}/healthz", began, proc, limit)
            healthz_cpu = cpu_seconds(proc.pid)
            readyz = wait_for(f"{base}/readyz", began, proc, limit)
            time.sleep(idle)
            processes = [memory_mib(pid) for pid in [proc.pid, *descendants(proc.pid)]]
        finally:
            stop(proc)
        began = time.perf_counter()
        proc = start(cdrhub, tmp, port, env)
        try:
            again = wait_for(f"{base}/healthz", began, proc, limit)
            again_cpu = cpu_seconds(proc.pid)
        finally:
            stop(proc)
    total = {k: round(sum(p[k] for p in processes), 1) for k in ("rss", "pss", "uss")}
    return {
        "healthz_s": round(healthz, 3),
        "readyz_s": round(readyz, 3),
        "restart_healthz_s": round(again, 3),
        "healthz_cpu_s": round(healthz_cpu, 2),
        "restart_healthz_cpu_s": round(again_cpu, 2),
        "processes": processes,
        "total": total,
        "largest_rss": max(p["rss"] for p in processes),
    }


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def of(pick: Any) -> float:
        return median([pick(run) for run in runs])

    return {
        "healthz_s": of(lambda r: r["healthz_s"]),
        "readyz_s": of(lambda r: r["readyz_s"]),
        "restart_healthz_s": of(lambda r: r["restart_healthz_s"]),
        "healthz_cpu_s": of(lambda r: r["healthz_cpu_s"]),
        "restart_healthz_cpu_s": of(lambda r: r["restart_healthz_cpu_s"]),
        "server_rss": of(lambda r: r["processes"][0]["rss"]),
        "server_uss": of(lambda r: r["processes"][0]["uss"]),
        "children_rss": [
            median([run["processes"][i]["rss"] for run in runs])
            for i in range(1, min(len(run["processes"]) for run in runs))
        ],
        "largest_rss": of(lambda r: r["largest_rss"]),
        "total_rss": of(lambda r: r["total"]["rss"]),
        "total_pss": of(lambda r: r["total"]["pss"]),
        "total_uss": of(lambda r: r["total"]["uss"]),
    }


def table(results: dict[str, dict[str, Any]]) -> str:
    head = (
        "| variant | /healthz s (CPU) | /readyz s | restart /healthz s (CPU) | server RSS | "
        "children RSS | "
        "largest RSS | total RSS | total PSS | total USS |"
    )
    rows = [head, "|---" * 10 + "|"]
    for name, result in results.items():
        s = result["median"]
        kids = " + ".join(f"{v:g}" for v in s["children_rss"])
        rows.append(
            f"| {name} | {s['healthz_s']:.2f} ({s['healthz_cpu_s']:.2f}) | {s['readyz_s']:.2f} | "
            f"{s['restart_healthz_s']:.2f} ({s['restart_healthz_cpu_s']:.2f}) | "
            f"{s['server_rss']:g} | {kids} | {s['largest_rss']:g} | {s['total_rss']:g} | "
            f"{s['total_pss']:g} | {s['total_uss']:g} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each variant")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before measuring")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds to wait for 200")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=CDRHUB",
        help="a `cdrhub` script to measure (repeatable); default: this venv's",
    )
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args()
    # absolute: each server runs in its own temporary directory
    variants = {n: os.path.abspath(p) for n, p in (v.split("=", 1) for v in args.variant)} or {
        "this": str(Path(sys.executable).parent / "cdrhub")
    }
    for name, cdrhub in variants.items():  # a first start writes the bytecode caches
        log(f"warm-up {name}")
        one_run(cdrhub, 0, args.limit)
    load_before = os.getloadavg()
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for i in range(args.runs):
        for name, cdrhub in variants.items():
            run = one_run(cdrhub, args.idle, args.limit)
            run["load_average"] = round(os.getloadavg()[0], 2)
            runs[name].append(run)
            log(
                f"run {i + 1} {name}: healthz {run['healthz_s']:.2f} s "
                f"(CPU {run['healthz_cpu_s']:.2f} s), readyz "
                f"{run['readyz_s']:.2f} s, again {run['restart_healthz_s']:.2f} s, "
                f"RSS {[p['rss'] for p in run['processes']]} MiB, "
                f"PSS total {run['total']['pss']} MiB (load {run['load_average']})"
            )
    results = {name: {"median": summary(rs), "runs": rs} for name, rs in runs.items()}
    document = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "node": platform.node(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "kernel": platform.release(),
        },
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "idle_s": args.idle,
        "variants": variants,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1) + "\n")
    print(table(results))
    print(f"\nload average {document['load_average_before']} -> {document['load_average_after']}")


if __name__ == "__main__":
    main()
