"""Generated secrets: kept hashed, shown once, rotatable without a restart; configured ones are
used as they are and never written."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cdrhub.cli import app as cli
from cdrhub.cli import startup_lines
from cdrhub.config import Settings
from cdrhub.store.schema import app_state
from cdrhub.store.state import REFRESH_SECONDS
from cdrhub.web.app import create_app
from tests.conftest import sample_bytes

BASE = "http://cdr.example.com"
SHOWN_ONCE = (
    "Generated now and shown this once: the database keeps only its hash. Note it down; "
    "a lost one is replaced with `cdrhub secrets rotate`."
)
CDR = sample_bytes("outgoing-answered.json")


@pytest.fixture
def unset(settings: Settings) -> Settings:
    return settings.with_(ingest_token=None, api_key=None)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    for name in ("INGEST_TOKEN", "API_KEY", "EMBED_SECRET", "CONFIG", "PUBLIC_URL"):
        monkeypatch.delenv(f"CDRHUB_{name}", raising=False)


@pytest.fixture
def generated_app(unset: Settings) -> Iterator[FastAPI]:
    app = create_app(unset)
    yield app
    app.state.engine.dispose()


def _state(app: FastAPI) -> dict[str, str]:
    with app.state.engine.connect() as conn:
        return dict(conn.execute(select(app_state.c.key, app_state.c.value)).all())


def _ingest(client: TestClient, token: str) -> int:
    return client.post(f"/voicenter/cdr/{token}", content=CDR).status_code


def _api(client: TestClient, key: str) -> int:
    return client.get("/api/calls", headers={"authorization": f"Bearer {key}"}).status_code


def test_generated_secrets_are_kept_hashed(generated_app: FastAPI) -> None:
    token = generated_app.state.generated_secrets["ingest_token"]
    key = generated_app.state.generated_secrets["api_key"]
    state = _state(generated_app)
    assert state == {
        "ingest_token_sha256": hashlib.sha256(token.encode()).hexdigest(),
        "api_key_sha256": hashlib.sha256(key.encode()).hexdigest(),
    }
    assert token not in repr(state) and key not in repr(state)


def test_configured_secrets_are_never_written(app: FastAPI) -> None:
    assert _state(app) == {}
    assert app.state.generated_secrets == {}


def test_a_generated_secret_is_printed_once(unset: Settings, generated_app: FastAPI) -> None:
    token = generated_app.state.generated_secrets["ingest_token"]
    key = generated_app.state.generated_secrets["api_key"]
    db = unset.database_url  # the test databases' URLs have no password
    first = startup_lines(unset, generated_app.state.generated_secrets, BASE)
    assert first == [
        f"cdrhub {db}",
        f"Voicenter CDR URL: {BASE}/voicenter/cdr/{token}",
        SHOWN_ONCE,
        f"API key: {key}",
        SHOWN_ONCE,
    ]
    later = [
        f"cdrhub {db}",
        f"Voicenter CDR URL: {BASE}/voicenter/cdr/<ingest token, shown once; "
        "cdrhub secrets rotate ingest-token>",
        "API key: <shown once; cdrhub secrets rotate api-key>",
    ]
    assert startup_lines(unset, generated_app.state.generated_secrets, BASE) == later
    again = create_app(unset)  # the next start
    try:
        assert startup_lines(unset, again.state.generated_secrets, BASE) == later
    finally:
        again.state.engine.dispose()


def test_startup_masks_the_database_password_and_configured_secrets(settings: Settings) -> None:
    with_password = settings.with_(database_url="postgresql://cdr:hunter2-pw@db.internal/cdrhub")
    assert startup_lines(with_password, {}, BASE + "/") == [
        "cdrhub postgresql://cdr:***@db.internal/cdrhub",
        f"Voicenter CDR URL: {BASE}/voicenter/cdr/<ingest token, as configured>",
    ]


def test_rotating_the_ingest_token_reaches_a_running_server(
    generated_app: FastAPI, cli_env: None
) -> None:
    client = TestClient(generated_app)
    old = generated_app.state.generated_secrets["ingest_token"]
    assert _ingest(client, old) == 200

    out = CliRunner().invoke(cli, ["secrets", "rotate", "ingest-token"])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    new = lines[0].removeprefix("New ingest token: ")
    assert len(new) == 32 and new != old
    assert lines[1:] == [
        f"Voicenter CDR URL: <public URL>/voicenter/cdr/{new}",
        f"Running servers take it within {REFRESH_SECONDS:g} seconds and refuse the old one: "
        "update the URL in Voicenter now.",
        "Shown this once: the database keeps only its hash.",
    ]
    assert new not in repr(_state(generated_app))

    deadline = time.monotonic() + REFRESH_SECONDS + 2
    while _ingest(client, new) != 200:  # the running server reads the new hash
        assert time.monotonic() < deadline, "the new token was not taken"
        time.sleep(0.2)
    assert _ingest(client, old) == 401


def test_rotating_the_api_key(generated_app: FastAPI, unset: Settings, cli_env: None) -> None:
    old = generated_app.state.generated_secrets["api_key"]
    out = CliRunner().invoke(cli, ["secrets", "rotate", "api-key"])
    assert out.exit_code == 0, out.output
    new = out.stdout.splitlines()[0].removeprefix("New API key: ")
    assert out.stdout.splitlines()[1:] == [
        f"Running servers take it within {REFRESH_SECONDS:g} seconds and refuse the old one.",
        "Shown this once: the database keeps only its hash.",
    ]
    restarted = create_app(unset)
    try:
        client = TestClient(restarted)
        assert (_api(client, new), _api(client, old)) == (200, 401)
    finally:
        restarted.state.engine.dispose()


def test_rotating_the_embed_secret_revokes_links(
    settings: Settings, cli_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings)
    try:
        client = TestClient(app)
        auth = {"authorization": "Bearer test-api-key-0123456789"}
        link = client.post("/api/embed-links", json={"phone": "0546666666"}, headers=auth).json()
        assert client.get(link["path"]).status_code == 200
        kept = _state(app)["embed_secret"]

        out = CliRunner().invoke(cli, ["secrets", "rotate", "embed-secret"])
        assert out.exit_code == 0, out.output
        assert out.stdout == (
            f"New embed secret kept (never shown). Running servers take it within "
            f"{REFRESH_SECONDS:g} seconds; links signed before stop working.\n"
        )
        rotated = _state(app)["embed_secret"]
        assert rotated != kept and rotated not in out.output
        deadline = time.monotonic() + REFRESH_SECONDS + 2
        while client.get(link["path"]).status_code != 403:
            assert time.monotonic() < deadline, "the old link still works"
            time.sleep(0.2)
        fresh = client.post("/api/embed-links", json={"phone": "0546666666"}, headers=auth)
        assert client.get(fresh.json()["path"]).status_code == 200
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize(
    ("which", "variable", "message"),
    [
        (
            "ingest-token",
            "CDRHUB_INGEST_TOKEN",
            "ingest-token is set by CDRHUB_INGEST_TOKEN / ingest_token",
        ),
        ("api-key", "CDRHUB_API_KEY", "api-key is set by CDRHUB_API_KEY / api_key"),
        (
            "embed-secret",
            "CDRHUB_EMBED_SECRET",
            "embed-secret is set by CDRHUB_EMBED_SECRET / [crm.embed] secret",
        ),
    ],
)
def test_rotate_refuses_a_configured_secret(
    cli_env: None, monkeypatch: pytest.MonkeyPatch, which: str, variable: str, message: str
) -> None:
    monkeypatch.setenv(variable, "configured-secret-0123456789")
    out = CliRunner().invoke(cli, ["secrets", "rotate", which])
    assert out.exit_code == 2
    assert out.output == (
        f"{message}: rotating the generated one would change nothing; change the setting instead\n"
    )
