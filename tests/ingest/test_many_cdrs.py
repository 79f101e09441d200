"""Bodies of many CDRs: at most `max_cdrs_per_body` (413 beyond, nothing stored), each leg
keeping only its own bytes, and stored in parts of a batch so that another sender's CDR is
not kept waiting behind a big body (docs/ingest.md, Bodies of many CDRs)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, func, select
from starlette.testclient import TestClient

from cdrhub import domains
from cdrhub.config import ConfigError, Settings, load_settings
from cdrhub.ingest.messages import Delivery
from cdrhub.ingest.pipeline import StoredLeg
from cdrhub.ingest.process_writer import Turns
from cdrhub.ingest.thread_writer import ThreadWriter
from cdrhub.store.schema import legs, quarantine
from cdrhub.web.app import create_app
from tests.conftest import sample

URL = "/voicenter/cdr/test-ingest-token-0123456789"
JSON = {"content-type": "application/json"}
T0 = datetime(2026, 11, 28, 10, 0)


def wires(count: int, prefix: str = "m") -> list[dict[str, Any]]:
    base = sample("outgoing-answered.json")
    return [{**base, "ivruniqueid": f"20231115092000{prefix}{i:04d}"} for i in range(count)]


def xmlrpc_array(records: list[dict[str, Any]]) -> bytes:
    structs = "".join(
        "<value><struct>"
        + "".join(
            f"<member><name>{k}</name><value><string>{v}</string></value></member>"
            for k, v in r.items()
        )
        + "</struct></value>"
        for r in records
    )
    return (
        "<methodCall><methodName>cdr</methodName><params><param><value><array><data>"
        f"{structs}</data></array></value></param></params></methodCall>"
    ).encode()


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        stored = conn.execute(select(func.count()).select_from(legs)).scalar_one()
        kept = conn.execute(select(func.count()).select_from(quarantine)).scalar_one()
    return stored, kept


def test_the_setting() -> None:
    assert load_settings(env={}).max_cdrs_per_body == 100
    assert load_settings(env={"CDRHUB_MAX_CDRS_PER_BODY": "7"}).max_cdrs_per_body == 7
    with pytest.raises(ConfigError, match="max_cdrs_per_body must be an integer"):
        load_settings(env={"CDRHUB_MAX_CDRS_PER_BODY": "many"})
    with pytest.raises(ConfigError, match="max_cdrs_per_body must be at least 1, not 0"):
        load_settings(env={"CDRHUB_MAX_CDRS_PER_BODY": "0"})


@pytest.mark.parametrize("writer", ["thread", "process"])
def test_a_body_of_more_cdrs_than_allowed_is_413_and_nothing_is_stored(
    settings: Settings, writer: str
) -> None:
    app = create_app(settings.with_(max_cdrs_per_body=3, ingest_writer=writer))
    with TestClient(app) as client:
        response = client.post(URL, content=json.dumps(wires(4)), headers=JSON)
        assert (response.status_code, response.json()) == (
            413,
            {"Err": 1, "Errdesc": "the body holds 4 CDRs, more than 3: send at most that many"},
        )
        xml = client.post(
            URL, content=xmlrpc_array(wires(4, "x")), headers={"content-type": "text/xml"}
        )
        assert xml.status_code == 413
        assert xml.headers["content-type"].startswith("text/xml")
        assert "<name>Err</name><value><int>1</int></value>" in xml.text
        assert counts(app.state.engine) == (0, 0)
        metrics = client.get("/metrics").text
        assert 'cdrhub_cdrs_total{encoding="json",result="too_large"} 1.0' in metrics
        assert 'cdrhub_cdrs_total{encoding="xmlrpc",result="too_large"} 1.0' in metrics

        at_limit = client.post(URL, content=json.dumps(wires(3)), headers=JSON)
        assert (at_limit.status_code, at_limit.json()) == (200, {"Err": 0, "Errdesc": "OK"})
        assert counts(app.state.engine) == (3, 0)
    app.state.engine.dispose()


def test_a_body_of_100_cdrs_through_the_writer_process(settings: Settings) -> None:
    """Stored in parts of 16 (SQLite) or 64 (PostgreSQL) legs, answered once, after the last."""
    app = create_app(settings.with_(ingest_writer="process"))
    with TestClient(app) as client:
        response = client.post(URL, content=json.dumps(wires(100)), headers=JSON)
        assert response.json() == {"Err": 0, "Errdesc": "OK"}
        metrics = client.get("/metrics").text
        assert 'cdrhub_cdrs_total{encoding="json",result="new"} 100.0' in metrics
        assert counts(app.state.engine) == (100, 0)
    app.state.engine.dispose()


def test_each_leg_of_an_array_keeps_its_own_bytes(settings: Settings) -> None:
    """A JSON array: each object's exact text (each leg held the whole body: a body of n CDRs
    cost n times its size). Other arrays: the body, with the first CDR only."""
    app = create_app(settings)
    one, two = wires(2)
    texts = [json.dumps(one, indent=1), json.dumps(two, separators=(",", ":"))]
    body = ("\ufeff [ " + texts[0] + " ,\n" + texts[1] + "\t]\n").encode()
    xml = xmlrpc_array(wires(2, "x"))
    with TestClient(app) as client:
        assert client.post(URL, content=body, headers=JSON).json()["Err"] == 0
        assert (
            client.post(URL, content=xml, headers={"content-type": "text/xml"}).status_code == 200
        )
    with app.state.engine.connect() as conn:
        kept = conn.execute(select(legs.c.ivruniqueid, legs.c.raw_body).order_by(legs.c.id)).all()
    app.state.engine.dispose()
    assert [tuple(k) for k in kept] == [
        (one["ivruniqueid"], texts[0].encode()),
        (two["ivruniqueid"], texts[1].encode()),
        ("20231115092000x0000", xml),
        ("20231115092000x0001", None),
    ]


def recorder(batches: list[list[str]]) -> Any:
    """A hook that notes the legs of each batch, in commit order."""

    def hook(conn: Connection, stored: Sequence[StoredLeg]) -> None:
        batches.append([s.leg.ivruniqueid for s in stored])

    return hook


def delivery(body: bytes) -> Delivery:
    return Delivery(body, "application/json", "", "POST", {}, "127.0.0.1", T0)


def test_a_cdr_sent_while_a_big_body_is_stored_goes_in_before_its_next_part(
    engine: Engine, settings: Settings
) -> None:
    """Thread writer, batches of 16 legs: a body of 100 CDRs is stored in 7 parts, and a CDR
    submitted while the first part is being stored commits in the very next batch."""
    batches: list[list[str]] = []
    big, small = wires(100, "b"), wires(1, "s")[0]
    tasks: list[asyncio.Task[Any]] = []

    def send_small(conn: Connection, stored: Sequence[StoredLeg]) -> None:
        """In the writer's thread, before the first part commits: submit the small CDR."""
        if not tasks and not batches[1:]:
            body = json.dumps(small).encode()
            loop.call_soon_threadsafe(
                lambda: tasks.append(loop.create_task(writer.submit(delivery(body))))
            )

    writer = ThreadWriter(
        settings, engine, [*domains.hooks(settings), recorder(batches), send_small], max_batch=16
    )

    async def run() -> tuple[Any, Any]:
        big_outcome = await writer.submit(delivery(json.dumps(big).encode()))
        return big_outcome, await tasks[0]

    loop = asyncio.new_event_loop()
    try:
        big_outcome, small_outcome = loop.run_until_complete(run())
    finally:
        loop.close()
    assert [n.kind for n in big_outcome.legs] == ["new"] * 100
    assert [n.kind for n in small_outcome.legs] == ["new"]
    big_ids = [w["ivruniqueid"] for w in big]
    assert batches == [
        big_ids[:16],
        [small["ivruniqueid"]],
        *(big_ids[start : start + 16] for start in range(16, 100, 16)),
    ]


def test_the_writer_process_queues_a_big_bodys_next_part_behind_new_arrivals(
    engine: Engine, settings: Settings
) -> None:
    """The writer process's queue (`Turns`), batch by batch: exact."""
    batches: list[list[str]] = []
    hooks = [*domains.hooks(settings), recorder(batches)]
    big, small = wires(40, "b"), wires(3, "s")
    turns = Turns(settings, 16)
    turns.add([(1, delivery(json.dumps(big).encode()))])
    answered = [turns.store_next(engine, hooks)]
    turns.add([(2 + i, delivery(json.dumps(w).encode())) for i, w in enumerate(small)])
    while turns:
        answered.append(turns.store_next(engine, hooks))

    big_ids = [w["ivruniqueid"] for w in big]
    small_ids = [w["ivruniqueid"] for w in small]
    assert batches == [big_ids[:16], small_ids, big_ids[16:32], big_ids[32:]]
    assert [[number for number, _outcome, _failure in replies] for replies in answered] == [
        [], [2, 3, 4], [], [1]
    ]  # fmt: skip
    assert [len(o[1]) for _n, o, _f in answered[3]] == [40]
