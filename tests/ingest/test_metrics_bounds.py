"""/metrics has a bounded set of series whatever CDRs carry, can be closed with a token, and the
names it does not show are listed by GET /api/unknowns (API key)."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import func, select, text
from starlette.testclient import TestClient

from cdrhub.config import Settings, load_settings
from cdrhub.store.schema import legs
from cdrhub.store.unknowns import conditions
from cdrhub.web.app import create_app
from tests.conftest import sample
from tests.schemadiff import differences

API = {"authorization": "Bearer test-api-key-0123456789"}
URL = "/voicenter/cdr/test-ingest-token-0123456789"
JSON = {"content-type": "application/json"}
METRICS_TOKEN = "metrics-token-0123456789abcdef"


def _series(exposition: str) -> list[str]:
    """Each sample's name and labels, without its value."""
    return [line.rsplit(" ", 1)[0] for line in exposition.splitlines() if not line.startswith("#")]


def _odd(i: int) -> dict[str, Any]:
    return {
        **sample("outgoing-answered.json"),
        "ivruniqueid": f"20231115092000odd{i:05d}",
        "type": f"HoloCall {i}",
        "status": f"BEAMED{i}",
        f"NewField{i}": "x",
    }


def _unknowns(client: TestClient) -> dict[str, Any]:
    got = client.get("/api/unknowns?limit=1000", headers=API)
    assert got.status_code == 200
    return got.json()


def test_new_names_add_no_series_and_are_listed_in_the_api(client: TestClient) -> None:
    assert client.post(URL, json=_odd(0)).json() == {"Err": 0, "Errdesc": "OK"}
    before = client.get("/metrics").text
    assert "cdrhub_unknown_types_total 1.0" in before
    assert "cdrhub_unknown_statuses_total 1.0" in before
    assert "cdrhub_unknown_fields_total 1.0" in before
    assert "HoloCall" not in before and "NewField" not in before and "BEAMED" not in before

    for batch in range(4):  # 400 CDRs, each with a type, a status and a field of its own
        body = json.dumps([_odd(i) for i in range(1 + batch * 100, 1 + (batch + 1) * 100)])
        assert client.post(URL, content=body, headers=JSON).json() == {"Err": 0, "Errdesc": "OK"}
    after = client.get("/metrics").text
    assert _series(after) == _series(before)
    assert len(after) - len(before) < 100  # only values changed
    assert "cdrhub_unknown_types_total 401.0" in after
    assert "cdrhub_unknown_statuses_total 401.0" in after
    assert "cdrhub_unknown_fields_total 401.0" in after
    assert 'cdrhub_cdrs_total{encoding="json",result="new"} 401.0' in after

    listed = _unknowns(client)
    assert sorted(i["name"] for i in listed["types"]) == sorted(f"HoloCall {i}" for i in range(401))
    assert sorted(i["name"] for i in listed["statuses"]) == sorted(f"BEAMED{i}" for i in range(401))
    assert sorted(i["name"] for i in listed["fields"]) == sorted(f"NewField{i}" for i in range(401))
    assert {i["legs"] for kind in listed.values() for i in kind} == {1}
    first = next(i for i in listed["types"] if i["name"] == "HoloCall 0")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["first_seen"])
    assert first["first_seen"] == first["last_seen"]

    assert client.get("/api/unknowns").status_code == 401
    limited = client.get("/api/unknowns?limit=2", headers=API).json()
    assert [len(limited[k]) for k in ("types", "statuses", "fields")] == [2, 2, 2]


def test_unknowns_count_legs_most_first(client: TestClient) -> None:
    base = sample("outgoing-answered.json")
    cdrs = [
        {**base, "ivruniqueid": "20231115092000u1", "type": "Beam", "Aura": 1, "Mood": 2},
        {**base, "ivruniqueid": "20231115092000u2", "type": "Beam", "Aura": 3},
        {**base, "ivruniqueid": "20231115092000u3", "status": "GLOWING"},
    ]
    for cdr in cdrs:
        client.post(URL, json=cdr)
    client.post(URL, json=cdrs[0])  # a redelivery is the same leg
    listed = _unknowns(client)
    names = {kind: [(i["name"], i["legs"]) for i in items] for kind, items in listed.items()}
    assert names == {
        "types": [("Beam", 2)],
        "statuses": [("GLOWING", 1)],
        "fields": [("Aura", 2), ("Mood", 1)],
    }
    assert client.get("/metrics").text.count("cdrhub_unknown_fields_total 3.0") == 1


def test_metrics_token(settings: Settings) -> None:
    assert load_settings(env={}).metrics_token is None
    env = {"CDRHUB_METRICS_TOKEN": METRICS_TOKEN}
    assert load_settings(env=env).metrics_token == METRICS_TOKEN

    open_app = create_app(settings)
    assert TestClient(open_app).get("/metrics").status_code == 200  # unset: public
    open_app.state.engine.dispose()

    app = create_app(settings.with_(metrics_token=METRICS_TOKEN))
    client = TestClient(app)
    bare = client.get("/metrics")
    assert (bare.status_code, bare.text) == (401, "missing or wrong metrics token\n")
    assert bare.headers["www-authenticate"] == "Bearer"
    for wrong in ("Bearer nope", f"Basic {METRICS_TOKEN}", "Bearer test-api-key-0123456789"):
        assert client.get("/metrics", headers={"authorization": wrong}).status_code == 401
    good = client.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    assert good.status_code == 200
    assert "cdrhub_unknown_types_total 0.0" in good.text
    assert client.get("/healthz").status_code == 200  # health stays open
    app.state.engine.dispose()


def test_unknowns_are_read_through_their_partial_indexes(settings: Settings) -> None:
    app = create_app(settings)
    engine = app.state.engine
    assert differences(engine, {"legs"}) == []
    indexes = {
        "types": "ix_legs_unknown_type",
        "statuses": "ix_legs_unknown_status",
        "fields": "ix_legs_unknown_fields",
    }
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # the table is empty: show it can
            explain = "EXPLAIN "
        else:
            explain = "EXPLAIN QUERY PLAN "
        for kind, condition in conditions(engine.dialect.name).items():
            query = select(func.count()).select_from(legs).where(condition)
            sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(explain + sql))
            assert indexes[kind] in plan, plan
    engine.dispose()
