"""Admin pages: only admins open them; users added with a one-time password that signs in,
disabled and reset; the audit log; dead jobs retried; quarantine shown and replayed; rules and
channels shown with their secrets masked."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from cdrhub.config import load_settings
from cdrhub.jobs import outbox
from cdrhub.people import users
from cdrhub.store.engine import write_transaction
from cdrhub.web.app import create_app
from tests.pages.helpers import PASSWORD, csrf, signed_in

ORIGIN = {"Origin": "http://testserver", "Accept-Language": "en"}
PAGES = ("/admin/users", "/admin/audit", "/admin/jobs", "/admin/quarantine", "/admin/rules")


@pytest.fixture
def admin(app: FastAPI) -> TestClient:
    with write_transaction(app.state.engine) as conn:
        users.add(conn, "boss@example.com", "admin", PASSWORD, actor="cli")
        users.add(conn, "agent@example.com", "agent", PASSWORD, actor="cli")
    return signed_in(app, "boss@example.com")


def test_an_agent_gets_403_on_every_admin_page(app: FastAPI, admin: TestClient) -> None:
    agent = signed_in(app, "agent@example.com")
    for path in PAGES:
        answer = agent.get(path)
        assert answer.status_code == 403, path
        assert "Your role does not open this page." in answer.text
    for path in PAGES:
        assert admin.get(path).status_code == 200, path


def test_an_added_user_signs_in_with_the_one_time_password(app: FastAPI, admin: TestClient) -> None:
    token = csrf(admin.get("/admin/users").text)
    added = admin.post(
        "/admin/users",
        data={
            "csrf": token,
            "email": "New@Example.com",
            "role": "manager",
            "queues": "Sales, VIP",
            "extension": "305",
        },
        headers=ORIGIN,
    )
    assert added.status_code == 200
    found = re.search(r'<code dir="ltr">([^<]+)</code>', added.text)
    assert found is not None
    assert "<bdi>Sales, VIP</bdi>" in added.text
    newcomer = TestClient(app, follow_redirects=False)
    form = newcomer.get("/login")
    signed = newcomer.post(
        "/login",
        data={"csrf": csrf(form.text), "email": "new@example.com", "password": found.group(1)},
        headers=ORIGIN,
    )
    assert signed.headers["location"] == "/account/password"
    with app.state.engine.connect() as conn:
        user = users.by_email(conn, "new@example.com")
    assert user is not None and (user.role, user.extension) == ("manager", "305")
    assert user.scope.queues == frozenset({"Sales", "VIP"})


def test_disable_and_reset_and_their_audit(app: FastAPI, admin: TestClient) -> None:
    token = csrf(admin.get("/admin/users").text)
    off = admin.post("/admin/users/agent@example.com/disable", data={"csrf": token}, headers=ORIGIN)
    assert off.status_code == 200 and '<tr class="disabled">' in off.text
    self_off = admin.post(
        "/admin/users/boss@example.com/disable", data={"csrf": token}, headers=ORIGIN
    )
    assert self_off.status_code == 422 and "You cannot disable yourself." in self_off.text
    reset = admin.post(
        "/admin/users/agent@example.com/reset-password", data={"csrf": token}, headers=ORIGIN
    )
    assert "One-time password for" in reset.text
    log = admin.get("/admin/audit").text
    assert log.index("user.password") < log.index("user.disable")  # newest first
    assert '<bdi dir="ltr">boss@example.com</bdi>' in log


def test_dead_jobs_are_retried_from_the_page(app: FastAPI, admin: TestClient) -> None:
    now = datetime(2024, 1, 1)
    with write_transaction(app.state.engine) as conn:
        job_id = outbox.enqueue(conn, "automations.sms", "k1", {"to": "x"}, run_at=now)
        conn.execute(outbox.outbox_jobs.update().values(status="dead", last_error="HTTP 400"))
    page = admin.get("/admin/jobs")
    assert "HTTP 400" in page.text and "Dead (1)" in page.text
    retried = admin.post(
        f"/admin/jobs/{job_id}/retry", data={"csrf": csrf(page.text)}, headers=ORIGIN
    )
    assert retried.status_code == 303
    with app.state.engine.connect() as conn:
        assert outbox.get_job(conn, job_id)["status"] == "pending"


def test_quarantine_is_shown_and_replayed(app: FastAPI, admin: TestClient) -> None:
    bad = admin.post(
        "/voicenter/cdr/test-ingest-token-0123456789",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 200
    page = admin.get("/admin/quarantine")
    (qid,) = re.findall(r'href="/admin/quarantine\?show=(\d+)"', page.text)
    shown = admin.get(f"/admin/quarantine?show={qid}")
    assert "{not json" in shown.text
    replayed = admin.post(
        "/admin/quarantine/replay", data={"csrf": csrf(page.text)}, headers=ORIGIN
    )
    assert replayed.status_code == 303
    assert "still failing" in admin.get("/admin/quarantine").text
    assert "quarantine.replay" in admin.get("/admin/audit").text


def test_rules_and_channels_are_shown_with_secrets_masked(
    settings,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    config = tmp_path / "cdrhub.toml"
    config.write_text(
        '[channels.twilio]\naccount_sid = "AC123"\nauth_token = "very-secret-token-value"\n'
        'from = "+97231234567"\n\n[[rules]]\nname = "abandoned"\nwhen = { status = "ABANDONE" }\n'
        'actions = [{ do = "callback" }]\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("CDRHUB_CONFIG", str(config))
    application = create_app(
        load_settings(
            env={"CDRHUB_CONFIG": str(config)},
            database_url=settings.database_url,
            ingest_token="test-ingest-token-0123456789",
            api_key="test-api-key-0123456789",
            run_worker=False,
            ingest_writer="thread",
        )
    )
    with write_transaction(application.state.engine) as conn:
        users.add(conn, "boss@example.com", "admin", PASSWORD, actor="cli")
    page = signed_in(application, "boss@example.com").get("/admin/rules")
    assert "very-secret-token-value" not in page.text
    assert '<dt dir="ltr">auth_token</dt><dd dir="ltr">[redacted]</dd>' in page.text
    assert '<dt dir="ltr">account_sid</dt><dd dir="ltr">AC123</dd>' in page.text
    assert "<bdi>abandoned</bdi>" in page.text
    assert "The rules check found no problem." in page.text
    application.state.engine.dispose()
