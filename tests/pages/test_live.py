"""The Live page: today's tiles and the open callbacks in the user's scope; the actions (call
back through the user's extension, take, close) with their audit; the live stream's pop-ups,
scope and resumption, through a real server."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from cdrhub.automations import callbacks
from cdrhub.config import Settings
from cdrhub.jobs.outbox import utcnow
from cdrhub.people import audit
from cdrhub.web.app import create_app
from tests.automations.fakes import FakeServer, click2call_responder
from tests.automations.helpers import deliver, recent, settings_for
from tests.pages.helpers import ORIGIN, PASSWORD, add_user, csrf, signed_in

JSON = {**ORIGIN, "Accept": "application/json"}


@pytest.fixture
def vc() -> Iterator[FakeServer]:
    with FakeServer(click2call_responder("VC")) as server:
        yield server


@pytest.fixture
def live_settings(db_url: str, tmp_path: Path, vc: FakeServer) -> Settings:
    toml = f'[channels.voicenter]\ncode = "VC"\nbase_url = "{vc.url}"\n'
    return settings_for(db_url, toml, tmp_path)


@pytest.fixture
def live_app(live_settings: Settings) -> Iterator[FastAPI]:
    app = create_app(live_settings)
    yield app
    app.state.engine.dispose()


def test_the_live_page_shows_todays_queue_and_its_open_callback(
    live_app: FastAPI, live_settings: Settings
) -> None:
    engine = live_app.state.engine
    deliver(engine, live_settings, recent(minutes_ago=3))
    add_user(engine, "sales@example.com", queues=["Sales Queue"])
    add_user(engine, "support@example.com", queues=["Support"])
    page = signed_in(live_app, "sales@example.com").get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "<h2><bdi>Sales Queue</bdi></h2>" in page.text
    assert re.search(r"<dt>Offered</dt>\s*<dd>1</dd>", page.text)
    assert re.search(r"<dt>Abandoned</dt>\s*<dd>1 · 100\.0%", page.text)
    assert '<bdi dir="ltr" title="+972501234567">050-123-4567</bdi>' in page.text
    other = signed_in(live_app, "support@example.com").get("/", headers={"Accept-Language": "en"})
    assert "Sales Queue" not in other.text and "050-123-4567" not in other.text
    assert "No queue calls yet today." in other.text


def test_call_back_rings_the_users_extension_once(
    live_app: FastAPI, live_settings: Settings, vc: FakeServer
) -> None:
    from cdrhub.domains import job_handlers
    from cdrhub.jobs.worker import Worker, WorkerConfig

    engine = live_app.state.engine
    deliver(engine, live_settings, recent(minutes_ago=3))
    add_user(engine, "dana@example.com", extension="201", agent_code="2001")
    web = signed_in(live_app, "dana@example.com")
    token = csrf(web.get("/").text)
    with engine.connect() as conn:
        (item,) = callbacks.list_items(conn, utcnow())
    url = f"/callbacks/{item['id']}/call"
    first = web.post(url, data={"csrf": token, "request": "r1"}, headers=JSON)
    second = web.post(url, data={"csrf": token, "request": "r1"}, headers=JSON)  # a double click
    assert (first.status_code, first.json()) == (202, {"queued": True})
    assert (second.status_code, second.json()) == (202, {"queued": False})
    Worker(
        engine, live_settings, handlers=job_handlers(), config=WorkerConfig(backoff_base_seconds=0)
    ).run_until_idle()
    (call,) = vc.requests
    assert (call.query["phone"], call.query["target"]) == (["201"], ["0501234567"])
    with engine.connect() as conn:
        called = callbacks.get_item(conn, item["id"], utcnow())
        # the item is Dana's in the callbacks report: her agent code, not her e-mail
        assert (called["assigned_to"], called["agent_code"]) == ("dana@example.com", "2001")
        assert next((e.actor, e.action, e.target, e.detail) for e in audit.entries(conn)) == (
            "dana@example.com",
            "callback.call",
            f"callback:{item['id']}",
            {"extension": "201"},
        )


def test_call_back_needs_an_extension(live_app: FastAPI, live_settings: Settings) -> None:
    engine = live_app.state.engine
    deliver(engine, live_settings, recent(minutes_ago=3))
    add_user(engine, "dana@example.com")
    web = signed_in(live_app, "dana@example.com")
    with engine.connect() as conn:
        (item,) = callbacks.list_items(conn, utcnow())
    answer = web.post(
        f"/callbacks/{item['id']}/call", data={"csrf": csrf(web.get("/").text)}, headers=JSON
    )
    assert (answer.status_code, answer.json()) == (422, {"error": "no_extension"})


def test_take_and_close_with_a_note(live_app: FastAPI, live_settings: Settings) -> None:
    engine = live_app.state.engine
    deliver(engine, live_settings, recent(minutes_ago=3))
    add_user(engine, "dana@example.com", agent_code="2002")
    web = signed_in(live_app, "dana@example.com")
    token = csrf(web.get("/").text)
    with engine.connect() as conn:
        (item,) = callbacks.list_items(conn, utcnow())
    base = f"/callbacks/{item['id']}"
    taken = web.post(f"{base}/assign", data={"csrf": token}, headers=JSON)
    assert (taken.status_code, taken.json()) == (200, {"assigned_to": "dana@example.com"})
    closed = web.post(f"{base}/close", data={"csrf": token, "note": "left a message"}, headers=JSON)
    assert (closed.status_code, closed.json()) == (200, {"closed": True})
    again = web.post(f"{base}/close", data={"csrf": token, "note": "x"}, headers=JSON)
    assert (again.status_code, again.json()) == (409, {"closed": False})
    # without script, the form comes back to the page
    plain = web.post(f"{base}/assign", data={"csrf": token}, headers=ORIGIN)
    assert (plain.status_code, plain.headers["location"]) == (303, "/")
    with engine.connect() as conn:
        item = callbacks.get_item(conn, item["id"], utcnow())
        actions = [(e.action, e.detail) for e in audit.entries(conn)][:3]
    assert (item["status"], item["note"], item["closed_by_agent"], item["agent_code"]) == (
        "closed",
        "left a message",
        "dana@example.com",
        "2002",  # taken by Dana, closed by her hand: hers (her agent code) in the report
    )
    assert actions == [
        ("callback.assign", None),
        ("callback.close", {"note": "left a message"}),
        ("callback.assign", None),
    ]


def test_an_item_out_of_scope_cannot_be_touched(live_app: FastAPI, live_settings: Settings) -> None:
    engine = live_app.state.engine
    deliver(engine, live_settings, recent(minutes_ago=3))
    add_user(engine, "support@example.com", queues=["Support"])
    web = signed_in(live_app, "support@example.com")
    with engine.connect() as conn:
        (item,) = callbacks.list_items(conn, utcnow())
    answer = web.post(
        f"/callbacks/{item['id']}/close", data={"csrf": csrf(web.get("/").text)}, headers=JSON
    )
    assert (answer.status_code, answer.json()) == (404, {"error": "no_item"})


@pytest.fixture
def server(live_app: FastAPI) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(live_app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(200):
        if running.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(5)


def _cookie(base: str, email: str) -> dict[str, str]:
    with httpx.Client(base_url=base, follow_redirects=False) as web:
        form = web.get("/login")
        web.post(
            "/login",
            data={"csrf": csrf(form.text), "email": email, "password": PASSWORD},
            headers={"Origin": base},
        )
        return {"cdrhub_session": web.cookies["cdrhub_session"]}


def _listen(
    base: str,
    cookies: dict[str, str],
    found: list[dict[str, str]],
    until: int,
    last_event_id: str | None = None,
) -> threading.Thread:
    """Collect `until` events (or time out) in a thread: each as {"id", "event", "data"}."""
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}

    def run() -> None:
        event: dict[str, str] = {}
        with httpx.stream(
            "GET", f"{base}/live/stream", cookies=cookies, headers=headers, timeout=10
        ) as answer:
            for line in answer.iter_lines():
                if line.startswith(("id: ", "event: ", "data: ")):
                    name, _, value = line.partition(": ")
                    event[name] = value
                elif line == "" and event:
                    if "event" in event:
                        found.append(event)
                    event = {}
                    if len(found) >= until:
                        return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_missed_contact_pops_up_live_for_the_scope_that_covers_it(
    server: str, live_app: FastAPI, live_settings: Settings
) -> None:
    import json

    engine = live_app.state.engine
    add_user(engine, "sales@example.com", queues=["Sales Queue"])
    add_user(engine, "support@example.com", role="agent", queues=["Support"])
    sales, support = [], []
    t1 = _listen(server, _cookie(server, "sales@example.com"), sales, 2)
    t2 = _listen(server, _cookie(server, "support@example.com"), support, 1)
    time.sleep(1.5)  # both streams are open and past their start
    deliver(engine, live_settings, recent(minutes_ago=3))
    for _ in range(200):  # the first pop-up arrives before the second call is stored
        if sales:
            break
        time.sleep(0.05)
    deliver(engine, live_settings, recent(minutes_ago=2, ivruniqueid="20231115120640again001"))
    t1.join(12)
    t2.join(3)
    assert [e["event"] for e in sales] == ["opened", "missed"]
    first = json.loads(sales[0]["data"])
    assert (first["number"], first["number_display"], first["queue"], first["missed_count"]) == (
        "+972501234567",
        "050-123-4567",
        "Sales Queue",
        1,
    )
    assert (first["calls_30d"], first["contact_name"]) == (1, None)
    second = json.loads(sales[1]["data"])
    assert (second["missed_count"], second["calls_30d"]) == (2, 2)
    assert support == []
    # a browser that reconnects after the first pop-up gets the second, and only it
    again: list[dict[str, str]] = []
    _listen(server, _cookie(server, "sales@example.com"), again, 1, sales[0]["id"]).join(12)
    assert [(e["id"], e["event"]) for e in again] == [(sales[1]["id"], "missed")]
