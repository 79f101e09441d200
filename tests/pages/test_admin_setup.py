"""The set-up page: the ingest URL to give Voicenter, a new token shown once, and a test CDR
through the real ingest path that no report counts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from starlette.testclient import TestClient

from cdrhub.analytics.service import run_report
from cdrhub.config import load_settings
from cdrhub.web.app import create_app
from tests.pages.helpers import add_user, csrf, signed_in

ORIGIN = {"Origin": "http://testserver", "Accept-Language": "en"}


def _admin(app: FastAPI, base: str = "http://testserver") -> TestClient:
    add_user(app.state.engine, "boss@example.com", "admin")
    return signed_in(app, "boss@example.com", base=base)


def test_the_configured_ingest_url_is_shown(app: FastAPI) -> None:
    page = _admin(app).get("/admin/setup")
    assert (
        '<code dir="ltr" id="ingest-url">'
        "http://testserver/voicenter/cdr/test-ingest-token-0123456789</code>"
    ) in page.text
    assert "Make a new ingest token" not in page.text


def test_a_generated_token_is_shown_only_when_made_anew(db_url: str, tmp_path: Path) -> None:
    settings = load_settings(
        env={},
        database_url=db_url,
        api_key="test-api-key-0123456789",
        run_worker=False,
        ingest_writer="thread",
        public_url="https://cdr.example.co.il",
    )
    app = create_app(settings)
    web = _admin(app, "https://cdr.example.co.il")
    page = web.get("/admin/setup")
    assert "https://cdr.example.co.il/voicenter/cdr/&lt;ingest token&gt;" in page.text
    made = web.post(
        "/admin/setup/new-token",
        data={"csrf": csrf(page.text)},
        headers={"Origin": "https://cdr.example.co.il"},
    )
    token = re.search(r"https://cdr\.example\.co\.il/voicenter/cdr/([\w-]{32})<", made.text)
    assert token is not None
    answer = TestClient(app).post(
        f"/voicenter/cdr/{token.group(1)}",
        content=b"{}",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200  # the new token opens ingest (an empty CDR: Err 1)
    app.state.engine.dispose()


def test_a_test_cdr_arrives_and_no_report_counts_it(app: FastAPI) -> None:
    web = _admin(app)
    page = web.get("/admin/setup")
    sent = web.post("/admin/setup/test-cdr", data={"csrf": csrf(page.text)}, headers=ORIGIN)
    assert sent.status_code == 200
    assert re.search(
        r'Arrived and stored in \d+ ms:\s*<code dir="ltr">cdrhubtest\d{20}</code> '
        r"\(Click2Call leg1, ANSWER\)",
        sent.text,
    )
    today = datetime.now(app.state.settings.tz).date()
    params = {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    overview = run_report(app.state.engine, app.state.settings, "overview", params)["rows"]
    agents = run_report(app.state.engine, app.state.settings, "agents", params)["rows"]
    assert agents == []
    assert (overview[0]["offered"], overview[0]["answered"]) == (0, 0)
