"""Outbox benchmark: ingest rate and SMS delay with a backlog of failing bulk jobs, and without.

    .venv/bin/python bench/outbox/backlog.py                       # SQLite and PostgreSQL
    .venv/bin/python bench/outbox/backlog.py --engines sqlite --duration 5 --sms 2 --rounds 1

For each engine and each scenario it prepares a fresh database, starts a real `cdrhub serve`
with its in-process worker on (`CDRHUB_RUN_WORKER=true`, as deployed) and measures:

1. ingest throughput: `bench/ingest/loadgen.py closed` (`--connections` keep-alive connections
   for `--duration` seconds) against `POST /voicenter/cdr/{token}`;
2. SMS delay: `--sms` queue abandons (each from another caller) posted one after the other;
   the time from each ack to the moment the local Twilio stand-in receives its message.

Scenarios, on the same data (`--backlog` stored legs with one CRM webhook job each):

- `clean`: no CRM webhook is configured; the backlog's jobs are done already (the worker idles
  until the abandons come).
- `backlog`: the webhook host answers 500; the backlog's jobs are all due (a host that failed
  while CDRs kept coming), and every CDR ingested during the run adds one more.
- `backlog-noworker` (optional): `backlog` with the worker off (`CDRHUB_RUN_WORKER=false`, no
  SMS measured): what ingest costs with the extra job per CDR but nobody working the outbox,
  so that `backlog` against it shows what the worker itself takes away.

The scenarios alternate `--rounds` times per engine (a load that comes and goes on a shared
machine weighs on both), and the table gives each round's ratio and the median of the rates.
Everything runs on this machine; no request leaves 127.0.0.1 (recording downloads are off).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))  # tests.*, bench.ingest.*

import httpx  # noqa: E402
from bench.ingest.loadgen import cdr_body  # noqa: E402
from bench.ingest.run import database, loadavg, run_loadgen  # noqa: E402
from sqlalchemy import update  # noqa: E402
from tests.automations.fakes import FakeServer, Reply, twilio_responder, twilio_sent  # noqa: E402
from tests.automations.helpers import recent  # noqa: E402
from tests.serverproc import start_server  # noqa: E402

from cdrhub import domains  # noqa: E402
from cdrhub.config import load_settings  # noqa: E402
from cdrhub.ingest.pipeline import Incoming, ingest  # noqa: E402
from cdrhub.jobs.tables import outbox_jobs  # noqa: E402
from cdrhub.store.engine import make_engine, write_transaction  # noqa: E402
from cdrhub.store.migrate import upgrade  # noqa: E402
from cdrhub.voicenter.normalize import normalize  # noqa: E402

TOKEN = "bench-ingest-token-0123456789"
SID, AUTH = "AC0123456789", "bench-secret"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def settings_toml(twilio_url: str, webhook_url: str, webhook: bool) -> str:
    hook = f'[[crm.webhooks]]\nname = "crm"\nurl = "{webhook_url}/hook"\n' if webhook else ""
    return f"""\
[channels.twilio]
account_sid = "{SID}"
auth_token = "{AUTH}"
from = "+972722776772"
base_url = "{twilio_url}"

[[rules]]
name = "abandoned-queue"
when = {{ type = "Queue", status = "ABANDONE" }}
actions = [ {{ do = "sms", via = "twilio", to = "caller", text = "Sorry we missed you." }} ]

[crm.recordings]
enabled = false

{hook}"""


def prefill(db_url: str, config: Path, legs: int, failing: bool) -> None:
    """`legs` stored legs, each with its CRM webhook job: all due (failing) or all done."""
    engine = make_engine(db_url)
    upgrade(engine)
    settings = load_settings(env={"CDRHUB_CONFIG": str(config)}, database_url=db_url)
    hooks = domains.hooks(settings)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    prefix = f"20231115092000pre{uuid.uuid4().hex[:6]}"
    for start in range(0, legs, 200):
        batch = []
        for n in range(start, min(legs, start + 200)):
            wire = json.loads(cdr_body(prefix, n))
            leg = normalize(wire, tz=settings.tz, time_mode=settings.time_mode, received_at=now)
            batch.append(Incoming(leg, "json"))
        ingest(engine, batch, hooks, now)
    if not failing:
        with write_transaction(engine) as conn:
            conn.execute(update(outbox_jobs).values(status="done", finished_at=now))
    engine.dispose()


def sms_delays(
    base_url: str, twilio: FakeServer, count: int, settings_env: dict[str, str], wait: float
) -> list:
    """Seconds from each abandon's ack to its SMS at the Twilio stand-in (None: not in `wait`)."""
    delays: list[float | None] = []
    settings = load_settings(env=settings_env)
    with httpx.Client(timeout=30) as client:
        for i in range(count):
            before = len(twilio_sent(twilio))
            caller, uid = f"05098765{i:02d}", f"20231115120640bench{i}"
            wire = recent(minutes_ago=1, settings=settings, caller=caller, ivruniqueid=uid)
            answer = client.post(f"{base_url}/voicenter/cdr/{TOKEN}", json=wire)
            acked = time.monotonic()
            if answer.json().get("Err") != 0:
                raise RuntimeError(f"abandon not acked: {answer.text}")
            while len(twilio_sent(twilio)) == before and time.monotonic() - acked < wait:
                time.sleep(0.005)
            got = len(twilio_sent(twilio)) > before
            delays.append(round(time.monotonic() - acked, 3) if got else None)
            log(f"  sms {i + 1}/{count}: {delays[-1]} s")
    return delays


def run_scenario(
    engine_name: str, scenario: str, args: argparse.Namespace, round_no: int
) -> dict[str, Any]:
    failing = scenario.startswith("backlog")
    working = not scenario.endswith("noworker")
    hook = FakeServer(lambda seen: Reply(500, "down"))
    twilio = FakeServer(twilio_responder(SID, AUTH))
    load_before = loadavg()
    with (
        hook,
        twilio,
        tempfile.TemporaryDirectory(prefix="cdrhub-bench-") as tmp,
        database(engine_name, Path(tmp)) as db_url,
    ):
        config = Path(tmp) / "cdrhub.toml"
        config.write_text(settings_toml(twilio.url, hook.url, True), encoding="utf-8")
        log(f"[{engine_name} {scenario}] prefill {args.backlog} legs")
        prefill(db_url, config, args.backlog, failing)
        config.write_text(settings_toml(twilio.url, hook.url, failing), encoding="utf-8")
        env = {
            "CDRHUB_DATABASE_URL": db_url,
            "CDRHUB_CONFIG": str(config),
            "CDRHUB_INGEST_TOKEN": TOKEN,
            "CDRHUB_API_KEY": "bench-api-key-0123456789",
            "CDRHUB_RUN_WORKER": "true" if working else "false",
        }
        server = start_server(env, log_path=Path(tmp) / "serve.log")
        try:
            time.sleep(1.0)  # the worker is into the backlog
            url = f"{server.base_url}/voicenter/cdr/{TOKEN}"
            log(f"[{engine_name} {scenario}] ingest throughput")
            prefix = f"20231115092000r{uuid.uuid4().hex[:6]}"
            rate = run_loadgen(
                "closed",
                url,
                prefix,
                "--concurrency",
                str(args.connections),
                "--duration",
                str(args.duration),
            )
            log(f"[{engine_name} {scenario}] {rate['rate']} CDRs/s; SMS delays")
            env = {"CDRHUB_CONFIG": str(config)}
            count = args.sms if working else 0
            delays = sms_delays(server.base_url, twilio, count, env, args.sms_wait)
            hook_calls = len(hook.requests)
        except BaseException:
            log(server.log_tail())
            raise
        finally:
            server.stop()
    return {
        "engine": engine_name,
        "round": round_no,
        "scenario": scenario,
        "backlog": args.backlog,
        "ingest_rate": rate["rate"],
        "ingest_p99_ms": rate["latency"].get("p99_ms"),
        "sms_delays_s": delays,
        "sms_wait_s": args.sms_wait,
        "webhook_requests": hook_calls,
        "load_before": load_before,
        "load_after": loadavg(),
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| engine | round | scenario | ingest CDRs/s | backlog / clean | SMS delay after ack, s "
        "(median / max) | webhook requests | load avg |",
        "|---|---|---|---|---|---|---|---|",
    ]
    clean = {
        (r["engine"], r["round"]): r["ingest_rate"] for r in results if r["scenario"] == "clean"
    }
    for r in results:
        ok = [d for d in r["sms_delays_s"] if d is not None]
        missing = len(r["sms_delays_s"]) - len(ok)
        sms = f"{statistics.median(ok):.2f} / {max(ok):.2f}" if ok else "-"
        if missing:
            sms += f" ({missing} not within {r['sms_wait_s']:g} s)"
        base = clean.get((r["engine"], r["round"]))
        ratio = f"{r['ingest_rate'] / base:.2f}" if base and r["scenario"] != "clean" else ""
        lines.append(
            f"| {r['engine']} | {r['round']} | {r['scenario']} | {r['ingest_rate']:,.0f} | {ratio} "
            f"| {sms} | {r['webhook_requests']:,} "
            f"| {r['load_before']:.1f} -> {r['load_after']:.1f} |"
        )
    for engine_name in dict.fromkeys(r["engine"] for r in results):
        rates = {
            scenario: statistics.median(
                r["ingest_rate"]
                for r in results
                if r["engine"] == engine_name and r["scenario"] == scenario
            )
            for scenario in dict.fromkeys(r["scenario"] for r in results)
        }
        if "clean" in rates:
            for scenario, rate in rates.items():
                if scenario != "clean":
                    lines.append(
                        f"\n{engine_name}: median {rate:,.0f} CDRs/s in {scenario}, "
                        f"{rates['clean']:,.0f} in clean: {rate / rates['clean']:.2f}"
                    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--scenarios", default="clean,backlog")
    parser.add_argument("--backlog", type=int, default=3000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--sms", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sms-wait", type=float, default=120.0, help="seconds per SMS at most")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latest.json")
    args = parser.parse_args(argv)
    results = []
    for engine_name in args.engines.split(","):
        for round_no in range(1, args.rounds + 1):
            for scenario in args.scenarios.split(","):
                results.append(run_scenario(engine_name, scenario, args, round_no))
    print(table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"when": dt.datetime.now(dt.UTC).isoformat(), "machine": platform.platform()}
    meta["cpus"] = os.cpu_count()
    args.out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
