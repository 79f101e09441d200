"""`/api/calls` checks its filters like the reports (a 422 with a fixed line, never an empty
page for a value that can select nothing), and `agent=` means the same there and in the
reports: an agent's code or name selects the same legs."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.analytics.helpers import answered_in_queue, outgoing, store, wire

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}
DAY = "2024-01-10"


def _wires() -> list[dict]:
    return [
        answered_in_queue(f"{DAY} 09:05:00", 100, "11", wait=5, talk=60, price=10),
        answered_in_queue(f"{DAY} 09:15:00", 100, "12", wait=8, talk=30, price=20),
        outgoing(f"{DAY} 13:00:00", "11", "4915112345678", duration=30, price=1234),
        outgoing(f"{DAY} 13:30:00", "12", "0501111111", "NOANSWER"),
        wire(f"{DAY} 14:00:00", "Mystery", "ANSWER", caller="0500000009"),
        wire(f"{DAY} 14:10:00", "Queue", "ODDSTATUS", queueid=100, caller="0500000008"),
    ]


def _ids(client: TestClient, **params: str) -> list[str]:
    response = client.get("/api/calls", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    return sorted(c["ivruniqueid"] for c in response.json()["calls"])


def _detail(client: TestClient, url: str, **params: str) -> tuple[int, object]:
    response = client.get(url, params=params, headers=AUTH)
    return response.status_code, response.json()


@pytest.fixture
def stored(engine, settings) -> list[dict]:
    wires = _wires()
    store(engine, settings, wires)
    return wires


def test_agent_by_code_or_name_selects_the_same_legs(stored, client: TestClient) -> None:
    by_code = _ids(client, agent="11")
    assert by_code == sorted([stored[0]["ivruniqueid"], stored[2]["ivruniqueid"]])
    assert _ids(client, agent="Agent 11") == by_code
    for name in ("cost", "agents", "overview"):
        url = f"/api/reports/{name}"
        code = client.get(url, params={"agent": "11", "by": "agent"}, headers=AUTH).json()
        named = client.get(url, params={"agent": "Agent 11", "by": "agent"}, headers=AUTH).json()
        assert code["rows"] == named["rows"], name
    cost = client.get("/api/reports/cost", params={"agent": "Agent 11", "by": "agent"},
                      headers=AUTH).json()["rows"]  # fmt: skip
    assert [(r["key"], r["legs"], r["cost_agorot"]) for r in cost] == [("11", len(by_code), 1244)]


def test_calls_refuse_what_can_select_nothing(stored, client: TestClient) -> None:
    assert _detail(client, "/api/calls", **{"from": "2024-01-11", "to": DAY}) == (
        422, {"detail": "`to` is before `from`"}
    )  # fmt: skip
    assert _detail(client, "/api/calls", direction="sideways") == (
        422,
        {"detail": "`direction` must be one of in, out, leg1, transfer, conference, unknown"},
    )
    assert _detail(client, "/api/calls", type="Nonsense") == (
        422, {"detail": "`type` is neither a known call type nor one a stored leg carries"}
    )  # fmt: skip
    assert _detail(client, "/api/calls", status="NOPE") == (
        422, {"detail": "`status` is neither a known call status nor one a stored leg carries"}
    )  # fmt: skip
    # known values, and unknown ones that stored legs carry, select
    assert _ids(client, type="Mystery") == [stored[4]["ivruniqueid"]]
    assert _ids(client, status="oddstatus") == [stored[5]["ivruniqueid"]]
    assert _ids(client, direction="OUT") == sorted(w["ivruniqueid"] for w in stored[2:4])
    assert _ids(client, type="extension_outgoing", status="noanswer") == [stored[3]["ivruniqueid"]]
    assert _ids(client, status="BUSY") == []  # a known status no leg has: an empty page


def test_reports_refuse_an_unknown_type_too(stored, client: TestClient) -> None:
    assert _detail(client, "/api/reports/overview", type="Nonsense") == (
        422, {"detail": "`type` is neither a known call type nor one a stored leg carries"}
    )  # fmt: skip
    mystery = client.get("/api/reports/cost", params={"type": "Mystery", "by": "type"},
                         headers=AUTH).json()["rows"]  # fmt: skip
    assert [(r["key"], r["legs"]) for r in mystery] == [("Mystery", 1)]
