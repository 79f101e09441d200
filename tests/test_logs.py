"""Logs: one info line per CDR (id, encoding, result, ms), an access log without secrets or
phone numbers, numbers only at debug, and JSON lines from a real `serve` (uvicorn's loggers
and the writer process included)."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from cdrhub.config import load_settings
from cdrhub.logs import JsonFormatter, TextFormatter, configure
from cdrhub.web.accesslog import redacted_target
from tests.conftest import sample_bytes
from tests.serverproc import start_server, wait_ready

JSON = {"content-type": "application/json"}
API = {"authorization": "Bearer test-api-key-0123456789"}
TOKEN = "test-ingest-token-0123456789"
KEY = "test-api-key-0123456789"
# the numbers of outgoing-answered.json, as sent and as stored (E.164)
NUMBERS = ("0722776772", "972722776772", "972501234567")
SAMPLE_ID = "20231115092000abcd1234"


def _records(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == name]


def test_one_info_line_per_cdr(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="cdrhub")
    body = sample_bytes("outgoing-answered.json")
    for _ in range(2):
        assert client.post(f"/voicenter/cdr/{TOKEN}", content=body, headers=JSON).json() == {
            "Err": 0,
            "Errdesc": "OK",
        }
    client.post(f"/voicenter/cdr/{TOKEN}", content=b"{not json", headers=JSON)
    client.post("/voicenter/cdr/wrong-token-0123456789", content=body, headers=JSON)
    lines = [r for r in _records(caplog, "cdrhub.ingest") if r.levelno == logging.INFO]
    shown = [re.sub(r"ms=[0-9.]+$", "ms=<ms>", r.getMessage()) for r in lines]
    assert shown == [
        f"CDR id={SAMPLE_ID} encoding=json result=new ms=<ms>",
        f"CDR id={SAMPLE_ID} encoding=json result=duplicate ms=<ms>",
        "CDR id=- encoding=json result=quarantined ms=<ms>",
        "CDR id=- encoding=unknown result=unauthorized ms=<ms>",
    ]
    fields = [r.fields for r in lines]  # type: ignore[attr-defined]
    assert [sorted(f) for f in fields] == [["encoding", "id", "ms", "result"]] * 4
    assert [(f["id"], f["encoding"], f["result"]) for f in fields] == [
        (SAMPLE_ID, "json", "new"),
        (SAMPLE_ID, "json", "duplicate"),
        ("-", "json", "quarantined"),
        ("-", "unknown", "unauthorized"),
    ]
    assert all(isinstance(f["ms"], float) and f["ms"] >= 0 for f in fields)


def test_numbers_only_at_debug(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="cdrhub")
    body = sample_bytes("outgoing-answered.json")
    assert client.post(f"/voicenter/cdr/{TOKEN}", content=body, headers=JSON).status_code == 200
    assert client.get("/api/calls?phone=0722776772", headers=API).status_code == 200

    def text(record: logging.LogRecord) -> str:
        return record.getMessage() + json.dumps(getattr(record, "fields", {}))

    info = [text(r) for r in caplog.records if r.levelno >= logging.INFO]
    debug = [text(r) for r in caplog.records if r.levelno == logging.DEBUG]
    assert len(info) == 3  # the CDR's line and two access lines
    assert [n for n in NUMBERS if any(n in line for line in info)] == []
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG] == [
        f"CDR read id={SAMPLE_ID} caller=0722776772 target=972501234567"
    ]
    assert "0722776772" in debug[0] and "972501234567" in debug[0]


def test_access_log_redacts_secrets_and_numbers(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cdrhub.access")
    body = sample_bytes("outgoing-answered.json")
    client.post(f"/voicenter/cdr/{TOKEN}?x=1", content=body, headers=JSON)
    client.post(f"/voicenter/cdr?token={TOKEN}", content=body, headers=JSON)
    client.get(f"/api/calls?phone=%2B972-50-123-4567&api_key={KEY}&limit=5", headers=API)
    client.get("/api/contacts/0501234567/timeline", headers=API)
    client.get("/healthz", headers={"x-api-key": KEY, "authorization": f"Bearer {KEY}"})
    records = _records(caplog, "cdrhub.access")
    lines = [re.sub(r" [0-9.]+ ms$", " <ms> ms", r.getMessage()) for r in records]
    assert lines == [
        '127.0.0.1 "POST /voicenter/cdr/[redacted]?x=1" 200 <ms> ms',
        '127.0.0.1 "POST /voicenter/cdr?token=[redacted]" 200 <ms> ms',
        '127.0.0.1 "GET /api/calls?phone=[number]&api_key=[redacted]&limit=5" 200 <ms> ms',
        '127.0.0.1 "GET /api/contacts/[number]/timeline" 200 <ms> ms',
        '127.0.0.1 "GET /healthz" 200 <ms> ms',
    ]
    assert [sorted(r.fields) for r in records] == [  # type: ignore[attr-defined]
        ["client", "method", "ms", "path", "status"]
    ] * 5
    everything = "".join(r.getMessage() + json.dumps(r.fields) for r in records)  # type: ignore[attr-defined]
    assert TOKEN not in everything and KEY not in everything and "1234567" not in everything


@pytest.mark.parametrize(
    ("path", "query", "shown"),
    [
        (f"/voicenter/cdr/{TOKEN}", "", "/voicenter/cdr/[redacted]"),
        ("/voicenter/cdr", f"token={TOKEN}&a=b", "/voicenter/cdr?token=[redacted]&a=b"),
        ("/voicenter/cdr", f"t={TOKEN}", "/voicenter/cdr?t=[redacted]"),  # configured literal
        (
            "/embed/contacts/+972501234567",
            "exp=17&sig=abc",
            "/embed/contacts/[number]?exp=17&sig=[redacted]",
        ),
        ("/api/contacts/12", "", "/api/contacts/12"),
        ("/api/optouts/0501234567", "", "/api/optouts/[number]"),
        ("/api/calls", "from=2026-01-01&caller=050", "/api/calls?from=2026-01-01&caller=[number]"),
        ("/x/\n0501234567", "", "/x/\\n[number]"),
        # the dashboard's capabilities: the set-up link's token, a screen link
        ("/setup", "token=Zm9vYmFyYmF6cXV4cXV1eA", "/setup?token=[redacted]"),
        ("/wall/s/1900000000.eyJxIjpudWxsfQ.c2lnbmF0dXJl", "lang=he", "/wall/s/[redacted]?lang=he"),
    ],
)
def test_redacted_target(path: str, query: str, shown: str) -> None:
    assert redacted_target(path, query, [TOKEN]) == shown


def _record(msg: str, fields: dict[str, object] | None = None) -> logging.LogRecord:
    record = logging.LogRecord("cdrhub.access", logging.INFO, __file__, 1, msg, (), None)
    record.created = 1764954469.123  # 2025-12-05T17:07:49.123Z
    if fields is not None:
        record.fields = fields
    return record


def test_formats() -> None:
    record = _record("hello", {"a": 1})
    assert TextFormatter().format(record) == (
        "2025-12-05T17:07:49.123+00:00 INFO cdrhub.access hello"
    )
    assert json.loads(JsonFormatter().format(record)) == {
        "ts": "2025-12-05T17:07:49.123+00:00",
        "level": "INFO",
        "logger": "cdrhub.access",
        "msg": "hello",
        "fields": {"a": 1},
    }
    assert json.loads(JsonFormatter().format(_record("x\ny")))["fields"] == {}


def test_logs_follow_stderr_as_it_is_now(capsys: pytest.CaptureFixture[str]) -> None:
    """Set up while a command's output was captured (CliRunner swaps sys.stderr, then closes
    it), the logs still write to the stderr of the moment."""
    import io
    import sys

    swapped = io.StringIO()
    real, sys.stderr = sys.stderr, swapped
    try:
        configure(load_settings(env={}))
    finally:
        sys.stderr = real
        swapped.close()
    logging.getLogger("cdrhub.test").warning("after the swap")
    assert re.fullmatch(r"\S+ WARNING cdrhub\.test after the swap\n", capsys.readouterr().err)


def test_log_settings() -> None:
    settings = load_settings(env={"CDRHUB_LOG_FORMAT": "JSON", "CDRHUB_LOG_LEVEL": "Debug"})
    assert (settings.log_format, settings.log_level) == ("json", "debug")
    with pytest.raises(
        ValueError, match=r"^log_format must be one of \('text', 'json'\), not 'xml'$"
    ):
        load_settings(env={"CDRHUB_LOG_FORMAT": "xml"})


def _serve_json_lines(tmp_path: Path, env: dict[str, str], args: tuple[str, ...] = ()) -> list[str]:
    """Run serve with JSON logs at debug, post the sample, stop; the lines of its output."""
    full = {
        "CDRHUB_INGEST_TOKEN": TOKEN,
        "CDRHUB_API_KEY": KEY,
        "CDRHUB_RUN_WORKER": "false",
        "CDRHUB_LOG_FORMAT": "json",
        "CDRHUB_LOG_LEVEL": "debug",
        **env,
    }
    server = start_server(full, extra_args=args, log_path=tmp_path / "serve.log")
    try:
        wait_ready(server)
        body = sample_bytes("outgoing-answered.json")
        answer = httpx.post(f"{server.base_url}/voicenter/cdr/{TOKEN}", content=body, headers=JSON)
        assert answer.json() == {"Err": 0, "Errdesc": "OK"}
        time.sleep(0.2)
    finally:
        server.stop()
    return server.log_path.read_text().splitlines()


def _check_json_lines(lines: list[str]) -> list[dict[str, object]]:
    # what `serve` prints on start goes to stdout as plain text; every log line is JSON
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    plain = [line for line in lines if not line.startswith("{")]
    assert [p for p in plain if re.match(r"(\d{4}-\d\d-\d\dT|[A-Z]+:  )", p)] == []
    for entry in entries:
        assert sorted(entry) == ["fields", "level", "logger", "msg", "ts"], entry
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", str(entry["ts"]))
    loggers = {str(e["logger"]) for e in entries}
    assert {"uvicorn.error", "cdrhub.access", "cdrhub.ingest"} <= loggers, loggers
    cdr = [e for e in entries if e["logger"] == "cdrhub.ingest" and e["level"] == "INFO"]
    assert [e["fields"] for e in cdr] == [
        {"id": SAMPLE_ID, "encoding": "json", "result": "new", "ms": cdr[0]["fields"]["ms"]}  # type: ignore[index]
    ]
    # the writer process logs too, its numbers at debug only
    read = [e for e in entries if str(e["msg"]).startswith("CDR read")]
    assert [e["level"] for e in read] == ["DEBUG"]
    assert read[0]["fields"] == {
        "id": SAMPLE_ID,
        "caller": "0722776772",
        "target": "972501234567",
        "did": None,
    }
    above = json.dumps([e for e in entries if e["level"] != "DEBUG"])
    assert [n for n in NUMBERS if n in above] == []
    return entries


@pytest.mark.slow
def test_serve_writes_json_lines(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'logs.db'}"
    _check_json_lines(_serve_json_lines(tmp_path, {"CDRHUB_DATABASE_URL": url}))


@pytest.mark.slow
@pytest.mark.postgres
def test_serve_workers_write_json_lines(tmp_path: Path, db_url: str) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip("--workers needs PostgreSQL")
    lines = _serve_json_lines(tmp_path, {"CDRHUB_DATABASE_URL": db_url}, ("--workers", "2"))
    entries = _check_json_lines(lines)
    started = [e for e in entries if str(e["msg"]).startswith("Started server process")]
    assert len(started) == 2
