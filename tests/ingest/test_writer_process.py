"""Ingest through the writer process (`ingest_writer = "process"`, what `cdrhub serve` runs):
the same legs, answers and quarantine as in-process ingest, Err 2 when storage fails, and a
writer that comes back. The SIGKILL tests of a real server are in test_crash.py."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from starlette.testclient import TestClient

from cdrhub import domains
from cdrhub.config import ConfigError, Settings, load_settings
from cdrhub.ingest.messages import Delivery, Outcome
from cdrhub.ingest.process_writer import PROCESS_MAX_BATCH, ProcessWriter
from cdrhub.ingest.thread_writer import ThreadWriter
from cdrhub.store.engine import make_engine
from cdrhub.web.app import create_app
from tests.conftest import sample
from tests.ingest.test_encodings import ENCODERS, SAMPLES

AUTH = {"authorization": "Bearer test-api-key-0123456789"}
# What differs between two deliveries of one CDR whatever stores it.
VOLATILE = {"first_received_at", "last_received_at", "id"}


TOKEN = "test-ingest-token-0123456789"


def post(client: TestClient, body: bytes, ctype: str) -> Any:
    return client.post(f"/voicenter/cdr/{TOKEN}", content=body, headers={"content-type": ctype})


def stored(client: TestClient, ivruniqueid: str) -> dict[str, Any]:
    call = client.get(f"/api/calls/{ivruniqueid}", headers=AUTH).json()
    return {k: v for k, v in call.items() if k not in VOLATILE}


@pytest.fixture
def process_app(settings: Settings) -> Iterator[FastAPI]:
    app = create_app(settings.with_(ingest_writer="process"))
    yield app
    app.state.ingest_writer.close()
    app.state.engine.dispose()


def test_setting_chooses_the_writer(settings: Settings) -> None:
    assert load_settings(env={}).ingest_writer == "process"
    assert load_settings(env={"CDRHUB_INGEST_WRITER": "thread"}).ingest_writer == "thread"
    with pytest.raises(ConfigError, match="ingest_writer must be one of"):
        load_settings(env={"CDRHUB_INGEST_WRITER": "fork"})
    app = create_app(settings.with_(ingest_writer="process"))
    assert isinstance(app.state.ingest_writer, ProcessWriter)
    app.state.engine.dispose()
    app = create_app(settings.with_(ingest_writer="thread"))
    assert isinstance(app.state.ingest_writer, ThreadWriter)
    app.state.engine.dispose()


def test_every_sample_in_every_encoding_stored_as_in_process(
    settings: Settings, process_app: FastAPI
) -> None:
    in_process = create_app(settings.with_(ingest_writer="thread"))
    expected: dict[str, dict[str, Any]] = {}
    with TestClient(in_process) as client:
        for name in SAMPLES:
            wire = sample(name)
            assert post(client, *ENCODERS["json"](wire)).json() == {"Err": 0, "Errdesc": "OK"}
            expected[wire["ivruniqueid"]] = stored(client, wire["ivruniqueid"])
        with in_process.state.engine.begin() as conn:
            for table in (
                "leg_versions",
                "outbox_jobs",
                "crm_recordings",
                "callback_items",
                "legs",
            ):
                conn.execute(text(f"DELETE FROM {table}"))
    in_process.state.engine.dispose()

    with TestClient(process_app) as client:
        writer = process_app.state.ingest_writer
        for encoding, encode in ENCODERS.items():
            for name in SAMPLES:
                wire = sample(name)
                response = post(client, *encode(wire))
                assert response.status_code == 200
                assert response.text.count("OK") == 1, (encoding, name, response.text)
        for ivruniqueid, leg in expected.items():
            got = stored(client, ivruniqueid)
            # one new delivery in each of the four encodings: the first is kept as raw
            assert got.pop("deliveries") == len(ENCODERS)
            leg.pop("deliveries")
            assert got == leg
        process = writer._process
        assert process is not None and process.is_alive()
    assert not process.is_alive(), "the writer stops with the app"


def test_answers_in_kind_and_quarantines(process_app: FastAPI) -> None:
    wire = sample("queue-abandoned.json")
    with TestClient(process_app) as client:
        body, ctype = ENCODERS["xmlrpc"](wire)
        response = post(client, body, ctype)
        assert response.headers["content-type"].startswith("text/xml")
        assert "<name>Err</name><value><int>0</int></value>" in response.text
        form = post(client, *ENCODERS["form"](wire))
        assert form.text == "Err=0&Errdesc=OK"
        # the token in a proxy's header is stripped in the writer process as well
        proxied = {"content-type": "application/json", "x-original-uri": f"/cdr/{TOKEN}"}
        bad = client.post(f"/voicenter/cdr/{TOKEN}", content=b'{"ivruniqueid": ', headers=proxied)
        assert bad.status_code == 200
        assert bad.json()["Err"] == 1
        quarantined = client.get("/api/quarantine", headers=AUTH).json()["items"]
        one = client.get(f"/api/quarantine/{quarantined[0]['id']}", headers=AUTH).json()
        assert (len(quarantined), one["body"]) == (1, '{"ivruniqueid": ')
        assert one["headers"]["x-original-uri"] == "/cdr/[redacted]"
        call = client.get(f"/api/calls/{wire['ivruniqueid']}", headers=AUTH).json()
        assert (call["deliveries"], call["revision"], call["status"]) == (2, 1, "ABANDONE")


def test_storage_failure_is_err_2_then_recovers(process_app: FastAPI) -> None:
    wire = sample("outgoing-answered.json")
    body, ctype = ENCODERS["json"](wire)
    engine = process_app.state.engine
    with TestClient(process_app) as client:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE legs RENAME TO legs_away"))
        try:
            failed = post(client, body, ctype)
        finally:
            with engine.begin() as conn:
                conn.execute(text("ALTER TABLE legs_away RENAME TO legs"))
        assert failed.status_code == 503
        assert failed.json() == {"Err": 2, "Errdesc": "storage unavailable, retry later"}
        assert post(client, body, ctype).json() == {"Err": 0, "Errdesc": "OK"}
        call = client.get(f"/api/calls/{wire['ivruniqueid']}", headers=AUTH).json()
        assert call["deliveries"] == 1


def test_a_dead_writer_is_replaced(process_app: FastAPI) -> None:
    wire = sample("click2call-leg1.json")
    body, ctype = ENCODERS["json"](wire)
    with TestClient(process_app) as client:
        writer = process_app.state.ingest_writer
        first = writer._process
        first.kill()
        first.join(timeout=10)
        # The pipe's end is seen on the loop's next turn; the delivery after it starts a new
        # writer (one that arrives before may fail with Err 2, and Voicenter resends it).
        answers = [post(client, body, ctype).json() for _ in range(2)]
        assert answers[-1] == {"Err": 0, "Errdesc": "OK"}
        assert set(map(str, answers)) <= {
            str({"Err": 0, "Errdesc": "OK"}),
            str({"Err": 2, "Errdesc": "storage unavailable, retry later"}),
        }
        assert writer._process is not first and writer._process.is_alive()
        call = client.get(f"/api/calls/{wire['ivruniqueid']}", headers=AUTH).json()
        assert call["deliveries"] == sum(a["Err"] == 0 for a in answers)


def test_deliveries_submitted_together_travel_and_store_together(settings: Settings) -> None:
    """Deliveries submitted in one turn of the event loop cross the pipe as one message; the
    writer stores them in batches of at most its limit and answers each."""
    writer = ProcessWriter(settings.with_(ingest_writer="process"), domains.hooks)
    count = PROCESS_MAX_BATCH["sqlite"] + 9  # more than one batch in one message
    wires = [{**sample("outgoing-answered.json"), "ivruniqueid": f"t-{i}"} for i in range(count)]
    now = datetime(2026, 11, 28, 12, 0)

    def delivery(wire: dict[str, Any]) -> Delivery:
        ctype = "application/json"
        return Delivery(json.dumps(wire).encode(), ctype, "", "POST", {}, None, now)

    async def submit_all() -> list[Outcome]:
        try:
            together = asyncio.gather(*(writer.submit(delivery(w)) for w in wires))
            return await asyncio.wait_for(together, timeout=60)
        finally:
            writer.close()

    outcomes = asyncio.run(submit_all())
    assert [(o.encoding, [n.kind for n in o.legs], o.errors) for o in outcomes] == [
        ("json", ["new"], ())
    ] * count
    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT ivruniqueid FROM legs")).scalars().all()
    engine.dispose()
    assert sorted(stored) == sorted(w["ivruniqueid"] for w in wires)


def test_several_servers_need_postgresql(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from cdrhub.cli import app as cli

    env = {"CDRHUB_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = CliRunner().invoke(cli, ["serve", "--workers", "2"], env=env)
    assert result.exit_code == 2
    assert "--workers > 1 needs PostgreSQL" in result.output


def test_hostile_cdrs_are_stored_or_quarantined_through_the_writer_process(
    process_app: FastAPI,
) -> None:
    """The writer process reads the bodies: a key too long is quarantined, a field nested 500
    deep and a type "²" are stored (each was Err 2 or Err 1 before)."""
    wire = sample("outgoing-answered.json")
    long_id = {**wire, "ivruniqueid": "l" * 129}
    deep: Any = "x"
    for _ in range(500):
        deep = [deep]
    bodies = [
        long_id,
        {**wire, "ivruniqueid": "20231115092000deep", "aiData": deep},
        {**wire, "ivruniqueid": "20231115092000sup2", "type": "²"},
    ]
    with TestClient(process_app) as client:
        answers = [post(client, json.dumps(b).encode(), "application/json") for b in bodies]
        assert [(a.status_code, a.json()["Err"]) for a in answers] == [(200, 1), (200, 0), (200, 0)]
        assert answers[0].json()["Errdesc"] == (
            "ivruniqueid longer than 128 characters: the CDR cannot be stored under its own key"
        )
        assert (
            stored(client, "20231115092000sup2")["type"],
            stored(client, "20231115092000sup2")["type_id"],
        ) == ("²", None)
        [quarantined] = client.get("/api/quarantine", headers=AUTH).json()["items"]
        one = client.get(f"/api/quarantine/{quarantined['id']}", headers=AUTH).json()
        assert one["body"] == json.dumps(long_id)
    engine = make_engine(process_app.state.settings.database_url)
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT ivruniqueid FROM legs ORDER BY id")).scalars().all()
    engine.dispose()
    assert ids == ["20231115092000deep", "20231115092000sup2"]
