"""Every filter of every report changes its answer where it should, and a filter a report
cannot apply is refused (422, an exit code 2), never ignored: the callbacks report once took
`agent=` and answered for every agent ("first ten minutes" issue).

One data set on two local days, two departments, two queues, two agents, incoming, queue and
outgoing calls, IVR visits, repeat callers, prices and callback items, stored through the
webhook's path; each filter selects a strict part of it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cdrhub import domains
from cdrhub.analytics.reports import FILTERS
from cdrhub.analytics.service import ReportError, run_report
from cdrhub.cli import app as cli_app
from cdrhub.config import Settings
from tests.analytics.helpers import answered_in_queue, outgoing, store, wire

DAY1, DAY2 = "2024-01-10", "2024-01-11"
# each filter's value: a strict part of the data set for every report
VALUES = {
    "from": DAY2,
    "to": DAY1,
    "department": "1",
    "queue": "100",
    "agent": "11",
    "type": "Incoming Call",
}


def _ivr(layer: int, dtmf: int) -> str:
    return json.dumps([{"layer_id": layer, "layer_name": f"L{layer}", "layer_number": layer,
                        "Dtmf": dtmf, "dtmf_order": 1}])  # fmt: skip


def _dept(n: int) -> dict[str, Any]:
    return {"DepartmentId": n, "DepartmentName": f"Dept {n}"}


def _data() -> list[dict[str, Any]]:
    day1, day2 = f"{DAY1} ", f"{DAY2} "
    return [
        answered_in_queue(day1 + "09:00:00", 100, "11", 5, 60, caller="0500000001",
                          IVR=_ivr(1, 2), price=3, **_dept(1)),
        answered_in_queue(day1 + "09:10:00", 200, "12", 8, 30, caller="0500000002",
                          IVR=_ivr(1, 3), price=4, **_dept(2)),
        wire(day1 + "09:20:00", "Queue", "ABANDONE", queueid=100, queuename="Q100",
             caller="0500000003", seconds_waiting_in_queue=30, IVR=_ivr(2, 1), **_dept(1)),
        wire(day1 + "09:25:00", "Queue", "ABANDONE", queueid=200, queuename="Q200",
             caller="0500000004", seconds_waiting_in_queue=40, **_dept(2)),
        outgoing(day1 + "10:00:00", "11", "0500000003", duration=20, price=12, **_dept(1)),
        outgoing(day1 + "10:05:00", "12", "0500000004", duration=25, price=20, **_dept(2)),
        outgoing(day1 + "11:00:00", "12", "4915112345678", duration=50, price=50, **_dept(2)),
        wire(day1 + "12:00:00", "Incoming Call", "ANSWER", caller="0500000001",
             representative_code="11", representative_name="Agent 11", duration=40, price=1,
             **_dept(1)),
        answered_in_queue(day1 + "13:00:00", 200, "12", 3, 20, caller="0500000002",
                          price=2, **_dept(2)),
        answered_in_queue(day2 + "09:00:00", 100, "11", 4, 50, caller="0500000005",
                          IVR=_ivr(1, 2), price=3, **_dept(1)),
        answered_in_queue(day2 + "10:00:00", 100, "11", 6, 10, caller="0500000005",
                          price=2, **_dept(1)),
        wire(day2 + "09:30:00", "Queue", "ABANDONE", queueid=100, queuename="Q100",
             caller="0500000006", seconds_waiting_in_queue=50, **_dept(1)),
        outgoing(day2 + "11:00:00", "11", "0500000007", duration=15, price=7, **_dept(1)),
    ]  # fmt: skip


def _run(engine: Engine, settings: Settings, name: str, **params: str) -> dict[str, Any]:
    return run_report(engine, settings, name, params, reports=domains.reports())


@pytest.fixture
def stored(engine: Engine, settings: Settings) -> None:
    store(engine, settings, _data())


def test_every_declared_filter_changes_every_answer(
    engine: Engine, settings: Settings, stored: None
) -> None:
    unchanged = []
    for report in domains.reports().values():
        everything = _run(engine, settings, report.name)["rows"]
        for key in report.filters:
            part = _run(engine, settings, report.name, **{key: VALUES[key]})["rows"]
            if part == everything:
                unchanged.append((report.name, key))
    assert unchanged == []
    assert {r.name for r in domains.reports().values()} == {
        "agents", "countries", "peak-hours", "queues", "ivr", "overview", "repeat-callers",
        "cost", "callbacks",
    }  # fmt: skip


def test_a_filter_a_report_cannot_apply_is_refused(
    engine: Engine, settings: Settings, stored: None
) -> None:
    refused = []
    for report in domains.reports().values():
        for key in FILTERS:
            if key in report.filters:
                continue
            with pytest.raises(ReportError) as caught:
                _run(engine, settings, report.name, **{key: VALUES[key]})
            refused.append(str(caught.value))
    assert refused == [
        "the callbacks report cannot be filtered by type "
        "(its filters: from, to, department, queue, agent)"
    ]


def test_callbacks_by_agent_code_or_name(engine: Engine, settings: Settings, stored: None) -> None:
    def rows(**params: str) -> list[dict[str, Any]]:
        return _run(engine, settings, "callbacks", **params)["rows"]

    (every,) = rows()
    assert (every["items"], every["returned"], every["open"]) == (3, 2, 1)
    (eleven,) = rows(agent="11")
    assert (eleven["items"], eleven["returned"], eleven["open"]) == (1, 1, 0)
    assert eleven["median_seconds_to_callback"] == 40 * 60
    assert rows(agent="Agent 11") == [eleven]
    (twelve,) = rows(agent="12")
    assert (twelve["items"], twelve["returned"], twelve["median_seconds_to_callback"]) == (
        1, 1, 40 * 60,
    )  # fmt: skip
    (both,) = rows(agent="11,Agent 12")
    assert both["items"] == 2
    assert rows(agent="13")[0]["items"] == 0
    # the agent filter and by=agent agree: an item's agent is whoever called the customer back
    grouped = {r["key"]: r for r in rows(by="agent")}
    assert sorted(grouped) == ["", "11", "12"]
    assert {k: r["items"] for k, r in grouped.items()} == {"": 1, "11": 1, "12": 1}
    assert {**grouped["11"], "key": "all"} == eleven
    # a queue by its id or its name
    (q100,) = rows(queue="100")
    assert q100["items"] == 2 and rows(queue="Q100") == [q100]


def test_refused_on_the_api_and_the_command_line(
    client: TestClient, settings: Settings, stored: None
) -> None:
    headers = {"Authorization": "Bearer test-api-key-0123456789"}
    answer = client.get("/api/reports/callbacks", params={"type": "Queue"}, headers=headers)
    assert answer.status_code == 422
    assert answer.json()["detail"] == (
        "the callbacks report cannot be filtered by type "
        "(its filters: from, to, department, queue, agent)"
    )
    agent = client.get("/api/reports/callbacks", params={"agent": "11"}, headers=headers)
    assert agent.status_code == 200 and agent.json()["rows"][0]["items"] == 1
    assert agent.json()["filters"]["agent"] == "11"
    env = {"CDRHUB_DATABASE_URL": settings.database_url}
    result = CliRunner().invoke(cli_app, ["report", "callbacks", "--type", "Queue"], env=env)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == (
        "the callbacks report cannot be filtered by type "
        "(its filters: from, to, department, queue, agent)"
    )
    by_agent = CliRunner().invoke(
        cli_app, ["report", "callbacks", "--agent", "Agent 12", "--format", "json"], env=env
    )
    assert by_agent.exit_code == 0, by_agent.output
    assert json.loads(by_agent.stdout)["rows"][0]["items"] == 1
