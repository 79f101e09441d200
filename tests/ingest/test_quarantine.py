"""The quarantine keeps every distinct delivery (GET ones too, to be replayed from their query),
keeps no secret, and is listed a page at a time."""

from __future__ import annotations

import base64
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cdrhub.cli import app as cli
from cdrhub.config import Settings
from cdrhub.store.schema import legs, quarantine

TOKEN = "test-ingest-token-0123456789"
API = {"authorization": "Bearer test-api-key-0123456789"}
JSON = {"content-type": "application/json"}


def rows(app: FastAPI) -> list[dict]:
    with app.state.engine.connect() as conn:
        return [
            dict(r) for r in conn.execute(select(quarantine).order_by(quarantine.c.id)).mappings()
        ]


def bad_get(n: int) -> str:
    """A GET CDR our decoder cannot read today: its id under a name it does not know."""
    return urlencode(
        {
            "token": TOKEN,
            "IvrUniqueIdentifier": f"20240101000000get{n:03d}",
            "caller": "0501234567",
            "target": "0733333333",
            "type": "Incoming",
            "status": "ANSWER",
            "time": 1704060000 + n,
        }
    )


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDRHUB_INGEST_TOKEN", TOKEN)
    monkeypatch.setenv("CDRHUB_API_KEY", "test-api-key-0123456789")
    monkeypatch.setenv("CDRHUB_RUN_WORKER", "false")


def test_distinct_get_deliveries_are_kept_apart_and_replayed_from_their_query(
    client: TestClient, app: FastAPI, cli_env: None
) -> None:
    for n in range(50):
        reply = client.get(f"/voicenter/cdr?{bad_get(n)}")
        assert reply.text == (
            "Err=1&Errdesc=no+ivruniqueid%3A+the+CDR+cannot+be+stored+idempotently"
        )
    client.get(f"/voicenter/cdr?{bad_get(7)}")  # Voicenter sends one again: counted, not kept
    kept = rows(app)
    assert len(kept) == 50
    assert [r["received_count"] for r in kept] == [1] * 7 + [2] + [1] * 42
    assert {(r["method"], r["body"]) for r in kept} == {("GET", b"")}
    assert kept[3]["query"] == bad_get(3).replace(TOKEN, "[redacted]")

    # The fix (here: the CDRs corrected in place), then `cdrhub quarantine replay`.
    with app.state.engine.begin() as conn:
        conn.execute(
            quarantine.update().values(
                query=func.replace(quarantine.c.query, "IvrUniqueIdentifier", "ivruniqueid")
            )
        )
    out = CliRunner().invoke(cli, ["quarantine", "replay"])
    assert out.exit_code == 0, out.output
    assert out.stdout.splitlines()[-1] == "50 replayed, 50 cleared, 0 still failing"
    with app.state.engine.connect() as conn:
        ids = conn.execute(select(legs.c.ivruniqueid).order_by(legs.c.ivruniqueid)).scalars()
        assert list(ids) == [f"20240101000000get{n:03d}" for n in range(50)]
    listed = client.get("/api/quarantine", headers=API).json()
    assert listed == {"items": [], "next_cursor": None}


def test_the_same_bytes_again_count_once_and_other_types_do_not(
    client: TestClient, app: FastAPI
) -> None:
    body = b"not a cdr"
    for ctype in ("application/json", "application/json", "text/xml"):
        client.post(f"/voicenter/cdr/{TOKEN}", content=body, headers={"content-type": ctype})
    client.post(f"/voicenter/cdr/{TOKEN}?x=1", content=body, headers=JSON)
    kept = rows(app)
    assert [(r["content_type"], r["query"], r["received_count"]) for r in kept] == [
        ("application/json", "", 2),
        ("text/xml", "", 1),
        ("application/json", "x=1", 1),
    ]


def test_no_secret_is_kept_or_shown(client: TestClient, app: FastAPI, cli_env: None) -> None:
    code = "VC-API-CODE-93f1c2"
    body = f'{{"ivruniqueid": "x", "note": "{TOKEN}", "rec": "https://r.example/a.mp3?code={code}"'
    headers = {
        **JSON,
        "referer": f"https://proxy.example/voicenter/cdr/{TOKEN}?code={code}",
        "x-original-uri": f"/voicenter/cdr?token={TOKEN}",
        "cookie": f"session={TOKEN}",
        "x-api-key": code,
    }
    reply = client.post(f"/voicenter/cdr?token={TOKEN}&Code={code}", content=body, headers=headers)
    assert reply.json()["Err"] == 1
    basic = base64.b64encode(f"voicenter:{TOKEN}".encode()).decode()
    reply = client.get("/voicenter/cdr?caller=1", headers={"authorization": f"Basic {basic}"})
    assert reply.text.startswith("Err=1&")

    kept = rows(app)
    assert len(kept) == 2
    stored = repr(kept) + "".join(r["body"].decode("latin-1") for r in kept)
    assert TOKEN not in stored and code not in stored
    assert kept[0]["query"] == "token=[redacted]&Code=[redacted]"
    assert kept[0]["body"] == (
        b'{"ivruniqueid": "x", "note": "[redacted]", '
        b'"rec": "https://r.example/a.mp3?code=[redacted]"'
    )
    assert {k: kept[0]["headers"][k] for k in ("referer", "x-original-uri", "cookie")} == {
        "referer": "https://proxy.example/voicenter/cdr/[redacted]?code=[redacted]",
        "x-original-uri": "/voicenter/cdr?token=[redacted]",
        "cookie": "[redacted]",
    }
    assert kept[0]["headers"]["x-api-key"] == "[redacted]"
    assert kept[1]["headers"]["authorization"] == "[redacted]"

    shown = client.get("/api/quarantine", headers=API).text
    shown += "".join(client.get(f"/api/quarantine/{r['id']}", headers=API).text for r in kept)
    shown += CliRunner().invoke(cli, ["quarantine", "list"]).stdout
    assert "[redacted]" in shown
    assert TOKEN not in shown and code not in shown


def test_pages_by_id(client: TestClient, app: FastAPI, cli_env: None) -> None:
    for n in range(53):
        client.post(f"/voicenter/cdr/{TOKEN}", content=f"{{bad {n}".encode(), headers=JSON)
    ids = [r["id"] for r in rows(app)]
    assert len(ids) == 53

    def page(query: str) -> tuple[list[int], int | None]:
        answer = client.get(f"/api/quarantine{query}", headers=API)
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert all("body" not in item for item in data["items"])
        return [item["id"] for item in data["items"]], data["next_cursor"]

    assert page("") == (ids[:50], ids[49])  # 50 by default
    assert page(f"?cursor={ids[49]}") == (ids[50:], None)
    assert page("?limit=20") == (ids[:20], ids[19])
    assert page(f"?limit=20&cursor={ids[19]}") == (ids[20:40], ids[39])
    assert page(f"?limit=13&cursor={ids[39]}") == (ids[40:], None)
    assert page("?limit=500") == (ids, None)
    for limit in (0, 501):
        assert client.get(f"/api/quarantine?limit={limit}", headers=API).status_code == 422
    one = client.get(f"/api/quarantine/{ids[4]}", headers=API).json()
    assert (one["id"], one["body"], one["size"]) == (ids[4], "{bad 4", 6)

    out = CliRunner().invoke(cli, ["quarantine", "list", "--limit", "2", "--cursor", str(ids[9])])
    assert out.exit_code == 0, out.output
    reason = (
        "invalid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    )
    assert out.stdout.splitlines() == [
        f"#{ids[10]} POST x1 7 bytes: {reason}",
        f"#{ids[11]} POST x1 7 bytes: {reason}",
        f"more: cdrhub quarantine list --cursor {ids[11]}",
    ]


def test_a_body_that_is_not_utf8_comes_back_as_base64(client: TestClient) -> None:
    body = b'{"caller": "\xff\xfe"}'
    client.post(f"/voicenter/cdr/{TOKEN}", content=body, headers=JSON)
    [item] = client.get("/api/quarantine", headers=API).json()["items"]
    one = client.get(f"/api/quarantine/{item['id']}", headers=API).json()
    assert (one["body"], base64.b64decode(one["body_base64"])) == (None, body)
    assert item["size"] == one["size"] == len(body) == 16
