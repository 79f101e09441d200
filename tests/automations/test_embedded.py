"""The embedded set-up: one app (as `cdrhub serve` runs it) receives the webhook and its
in-process worker sends the SMS; three deliveries of one CDR send one message."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi.testclient import TestClient

from cdrhub.web.app import create_app

from .fakes import FakeServer, twilio_responder, twilio_sent
from .helpers import EXAMPLE_TOML, recent, settings_for


def test_serve_runs_the_worker_and_redeliveries_send_once(db_url: str, tmp_path: Path) -> None:
    with FakeServer(twilio_responder("AC0123456789", "secret")) as twilio:
        toml = EXAMPLE_TOML.replace("https://api.twilio.com", twilio.url)
        toml += "\n[worker]\npoll_seconds = 0.05\n"
        settings = settings_for(db_url, toml, tmp_path, run_worker=True)
        app = create_app(settings)
        body = json.dumps(recent()).encode()
        with TestClient(app, client=("127.0.0.1", 40000)) as client:  # runs the lifespan
            for _ in range(3):
                r = client.post(
                    "/voicenter/cdr/test-ingest-token-0123456789",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                assert r.status_code == 200 and r.json()["Err"] == 0
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and not twilio_sent(twilio):
                time.sleep(0.05)
            time.sleep(0.3)  # room for a wrong second message to show up
            jobs = client.get(
                "/api/jobs", headers={"Authorization": "Bearer test-api-key-0123456789"}
            ).json()
        (message,) = twilio_sent(twilio)
        assert message["to"] == "+972501234567"
        assert json.loads(json.dumps(jobs))["counts"] == {"done": 1}
        app.state.engine.dispose()
