"""Every timestamp cdrhub writes out carries its zone: each JSON API answer that has times
(calls, callbacks, jobs, notifications and their server-sent stream, quarantine, unknowns, a
timeline) and the bodies of the webhooks it pushes (automations and CRM, to local HTTP servers
that answer as a receiver does) are walked, and each time in them must parse as ISO 8601 with a
zone."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from cdrhub.config import Settings
from cdrhub.web.app import create_app
from tests.automations.fakes import FakeServer, Reply
from tests.automations.helpers import recent, settings_for, worker
from tests.crm.conftest import with_crm

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}
SECRET = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
# what a written time looks like (with a zone or, wrongly, without; `T` or a space)
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

TOML = """
[channels.crm]
type = "webhook"
url = "{url}/automations"
secret = "{secret}"

[[rules]]
name = "missed"
when = {{ missed = true }}
actions = [{{ do = "callback" }}, {{ do = "notify" }}, {{ do = "webhook", via = "crm" }}]
"""


def times_in(value: Any, path: str = "") -> dict[str, str]:
    """Every string that looks like a timestamp, by where it is (the CDR as received, `raw`,
    is the sender's text and left out)."""
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if key != "raw":
                found.update(times_in(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.update(times_in(item, f"{path}[{index}]"))
    elif isinstance(value, str) and TIMESTAMP.match(value):
        found[path] = value
    return found


def _zoneless(found: dict[str, str]) -> dict[str, str]:
    bad = {}
    for where, text in found.items():
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            bad[where] = text
            continue
        if parsed.tzinfo is None:
            bad[where] = text
    return bad


@pytest.fixture
def served(db_url: str, tmp_path: Path) -> Iterator[tuple[str, FakeServer, Engine, Settings]]:
    with FakeServer(lambda seen: Reply(204)) as receiver:
        settings = settings_for(db_url, TOML.format(url=receiver.url, secret=SECRET), tmp_path)
        target = {"name": "crm-hook", "url": receiver.url + "/crm", "secret": SECRET}
        settings = with_crm(settings, webhooks=[target], recordings={"enabled": False})
        app = create_app(settings)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", receiver, app.state.engine, settings
        finally:
            server.should_exit = True
            thread.join(5)
            app.state.engine.dispose()


def _first_event(url: str) -> dict[str, Any]:
    with httpx.stream("GET", url, headers=AUTH, timeout=10) as response:
        for line in response.iter_lines():
            if line.startswith("data: "):
                return json.loads(line[6:])
    raise AssertionError("no event")


@pytest.mark.slow
def test_every_timestamp_out_has_its_zone(
    served: tuple[str, FakeServer, Engine, Settings],
) -> None:
    base, receiver, engine, settings = served
    ingest = f"{base}/voicenter/cdr/test-ingest-token-0123456789"
    wire = recent()  # an abandoned queue call a few minutes ago: a missed contact
    assert httpx.post(ingest, json=wire).is_success
    assert httpx.post(ingest, json={**wire, "ivruniqueid": "odd", "type": "Hologram"}).is_success
    assert httpx.post(ingest, content=b"\x00not a cdr", headers={"content-type": "text/plain"})
    answers: dict[str, Any] = {}

    def get(path: str) -> Any:
        response = httpx.get(base + path, headers=AUTH, timeout=10)
        assert response.status_code == 200, (path, response.text)
        answers[path] = response.json()
        return answers[path]

    calls = get("/api/calls")["calls"]
    get(f"/api/calls/{calls[0]['ivruniqueid']}")
    (item,) = get("/api/callbacks?status=all")["items"]
    get(f"/api/callbacks/{item['id']}")
    assigned = httpx.post(
        f"{base}/api/callbacks/{item['id']}/assign", headers=AUTH, json={"agent": "11"}
    )
    answers["assign"] = assigned.json()
    quarantined = get("/api/quarantine")["items"]
    get(f"/api/quarantine/{quarantined[0]['id']}")
    get("/api/unknowns")
    get(f"/api/contacts/{wire['caller']}/timeline")
    answers["stream"] = _first_event(f"{base}/api/notifications/stream?after=0")
    get("/api/notifications")

    worker(engine, settings).run_until_idle()
    jobs = get("/api/jobs")["jobs"]
    get(f"/api/jobs/{jobs[0]['id']}")
    pushed = {seen.path: seen.json() for seen in receiver.requests}
    assert set(pushed) == {"/automations", "/crm"}
    answers.update({f"pushed {path}": body for path, body in pushed.items()})

    found = {f"{name} {where}": text for name, body in answers.items()
             for where, text in times_in(body).items()}  # fmt: skip
    assert _zoneless(found) == {}
    # what was walked: the times each answer is known to hold
    keys = {where.rsplit(".", 1)[-1] for where in found}
    assert keys >= {
        "started_at", "started_at_local", "first_received_at", "last_received_at", "opened_at",
        "created_at", "updated_at", "run_at", "first_seen", "last_seen", "timestamp",
        "assigned_at",
    }  # fmt: skip
    assert pushed["/automations"]["data"]["leg"]["started_at_local"].endswith("+02:00") or (
        pushed["/automations"]["data"]["leg"]["started_at_local"].endswith("+03:00")
    )


def test_the_helpers() -> None:
    from cdrhub.timefmt import iso_utc, iso_wall, json_times

    assert iso_utc(datetime(2023, 11, 15, 7, 20)) == "2023-11-15T07:20:00Z"
    winter = iso_wall(datetime(2023, 11, 15, 9, 20), datetime(2023, 11, 15, 7, 20))
    assert winter == "2023-11-15T09:20:00+02:00"
    summer = iso_wall(datetime(2024, 6, 1, 10, 0), datetime(2024, 6, 1, 7, 0))
    assert summer == "2024-06-01T10:00:00+03:00"
    assert iso_wall(None, None) is None
    nested = {"a": [datetime(2024, 1, 1)], "b": {"c": datetime(2024, 1, 2, 3, 4, 5)}, "d": 1}
    assert json_times(nested) == {
        "a": ["2024-01-01T00:00:00Z"], "b": {"c": "2024-01-02T03:04:05Z"}, "d": 1
    }  # fmt: skip
