"""The automations HTTP API: jobs, callback items, opt-outs, the report and the SSE stream."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cdrhub.config import Settings
from cdrhub.jobs import outbox
from cdrhub.store.engine import write_transaction
from cdrhub.web.app import create_app

from .helpers import EXAMPLE_TOML, deliver, recent, sample, settings_for

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}


@pytest.fixture
def example_settings(db_url: str, tmp_path: Path) -> Settings:
    return settings_for(
        db_url, EXAMPLE_TOML.replace("https://api.twilio.com", "http://127.0.0.1:9"), tmp_path
    )


@pytest.fixture
def client(example_settings: Settings) -> Iterator[TestClient]:
    app = create_app(example_settings)
    yield TestClient(app)
    app.state.engine.dispose()


def test_requires_the_api_key(client: TestClient) -> None:
    for path in (
        "/api/jobs",
        "/api/callbacks",
        "/api/optouts",
        "/api/notifications",
        "/api/notifications/stream",
        "/api/reports/callbacks",
    ):
        assert client.get(path).status_code == 401, path


def test_jobs_list_and_retry(
    client: TestClient, engine: Engine, example_settings: Settings
) -> None:
    deliver(engine, example_settings, recent())
    body = client.get("/api/jobs", headers=AUTH).json()
    (job,) = body["jobs"]
    assert job["kind"] == "automations.sms" and body["counts"] == {"pending": 1}
    assert client.get(f"/api/jobs/{job['id']}", headers=AUTH).json()["key"] == job["key"]
    assert client.post(f"/api/jobs/{job['id']}/retry", headers=AUTH).status_code == 409
    with write_transaction(engine) as conn:
        conn.execute(outbox.outbox_jobs.update().values(status="dead", attempts=8))
    assert client.get("/api/jobs?status=dead", headers=AUTH).json()["jobs"][0]["id"] == job["id"]
    retried = client.post(f"/api/jobs/{job['id']}/retry", headers=AUTH).json()
    assert retried["status"] == "pending" and retried["attempts"] == 0
    assert client.get("/api/jobs/999999", headers=AUTH).status_code == 404
    assert client.get("/api/jobs?status=nope", headers=AUTH).status_code == 422


def test_callbacks_assign_close_and_report(
    client: TestClient, engine: Engine, example_settings: Settings
) -> None:
    deliver(engine, example_settings, sample("queue-abandoned.json"))
    other = {
        **sample("queue-abandoned.json"),
        "ivruniqueid": "x2",
        "caller": "0529999999",
        "time": 1700060000,
    }
    deliver(engine, example_settings, other)
    body = client.get("/api/callbacks", headers=AUTH).json()
    assert body["open"] == 2
    first, second = body["items"]
    assert first["customer_number"] == "+972501234567"  # oldest first
    assert first["wait_seconds"] > second["wait_seconds"] > 0
    r = client.post(f"/api/callbacks/{first['id']}/assign", json={"agent": "2001"}, headers=AUTH)
    assert r.json()["assigned_to"] == "2001"
    r = client.post(f"/api/callbacks/{first['id']}/close", json={"note": "done"}, headers=AUTH)
    assert r.json()["status"] == "closed"
    again = client.post(f"/api/callbacks/{first['id']}/close", json={}, headers=AUTH)
    assert again.status_code == 409
    assert len(client.get("/api/callbacks", headers=AUTH).json()["items"]) == 1
    assert len(client.get("/api/callbacks?status=all", headers=AUTH).json()["items"]) == 2
    report = client.get("/api/reports/callbacks", headers=AUTH).json()
    assert set(report) == {"report", "filters", "settings", "formula", "rows"}
    assert report["rows"][0]["items"] == 2 and report["rows"][0]["closed_by_hand"] == 1
    assert client.get("/api/reports/callbacks?by=nope", headers=AUTH).status_code == 422


def test_optouts(client: TestClient) -> None:
    r = client.post("/api/optouts", json={"number": "050-123-4567", "reason": "STOP"}, headers=AUTH)
    assert r.status_code == 201 and r.json()["number"] == "+972501234567"
    assert client.get("/api/optouts", headers=AUTH).json()["optouts"][0]["reason"] == "STOP"
    assert client.delete("/api/optouts/0501234567", headers=AUTH).json()["removed"]
    assert client.delete("/api/optouts/0501234567", headers=AUTH).status_code == 404
    assert client.post("/api/optouts", json={"number": "SIPSIP"}, headers=AUTH).status_code == 422


@pytest.fixture
def live_server(example_settings: Settings) -> Iterator[str]:
    app = create_app(example_settings)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def test_notification_stream(live_server: str, engine: Engine, example_settings: Settings) -> None:
    events: list[dict] = []

    # The key in the URL (where logs and proxies keep it) is refused; the header is taken.
    url = f"{live_server}/api/notifications/stream"
    refused = httpx.get(f"{url}?api_key=test-api-key-0123456789", timeout=10)
    assert (refused.status_code, refused.json()) == (401, {"detail": "missing or wrong API key"})

    def listen() -> None:
        with httpx.stream("GET", url, headers=AUTH, timeout=10) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            event: dict = {}
            for line in response.iter_lines():
                if line.startswith("id: "):
                    event["id"] = int(line[4:])
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif line == "" and "data" in event:
                    events.append(event)
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    time.sleep(0.5)  # connected: only notifications after this moment are sent
    deliver(engine, example_settings, recent())
    listener.join(10)
    assert events, "no notification arrived"
    note = events[0]["data"]
    assert note["title"] == "abandoned-queue: +972501234567"
    assert "Sales Queue" in note["text"] and note["data"]["queue_name"] == "Sales Queue"
    # resuming with Last-Event-ID replays nothing already seen
    with httpx.stream(
        "GET", f"{live_server}/api/notifications/stream?after=0", headers=AUTH, timeout=10
    ) as response:
        lines = []
        for line in response.iter_lines():
            lines.append(line)
            if line.startswith("data: "):
                break
    assert any(line.startswith(f"id: {events[0]['id']}") for line in lines)


def test_call_back_through_click2call(engine: Engine, db_url: str, tmp_path: Path) -> None:
    from cdrhub.domains import job_handlers
    from cdrhub.jobs.worker import Worker, WorkerConfig

    from .fakes import FakeServer, click2call_responder

    with FakeServer(click2call_responder("VC")) as vc:
        toml = EXAMPLE_TOML.replace("https://api.twilio.com", "http://127.0.0.1:9")
        toml += f'\n[channels.voicenter]\ncode = "VC"\nbase_url = "{vc.url}"\n'
        settings = settings_for(db_url, toml, tmp_path)
        app = create_app(settings)
        client = TestClient(app)
        deliver(engine, settings, recent())
        (item,) = client.get("/api/callbacks", headers=AUTH).json()["items"]
        url = f"/api/callbacks/{item['id']}/call"
        first = client.post(url, json={"agent": "SIPAGENT7"}, headers=AUTH)
        assert first.status_code == 202 and first.json()["queued"]
        again = client.post(url, json={"agent": "SIPAGENT7"}, headers=AUTH).json()
        assert again["queued"] is False  # a double click dials once
        assert client.get(f"/api/callbacks/{item['id']}", headers=AUTH).json()["assigned_to"] == (
            "SIPAGENT7"
        )
        config = WorkerConfig(backoff_base_seconds=0)
        Worker(engine, settings, handlers=job_handlers(), config=config).run_until_idle()
        (call,) = vc.requests
        assert call.query["phone"] == ["SIPAGENT7"] and call.query["target"] == ["0501234567"]
        # the SMS went to a closed port until it was dead; retry it
        assert client.post("/api/jobs/retry-dead", headers=AUTH).json() == {"retried": 1}
        app.state.engine.dispose()
