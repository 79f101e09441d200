"""Outbox lanes and per-host backoff: texts never wait behind recordings, CRM pushes or
webhooks, and a failing host's jobs wait together instead of each failing in turn."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select
from starlette.testclient import TestClient

from cdrhub import domains
from cdrhub.config import Settings
from cdrhub.ingest.pipeline import Incoming, ingest
from cdrhub.jobs import outbox
from cdrhub.jobs.hosts import HostHealth, host_of
from cdrhub.jobs.outbox import BULK, URGENT, RetryLater
from cdrhub.jobs.registry import Handlers, JobContext
from cdrhub.jobs.tables import outbox_jobs
from cdrhub.jobs.worker import Worker, WorkerConfig
from cdrhub.store.engine import write_transaction
from cdrhub.voicenter.normalize import normalize
from cdrhub.web.app import create_app
from tests.automations.fakes import FakeServer, Reply, twilio_responder, twilio_sent
from tests.automations.helpers import recent, sample, settings_for

T0 = datetime(2026, 3, 1, 12, 0, 0)
INGEST = "/voicenter/cdr/test-ingest-token-0123456789"


def _enqueue(engine: Engine, key: str, kind: str, **kw: Any) -> int:
    with write_transaction(engine) as conn:
        job_id = outbox.enqueue(conn, kind, key, {"n": key}, **kw)
    assert job_id is not None
    return job_id


def _jobs(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(select(outbox_jobs).order_by(outbox_jobs.c.id)).mappings().all()
    return [dict(r) for r in rows]


def test_a_job_gets_its_lane_from_its_kind_and_keeps_its_host(engine: Engine) -> None:
    _enqueue(engine, "s", "automations.sms")
    _enqueue(engine, "c", "automations.click2call")
    _enqueue(engine, "r", "crm.recording", host=host_of("https://Rec.Example:8443/a.mp3"))
    _enqueue(engine, "w", "automations.webhook", host=host_of("http://hooks.example/x"))
    rows = [(j["key"], j["lane"], j["host"]) for j in _jobs(engine)]
    assert rows == [
        ("s", URGENT, None),
        ("c", URGENT, None),
        ("r", BULK, "rec.example:8443"),
        ("w", BULK, "hooks.example"),
    ]
    assert host_of("not a url") is None and host_of("http://[::1") is None


def test_urgent_jobs_are_claimed_before_older_bulk_ones(engine: Engine) -> None:
    bulk = [_enqueue(engine, f"b{n}", "crm.webhook", run_at=T0) for n in range(5)]
    sms = _enqueue(engine, "s", "automations.sms", run_at=T0 + timedelta(minutes=1))
    now = T0 + timedelta(minutes=2)
    with write_transaction(engine) as conn:
        (first,) = outbox.claim(conn, worker_id="w", lease_seconds=30, now=now)
        assert (first.id, first.lane) == (sms, URGENT)
        # an urgent-only slot takes nothing else
        assert outbox.claim(conn, worker_id="w", lease_seconds=30, lanes=(URGENT,), now=now) == []
        assert not outbox.has_due(conn, (URGENT,), now=now)
        rest = outbox.claim(conn, worker_id="w", lease_seconds=30, limit=10, now=now)
    assert [j.id for j in rest] == bulk


def test_an_urgent_worker_slot_leaves_bulk_jobs_alone(engine: Engine, settings: Settings) -> None:
    ran: list[str] = []
    handlers = Handlers(
        {
            "crm.webhook": lambda ctx: ran.append(ctx.key),
            "automations.sms": lambda ctx: ran.append(ctx.key),
        }
    )
    _enqueue(engine, "bulk", "crm.webhook")
    worker = Worker(engine, settings, handlers=handlers, config=WorkerConfig())
    assert worker.run_once(lanes=(URGENT,)) == 0
    _enqueue(engine, "text", "automations.sms")
    assert worker.run_once(lanes=(URGENT,)) == 1
    assert worker.run_until_idle() == 1
    assert ran == ["text", "bulk"]


def test_host_health_pauses_doubles_and_forgets() -> None:
    hosts = HostHealth(threshold=3, base=30, cap=100, max_hosts=2)
    assert [hosts.failed("a", T0) for _ in range(2)] == [None, None]
    until = hosts.failed("a", T0)
    assert until == T0 + timedelta(seconds=30)
    # jobs that were in flight when the pause began extend nothing
    assert hosts.failed("a", T0 + timedelta(seconds=1)) == until
    assert hosts.paused_until("a", T0 + timedelta(seconds=29)) == until
    assert hosts.paused_until("a", until) is None
    # the probe after the pause fails: paused again at once, for twice as long, then capped
    assert hosts.failed("a", until) == until + timedelta(seconds=60)
    later = until + timedelta(seconds=60)
    assert hosts.failed("a", later) == later + timedelta(seconds=100)
    hosts.succeeded("a")
    assert hosts.paused_until("a", later) is None and len(hosts) == 0
    # bounded: the least recently failed host is forgotten first
    for host in ("h1", "h2", "h3"):
        hosts.failed(host, T0)
    assert len(hosts) == 2 and [hosts.failed("h1", T0) for _ in range(2)] == [None, None]


def _remote_handlers(seen: list[str]) -> Handlers:
    """`test.remote`: POSTs to the URL in its payload through a real HTTP client; a 5xx is
    transient, as in every channel."""

    def call(ctx: JobContext) -> dict[str, Any]:
        seen.append(ctx.key)
        status = httpx.post(ctx.payload["url"], content=b"{}", timeout=5).status_code
        if status >= 500:
            raise RetryLater(f"HTTP {status}")
        return {"status": status}

    return Handlers({"test.remote": call})


def test_a_failing_host_has_its_jobs_postponed_together(engine: Engine, settings: Settings) -> None:
    seen: list[str] = []
    with (
        FakeServer(lambda s: Reply(500, "down")) as down,
        FakeServer(lambda s: Reply(200, "ok")) as up,
    ):
        for n in range(10):
            payload = {"url": down.url + f"/{n}"}
            with write_transaction(engine) as conn:
                outbox.enqueue(conn, "test.remote", f"down{n}", payload, host=host_of(down.url))
        with write_transaction(engine) as conn:
            outbox.enqueue(conn, "test.remote", "up", {"url": up.url}, host=host_of(up.url))
        worker = Worker(
            engine,
            settings,
            handlers=_remote_handlers(seen),
            config=WorkerConfig(
                backoff_base_seconds=0.0, backoff_cap_seconds=0.0, host_backoff_seconds=600
            ),
        )
        started = outbox.utcnow()
        assert worker.run_until_idle() == 4  # three failures, then the other host's job
        assert worker.run_until_idle() == 0  # the rest wait
        assert seen == ["down0", "down1", "down2", "up"]
        assert len(down.requests) == 3 and len(up.requests) == 1
        jobs = {j["key"]: j for j in _jobs(engine)}
        assert jobs["up"]["status"] == "done"
        host = host_of(down.url)
        until = jobs["down3"]["run_at"]
        assert started + timedelta(seconds=599) < until < started + timedelta(seconds=601)
        for n in range(10):
            job = jobs[f"down{n}"]
            assert (job["status"], job["attempts"], job["run_at"]) == (
                "pending",
                1 if n < 3 else 0,  # postponing uses up no attempt
                until,
            ), n
        assert jobs["down2"]["last_error"] == "HTTP 500"
        assert jobs["down9"]["last_error"] == (
            f"host {host} failing: its jobs wait until {until:%H:%M:%S} UTC"
        )
        # a job for that host enqueued during the pause joins the others without a request
        with write_transaction(engine) as conn:
            outbox.enqueue(conn, "test.remote", "down-new", {"url": down.url}, host=host)
        assert worker.run_until_idle() == 1
        (new,) = [j for j in _jobs(engine) if j["key"] == "down-new"]
        assert (new["status"], new["attempts"], new["run_at"]) == ("pending", 0, until)
        assert len(down.requests) == 3


def _settings(db_url: str, tmp_path: Path, twilio: str, crm: str, **kw: Any) -> Settings:
    toml = f"""
[channels.twilio]
account_sid = "AC0123456789"
auth_token = "secret"
from = "+972722776772"
base_url = "{twilio}"

[[rules]]
name = "abandoned-queue"
when = {{ type = "Queue", status = "ABANDONE" }}
actions = [ {{ do = "sms", via = "twilio", to = "caller", text = "Sorry we missed you." }} ]

[crm.recordings]
enabled = false

[[crm.webhooks]]
name = "crm"
url = "{crm}/hook"
"""
    return settings_for(db_url, toml, tmp_path, **kw)


def _bulk_backlog(engine: Engine, settings: Settings, count: int) -> None:
    """`count` answered calls through the real ingest path: one CRM webhook job each."""
    hooks = domains.hooks(settings)
    now = outbox.utcnow()
    base = sample("outgoing-answered.json")
    for start in range(0, count, 500):
        batch = []
        for n in range(start, min(count, start + 500)):
            wire = {**base, "ivruniqueid": f"20231115092000bk{n:06d}", "target": f"97250{n:07d}"}
            wire["record"] = ""
            leg = normalize(wire, tz=settings.tz, time_mode=settings.time_mode, received_at=now)
            batch.append(Incoming(leg, "json"))
        ingest(engine, batch, hooks, now)


def _sms_delay_after_ack(client: TestClient, twilio: FakeServer, settings: Settings) -> float:
    wire = recent(minutes_ago=1, settings=settings)
    answer = client.post(INGEST, json=wire)
    acked = time.monotonic()
    assert answer.status_code == 200 and answer.json()["Err"] == 0
    while not twilio_sent(twilio) and time.monotonic() - acked < 30:
        time.sleep(0.005)
    assert twilio_sent(twilio), "no SMS within 30 s"
    return time.monotonic() - acked


@pytest.mark.slow
def test_an_sms_goes_out_within_2_s_while_3000_bulk_jobs_fail(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with (
        FakeServer(lambda s: Reply(500, "down")) as crm,
        FakeServer(twilio_responder("AC0123456789", "secret")) as twilio,
    ):
        settings = _settings(db_url, tmp_path, twilio.url, crm.url, run_worker=True)
        _bulk_backlog(engine, settings, 3000)
        app = create_app(settings)
        with TestClient(app, client=("127.0.0.1", 40000)) as client:  # starts the worker
            deadline = time.monotonic() + 20
            while len(crm.requests) < 3 and time.monotonic() < deadline:
                time.sleep(0.01)
            assert len(crm.requests) >= 3  # the worker is into the failing backlog
            delay = _sms_delay_after_ack(client, twilio, settings)
            time.sleep(0.5)
        app.state.engine.dispose()
    assert delay < 2.0, f"the SMS took {delay:.2f} s after the ack"
    (sms,) = twilio_sent(twilio)
    assert sms["to"] == "+972501234567"
    with engine.connect() as conn:
        # the abandon's own CRM webhook joined the backlog
        assert outbox.count_jobs(conn) == {"pending": 3001, "done": 1}
    # the failing host was tried a few times, then its jobs waited together: three failures
    # in a row, plus at most the one the other thread had in flight
    assert len(crm.requests) in (3, 4)


@pytest.mark.slow
def test_an_sms_does_not_wait_behind_slow_bulk_jobs(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with (
        FakeServer(lambda s: Reply(200, "ok", delay=0.5)) as crm,
        FakeServer(twilio_responder("AC0123456789", "secret")) as twilio,
    ):
        settings = _settings(db_url, tmp_path, twilio.url, crm.url, run_worker=True)
        _bulk_backlog(engine, settings, 40)  # 10 s of work for the two threads that take bulk
        app = create_app(settings)
        with TestClient(app, client=("127.0.0.1", 40000)) as client:
            deadline = time.monotonic() + 20
            while len(crm.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            delay = _sms_delay_after_ack(client, twilio, settings)
            with engine.connect() as conn:
                pending = outbox.count_jobs(conn).get("pending", 0)
        app.state.engine.dispose()
    assert delay < 2.0, f"the SMS took {delay:.2f} s after the ack"
    assert pending > 20  # the bulk backlog was still there when the SMS went out


def test_concurrent_claims_across_lanes_never_share_a_job(engine: Engine) -> None:
    import threading

    with write_transaction(engine) as conn:
        outbox.enqueue_many(
            conn,
            [
                outbox.NewJob("automations.sms" if n % 3 == 0 else "crm.webhook", f"j{n}", {})
                for n in range(60)
            ],
        )
    claimed: list[tuple[int, str]] = []
    lock = threading.Lock()

    def grab(name: str, lanes: tuple[str, ...]) -> None:
        while True:
            with write_transaction(engine) as conn:
                jobs = outbox.claim(conn, worker_id=name, lease_seconds=60, limit=2, lanes=lanes)
            if not jobs:
                return
            with lock:
                claimed.extend((j.id, j.lane) for j in jobs)

    threads = [
        threading.Thread(target=grab, args=(f"w{i}", (URGENT,) if i % 2 else (URGENT, BULK)))
        for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ids = [job_id for job_id, _ in claimed]
    assert len(ids) == 60 and len(set(ids)) == 60
    assert sum(lane == URGENT for _, lane in claimed) == 20
