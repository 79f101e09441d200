"""Migration 0008_quarantine_delivery on a database that has lived under 0001_core: quarantine
rows get their delivery key and lose their secrets, generated secrets become hashes; and the
core tables match their definitions."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import Engine, column, select, table
from starlette.testclient import TestClient

from cdrhub.config import load_settings
from cdrhub.store.engine import make_engine
from cdrhub.store.migrate import alembic_config, upgrade
from cdrhub.store.quarantine import delivery_key
from cdrhub.store.schema import app_state, quarantine
from cdrhub.web.app import create_app
from tests.conftest import PG_ADMIN_URL, sample_bytes
from tests.schemadiff import differences

PLAIN_TOKEN = "old-plain-ingest-token-Qm9vYmFy"
PLAIN_KEY = "old-plain-api-key-WmFwcGVy1234"
EMBED = "old-embed-secret-0123456789"
AT = datetime(2024, 1, 1, 12, 0)
# The table as 0001_core made it (no delivery_key).
OLD_QUARANTINE = table(
    "quarantine", *(column(c.name, c.type) for c in quarantine.c if c.name != "delivery_key")
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def core_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database migrated to 0001_core only."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        name = None
    else:
        request.getfixturevalue("pg_url")  # skips when PostgreSQL is unreachable
        name = f"cdrhub_mig_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        url = f"{url}/{name}"
    engine = make_engine(url)
    cfg = alembic_config()
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001_core")
        conn.commit()
    yield engine
    engine.dispose()
    if name:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _old_row(body: bytes, query: str, headers: dict, reason: str = "bad") -> dict:
    return {
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body": body,
        "content_type": "application/json" if body else None,
        "method": "POST" if body else "GET",
        "query": query,
        "headers": headers,
        "source": "127.0.0.1",
        "reason": reason,
        "received_count": 3,
        "first_received_at": AT,
        "last_received_at": AT,
    }


def test_existing_rows_and_secrets_are_migrated(core_engine: Engine) -> None:
    old = [
        _old_row(b"", f"token={PLAIN_TOKEN}&caller=0501234567", {"authorization": "<redacted>"}),
        _old_row(
            f'{{"note": "{PLAIN_TOKEN}"'.encode(),
            "",
            {"referer": f"https://p.example/voicenter/cdr/{PLAIN_TOKEN}?code=VC123456"},
            reason=f"invalid JSON near {PLAIN_TOKEN}",
        ),
    ]
    with core_engine.begin() as conn:
        conn.execute(OLD_QUARANTINE.insert(), old)
        conn.execute(
            app_state.insert(),
            [
                {"key": "ingest_token", "value": PLAIN_TOKEN},
                {"key": "api_key", "value": PLAIN_KEY},
                {"key": "embed_secret", "value": EMBED},
            ],
        )

    upgrade(core_engine)

    with core_engine.connect() as conn:
        rows = [
            dict(r) for r in conn.execute(select(quarantine).order_by(quarantine.c.id)).mappings()
        ]
        state = dict(conn.execute(select(app_state.c.key, app_state.c.value)).all())
    assert PLAIN_TOKEN not in repr(rows) and "VC123456" not in repr(rows)
    assert [(r["query"], r["received_count"]) for r in rows] == [
        ("token=[redacted]&caller=0501234567", 3),
        ("", 3),
    ]
    assert rows[0]["headers"] == {"authorization": "[redacted]"}
    assert rows[1]["headers"] == {
        "referer": "https://p.example/voicenter/cdr/[redacted]?code=[redacted]"
    }
    assert rows[1]["body"] == b'{"note": "[redacted]"'
    assert rows[1]["reason"] == "invalid JSON near [redacted]"
    assert rows[1]["body_sha256"] == hashlib.sha256(rows[1]["body"]).hexdigest()
    for r in rows:
        assert r["delivery_key"] == delivery_key(
            r["method"], r["content_type"], r["query"], r["body"]
        )
    assert state == {
        "ingest_token_sha256": hashlib.sha256(PLAIN_TOKEN.encode()).hexdigest(),
        "api_key_sha256": hashlib.sha256(PLAIN_KEY.encode()).hexdigest(),
        "embed_secret": EMBED,  # an HMAC key: kept as it is
    }
    assert differences(core_engine, {"quarantine", "app_state"}) == []

    # The secrets Voicenter and API clients already have keep working, and are not generated
    # again.
    settings = load_settings(env={}, database_url=str(core_engine.url.render_as_string(False)),
                             run_worker=False, ingest_writer="thread")  # fmt: skip
    app = create_app(settings)
    try:
        assert app.state.generated_secrets == {}
        client = TestClient(app)
        body = sample_bytes("outgoing-answered.json")
        answer = client.post(f"/voicenter/cdr/{PLAIN_TOKEN}", content=body)
        assert answer.json() == {"Err": 0, "Errdesc": "OK"}
        auth = {"authorization": f"Bearer {PLAIN_KEY}"}
        assert client.get("/api/quarantine?limit=1", headers=auth).json()["next_cursor"] == 1
    finally:
        app.state.engine.dispose()
