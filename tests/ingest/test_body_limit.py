"""One body limit for every route that reads a body, and /_noop only when the benchmark asks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import FastAPI
from starlette.testclient import TestClient

from cdrhub.config import Settings, load_settings
from cdrhub.web.app import create_app

API = {"authorization": "Bearer test-api-key-0123456789", "content-type": "application/json"}
URL = "/voicenter/cdr/test-ingest-token-0123456789"
LIMIT = 1000
CHUNK = 256


def _small(settings: Settings, **changes: Any) -> FastAPI:
    return create_app(settings.with_(max_body_bytes=LIMIT, **changes))


def _endless(app: FastAPI, path: str, headers: dict[str, str]) -> tuple[int, bytes, int]:
    """POST a chunked body (no Content-Length) of 400 times the limit straight to the ASGI app:
    the status, the answer and how many chunks the app pulled before answering."""
    pulled, chunks = 0, 400 * LIMIT // CHUNK
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b"x" * CHUNK, "more_body": pulled < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()]
        + [(b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, pulled


def test_api_route_with_a_declared_body_over_the_limit_is_413(settings: Settings) -> None:
    app = _small(settings)
    with TestClient(app) as client:
        big = json.dumps({"phone": "0546666666", "note": "x" * 2 * LIMIT})
        refused = client.post("/api/embed-links", content=big, headers=API)
        assert refused.status_code == 413
        assert refused.json() == {"detail": f"request body larger than {LIMIT} bytes"}
        small = client.post("/api/embed-links", json={"phone": "0546666666"}, headers=API)
        assert small.status_code == 201
        assert small.json()["phone"] == "+972546666666"
    app.state.engine.dispose()


def test_api_route_stops_reading_an_endless_body_at_the_limit(settings: Settings) -> None:
    app = _small(settings)
    status, body, pulled = _endless(app, "/api/contacts", API)
    assert status == 413
    assert json.loads(body) == {"detail": f"request body larger than {LIMIT} bytes"}
    assert pulled == LIMIT // CHUNK + 1  # the chunk that went over; nothing after it
    app.state.engine.dispose()


def test_ingest_answers_an_endless_body_in_kind(settings: Settings) -> None:
    app = _small(settings)
    status, body, pulled = _endless(app, URL, {"content-type": "application/json"})
    assert status == 413
    assert json.loads(body) == {"Err": 1, "Errdesc": f"body larger than {LIMIT} bytes"}
    assert pulled == LIMIT // CHUNK + 1
    app.state.engine.dispose()


def test_ingest_answers_a_declared_body_over_the_limit_in_kind(settings: Settings) -> None:
    app = _small(settings)
    with TestClient(app) as client:
        xml = b"<?xml version='1.0'?><methodCall>" + b"x" * LIMIT + b"</methodCall>"
        got = client.post(URL, content=xml, headers={"content-type": "text/xml"})
        assert got.status_code == 413
        # before the body is read its encoding is unknown: the answer is JSON, as before
        assert got.json() == {"Err": 1, "Errdesc": f"body larger than {LIMIT} bytes"}
        # the token is checked first: a stranger learns nothing of the limit
        stranger = client.post("/voicenter/cdr/wrong-token", content=xml)
        assert stranger.status_code == 401
    app.state.engine.dispose()


def test_noop_is_not_routed_by_default(settings: Settings) -> None:
    assert load_settings(env={}).bench_noop is False
    app = _small(settings)
    with TestClient(app) as client:
        assert client.post("/_noop", content=b"{}").status_code == 404
    app.state.engine.dispose()


def test_noop_in_bench_mode_answers_and_keeps_the_limit(settings: Settings) -> None:
    assert load_settings(env={"CDRHUB_BENCH_NOOP": "true"}).bench_noop is True
    app = _small(settings, bench_noop=True)
    with TestClient(app) as client:
        ok = client.post("/_noop", content=b'{"ivruniqueid": "x"}')
        assert (ok.status_code, ok.json()) == (200, {"Err": 0, "Errdesc": "OK"})
        big = client.post("/_noop", content=b"{" + b" " * LIMIT + b"}")
        assert big.status_code == 413
        assert big.json() == {"detail": f"request body larger than {LIMIT} bytes"}
    status, _body, pulled = _endless(app, "/_noop", {})
    assert (status, pulled) == (413, LIMIT // CHUNK + 1)
    app.state.engine.dispose()
