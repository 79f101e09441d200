"""Dashboard benchmark: each page's server time (p50, p95) beside the JSON API for the same
data, on a data set that bench/analytics/run.py built (`--label`, 1M or 10M legs), and the
gzipped weight of the JavaScript and CSS each page loads.

The app runs in-process (Starlette's TestClient, no network): the time of a request is the
server's time plus the ASGI round trip, the same for a page and its API answer. An admin
(every scope) is signed in through the login form; the API answers with the API key.

    .venv/bin/python bench/analytics/run.py --engine both --skip-import --label dash --no-reports
    .venv/bin/python bench/dashboard/run.py --engine both --label dash --out 1M.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import statistics
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from starlette.testclient import TestClient

from cdrhub.config import load_settings
from cdrhub.people import users
from cdrhub.store.engine import make_engine, write_transaction
from cdrhub.web.app import create_app

RESULTS = Path(__file__).resolve().parent / "results"
API_KEY = "bench-api-key-0123456789"
EMAIL, PASSWORD = "bench@example.com", "bench password 0123"
ASSET = re.compile(r'<(?:script[^>]+src|link[^>]+rel="stylesheet"[^>]+href)="(/static/[^"]+)"')


def database_url(engine: str, label: str) -> str:
    if engine == "sqlite":
        return f"sqlite:////tmp/cdrhub-bench-{label}.db"
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/cdrhub_bench_{label}"


def samples(url: str) -> dict[str, str]:
    """A leg of the last day; a customer's number (the contact page's usual question) and the
    busiest number (the company's own line, a party of most legs)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT ivruniqueid, caller_e164, target_e164, started_at, agent_code FROM legs "
                "ORDER BY started_at DESC, id DESC LIMIT 500"
            )
        ).all()
    engine.dispose()
    seen = Counter(n for r in rows for n in r[1:3] if n)
    agents = Counter(r[4] for r in rows if r[4])
    newest = rows[0][3]  # SQLite's raw text, PostgreSQL's datetime
    newest = newest if isinstance(newest, datetime) else datetime.fromisoformat(newest)
    last = newest.date() - timedelta(days=1)  # the last full day
    return {
        "leg": rows[0][0],
        "number": seen.most_common()[-1][0],
        "busy": seen.most_common(1)[0][0],
        "agent": agents.most_common(1)[0][0],
        "last_day": last.isoformat(),
        "month_from": (last - timedelta(days=30)).isoformat(),
        "year_from": (last - timedelta(days=364)).isoformat(),
    }


def questions(s: dict[str, str], today: str, reports: list[str]) -> list[tuple[str, str, str]]:
    """(name, page, the API answer on the same data). The Live page and the wallboard show
    today (empty in the demo data, which ends before); the queues report of the data's last
    full day beside them shows what a busy today would cost. Every report's page for the last
    30 days (with the 30 before, the page's "previous period"), the agents report for the
    whole data set, and service level and abandon rate by day for a month and for a year."""
    last = s["last_day"]
    month = f"from={s['month_from']}&to={last}"
    every = f"from=2000-01-01&to={last}"
    report_pages = [(f"report-{r}", f"/reports/{r}?{month}", f"/api/reports/{r}?{month}")
                    for r in reports]  # fmt: skip
    year = f"from={s['year_from']}&to={last}"
    report_pages += [
        ("report-agents-all", f"/reports/agents?{every}", f"/api/reports/agents?{every}"),
        (
            "report-queues-day",
            f"/reports/queues?by=day&{month}",
            f"/api/reports/queues?by=day&{month}",
        ),
        (
            "report-queues-day-year",
            f"/reports/queues?by=day&{year}",
            f"/api/reports/queues?by=day&{year}",
        ),
    ]
    return [
        *report_pages,
        ("live", "/", f"/api/reports/queues?from={today}&to={today}"),
        ("live-last-day", "/", f"/api/reports/queues?from={last}&to={last}"),
        ("wall", "/wall", f"/api/reports/queues?from={today}&to={today}"),
        ("callbacks", "/callbacks", ""),
        ("calls", "/calls", "/api/calls?limit=50"),
        ("calls-month", f"/calls?{month}", f"/api/calls?{month}&limit=50"),
        (
            "calls-number",
            f"/calls?number={s['number']}",
            f"/api/calls?phone={s['number']}&limit=50",
        ),
        ("calls-text", "/calls?number=anonymous", "/api/calls?phone=anonymous&limit=50"),
        ("calls-agent", "/calls?agent=nobody", "/api/calls?agent=nobody&limit=50"),
        ("calls-agent-real", f"/calls?agent={s['agent']}", f"/api/calls?agent={s['agent']}"),
        ("call", f"/calls/{s['leg']}", f"/api/calls/{s['leg']}"),
        ("contact", f"/contacts/{s['number']}", f"/api/contacts/{s['number']}/timeline"),
        ("contact-busy", f"/contacts/{s['busy']}", f"/api/contacts/{s['busy']}/timeline"),
    ]


def timed(client: TestClient, path: str, reps: int, **kwargs: Any) -> dict[str, Any]:
    for _ in range(3):
        answer = client.get(path, **kwargs)
    status = answer.status_code
    times = []
    for _ in range(reps):
        began = time.perf_counter()
        client.get(path, **kwargs)
        times.append((time.perf_counter() - began) * 1000)
    cuts = statistics.quantiles(times, n=20)
    return {
        "status": status,
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(cuts[18], 2),
        "bytes": len(answer.content),
    }


def assets(client: TestClient, html: str) -> dict[str, int]:
    """The gzipped bytes of each script and stylesheet the page names."""
    return {
        path: len(gzip.compress(client.get(path).content, compresslevel=6))
        for path in sorted(set(ASSET.findall(html)))
    }


def sign_in(client: TestClient) -> None:
    form = client.get("/login").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf is not None
    answer = client.post(
        "/login",
        data={"csrf": csrf.group(1), "email": EMAIL, "password": PASSWORD},
        headers={"Origin": "http://testserver"},
    )
    assert answer.status_code == 303, answer.text[:200]


def bench(engine_name: str, label: str, reps: int, only: str = "") -> dict[str, Any]:
    url = database_url(engine_name, label)
    settings = load_settings(env={"CDRHUB_API_KEY": API_KEY}, database_url=url)
    app = create_app(settings)
    engine = app.state.engine
    with engine.connect() as conn:
        legs = conn.execute(text("SELECT count(*) FROM legs")).scalar_one()
        known = conn.execute(
            text("SELECT 1 FROM users WHERE email = :e"), {"e": EMAIL}
        ).first()  # fmt: skip
    if known is None:
        with write_transaction(engine) as conn:
            users.add(conn, EMAIL, "admin", PASSWORD, actor="bench")
    s = samples(url)
    out: dict[str, Any] = {"legs": legs, "samples": s, "load_before": os.getloadavg(), "pages": {}}
    api = {"Authorization": f"Bearer {API_KEY}"}
    with TestClient(app, follow_redirects=False, headers={"Accept-Language": "en"}) as client:
        sign_in(client)
        today = datetime.now(settings.tz).date().isoformat()
        for name, page, answer in questions(s, today, sorted(app.state.reports)):
            if not name.startswith(only):
                continue
            row: dict[str, Any] = {"page": page, **timed(client, page, reps)}
            if answer:
                row["api"] = {"path": answer, **timed(client, answer, reps, headers=api)}
                row["page_over_api"] = round(row["p50_ms"] / max(row["api"]["p50_ms"], 0.01), 1)
            weights = assets(client, client.get(page).text)
            row["assets_gzip"] = weights
            row["assets_gzip_total"] = sum(weights.values())
            out["pages"][name] = row
            api_p50 = row.get("api", {}).get("p50_ms", "-")
            print(
                f"  {name:14} page p50={row['p50_ms']:8} p95={row['p95_ms']:8}  "
                f"api p50={api_p50}  assets={row['assets_gzip_total']} B gz",
                flush=True,
            )
    out["load_after"] = os.getloadavg()
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--label", default="dash", help="bench/analytics/run.py's --label")
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--only", help="questions whose name starts with this")
    parser.add_argument("--out", help="results file name")
    args = parser.parse_args()
    engines = ("sqlite", "postgres") if args.engine == "both" else (args.engine,)
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "args": vars(args),
    }
    for name in engines:
        print(f"== {name}", flush=True)
        results[name] = bench(name, args.label, args.reps, args.only or "")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / (args.out or f"{args.label}-{'-'.join(engines)}.json")
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
