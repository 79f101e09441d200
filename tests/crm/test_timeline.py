"""A number's timeline through /api/contacts/{phone}/timeline, stored through the real pipeline."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from cdrhub.automations.tables import callback_items
from cdrhub.config import Settings
from cdrhub.store.engine import write_transaction
from tests.crm.conftest import API, leg, samples, store

AI = {
    "insights": {"summary": "Asked about the invoice", "questions": ["When?"]},
    "transcript": [
        {"speaker": "Speaker0", "text": "Hello", "startTime": 0, "endTime": 1},
        {"speaker": "Speaker1", "text": "Hi, about my invoice", "startTime": 1, "endTime": 3},
    ],
}


@pytest.mark.parametrize("phone", ["0501234567", "+972501234567", "972-50-123-4567"])
def test_timeline_of_a_number_in_any_spelling(
    settings: Settings, engine: Engine, api: TestClient, phone: str
) -> None:
    # The queue call came from 0501234567; the outgoing call went to 972501234567.
    store(settings, engine, *samples("queue-abandoned", "outgoing-answered"))
    body = api.get(f"/api/contacts/{phone}/timeline", headers=API).json()
    assert body["phone"] == "+972501234567"
    assert body["contacts"] == []  # no contact: the timeline works all the same
    assert [c["id"] for c in body["calls"]] == ["20231115120640qwer5678", "20231115092000abcd1234"]
    queue, out = body["calls"]
    assert queue["direction"] == "in" and queue["outcome"] == "abandoned"
    assert queue["queue"] == {"id": 1234567, "name": "Sales Queue"}
    assert queue["wait_seconds"] == 20 and queue["talk_seconds"] == 0
    assert [s["layer_name"] for s in queue["ivr"]] == ["Main IVR", "Sales Department"]
    assert queue["started_at"] == "2023-11-15T10:06:40Z"
    assert out["direction"] == "out" and out["outcome"] == "answered"
    assert out["agent"] == {"code": "9996", "name": "Walter Melon"}
    assert out["talk_seconds"] == 11
    assert out["recording_url"] == sample_record("outgoing-answered")
    assert out["recordings"][0]["archived"] is False


def sample_record(name: str) -> str:
    return samples(name)[0]["record"]


def test_legs_are_stitched_and_ai_data_shown(
    settings: Settings, engine: Engine, api: TestClient
) -> None:
    wires = samples("click2call-leg1", "click2call-leg2")
    wires[1]["aiData"] = json.dumps(AI)
    store(settings, engine, *wires)
    body = api.get("/api/contacts/+4915112345678/timeline", headers=API).json()
    (call,) = body["calls"]
    assert [x["ivruniqueid"] for x in call["legs"]] == [w["ivruniqueid"] for w in wires]
    assert call["direction"] == "out" and call["customer_number"] == "+4915112345678"
    assert call["ai"]["summary"] == "Asked about the invoice"
    assert [t["text"] for t in call["ai"]["transcript"]] == ["Hello", "Hi, about my invoice"]


def test_unlinked_pair_brings_the_agents_leg_along(
    settings: Settings, engine: Engine, api: TestClient
) -> None:
    leg1, leg2 = samples("click2call-leg1", "click2call-leg2")
    leg2["OriginalIvrUniqueID"] = ""
    store(settings, engine, leg1, leg2)
    (call,) = api.get("/api/contacts/004915112345678/timeline", headers=API).json()["calls"]
    assert [x["type"] for x in call["legs"]] == ["Click2Call leg1", "Click2Call leg2"]


def test_contact_callbacks_and_paging(settings: Settings, engine: Engine, api: TestClient) -> None:
    api.post("/api/contacts", json={"name": "Dana", "phones": ["050-1234567"]}, headers=API)
    wires = [
        leg(ivruniqueid=f"2023111509{i:02d}00page{i:04d}", time=1700040000 + i * 60)
        for i in range(5)
    ]
    store(settings, engine, *wires)
    with write_transaction(engine) as conn:
        conn.execute(
            callback_items.insert().values(
                customer_number="+972501234567",
                status="open",
                opened_at=datetime(2023, 11, 15, 7),
                last_missed_at=datetime(2023, 11, 15, 7),
                missed_count=2,
                first_ivruniqueid="x",
                last_ivruniqueid="y",
                created_at=datetime(2023, 11, 15, 7),
                updated_at=datetime(2023, 11, 15, 7),
            )
        )
    first = api.get("/api/contacts/0501234567/timeline?limit=3", headers=API).json()
    assert [c["name"] for c in first["contacts"]] == ["Dana"]
    assert [(c["status"], c["missed_count"]) for c in first["callbacks"]] == [("open", 2)]
    assert len(first["calls"]) == 3 and first["next_before"]
    rest = api.get(
        "/api/contacts/0501234567/timeline",
        params={"limit": 3, "before": first["next_before"]},
        headers=API,
    ).json()
    ids = [c["id"] for c in first["calls"] + rest["calls"]]
    assert ids == [w["ivruniqueid"] for w in reversed(wires)]
    assert rest["next_before"] is None


def test_bad_number_and_no_key(api: TestClient) -> None:
    assert api.get("/api/contacts/SIPSIP/timeline", headers=API).status_code == 422
    assert api.get("/api/contacts/0501234567/timeline").status_code == 401


def test_a_nearby_agent_leg_of_another_call_is_not_shown(
    settings: Settings, engine: Engine, api: TestClient
) -> None:
    leg1 = samples("click2call-leg1")[0]  # agent SIPAGENT7 rings for a call to someone else
    manual = leg(
        ivruniqueid="20231115174010manual01",
        time=1700070010,
        callerextension="SIPAGENT7",
        representative_code="2001",
    )
    store(settings, engine, leg1, manual)
    calls = api.get("/api/contacts/0501234567/timeline", headers=API).json()["calls"]
    assert [c["id"] for c in calls] == ["20231115174010manual01"]


def test_a_numbers_newest_legs_come_from_an_index_in_time_order(engine: Engine) -> None:
    """The company's own line is a party of nearly every leg: its timeline must not sort them
    all. Each side has a (number, started_at, id) index, which the timeline's query walks."""
    from sqlalchemy import inspect, text

    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("legs")}
    for side in ("caller_e164", "target_e164"):
        assert indexes[f"ix_legs_{side}_started"] == [side, "started_at", "id"]
        assert f"ix_legs_{side}" not in indexes
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            plan = conn.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT * FROM legs WHERE caller_e164 = '+972' "
                    "ORDER BY started_at DESC, id DESC LIMIT 100"
                )
            ).all()
        assert [row[3] for row in plan] == [
            "SEARCH legs USING INDEX ix_legs_caller_e164_started (caller_e164=?)"
        ]
