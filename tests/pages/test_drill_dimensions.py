"""A report filtered by a dimension (department, queue, agent, type) drills down with that
filter: every row's link, on the Calls page and on `/api/calls` paged through, lists exactly as
many legs as the figure it stands for; and an agent's link lists the legs the reports count
under that agent code, not every leg that names the code (an extension, a representative)."""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.testclient import TestClient

from cdrhub.config import Settings
from tests.analytics.helpers import store, wire
from tests.pages.helpers import add_user, signed_in
from tests.pages.test_calls import _legs

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}
DAYS = ("2023-11-15", "2023-11-16")
RANGE = {"from": DAYS[0], "to": DAYS[1]}
AGENTS = ("2001", "2002")
QUEUES = (100, 200)
DEPARTMENTS = (10, 20)
INCOMING = ("Queue", "Incoming Call")
OUTGOING = ("Extension Outgoing", "Click2Call leg2")
TARGETS = ("0501111111", "442071838750")  # Israel, United Kingdom
# agent_code 2002 (the representative), an extension 2001: the Calls page's `agent=2001` finds it
TRICK = "trick-leg"


def _people(agent: str, department: int) -> dict[str, Any]:
    return {
        "representative_code": agent,
        "representative_name": f"Agent {agent}",
        "departmentid": department,
        "departmentname": f"Dept {department}",
    }


def _wires() -> list[dict[str, Any]]:
    wires = []
    combos = itertools.product(AGENTS, QUEUES, DEPARTMENTS, INCOMING)
    for n, (agent, queue, department, kind) in enumerate(combos):
        status = "ABANDONE" if n % 4 == 0 else "ANSWER"
        local = f"{DAYS[n // 3 % 2]} {9 + n % 3:02d}:{n:02d}:00"
        wires.append(
            wire(local, kind, status, queueid=queue, queuename=f"Q{queue}",
                 seconds_waiting_in_queue=5, duration=0 if n % 4 == 0 else 30,
                 caller=f"05022200{n:02d}", **_people(agent, department))
        )  # fmt: skip
    combos_out = itertools.product(AGENTS, DEPARTMENTS, OUTGOING, TARGETS)
    for n, (agent, department, kind, target) in enumerate(combos_out):
        local = f"{DAYS[n % 2]} {13 + n % 2:02d}:{n:02d}:00"
        # half of them in a queue: a queue filter then selects some outgoing attempts too
        queue = {"queueid": QUEUES[n % 2], "queuename": f"Q{QUEUES[n % 2]}"} if n % 3 else {}
        wires.append(
            wire(local, kind, "ANSWER" if n % 2 else "NOANSWER", caller="0722776772",
                 target=target, did="", duration=20 if n % 2 else 0, **queue,
                 **_people(agent, department))
        )  # fmt: skip
    trick = wire(f"{DAYS[0]} 09:59:00", "Queue", "ANSWER", queueid=100, queuename="Q100",
                 targetextension="2001", seconds_waiting_in_queue=5, duration=30,
                 **_people("2002", 10))  # fmt: skip
    wires.append({**trick, "ivruniqueid": TRICK})
    return wires


# each report with drill links (and its `sort`/`by`), by the figure its link stands for
REPORTS = (
    ("agents", {}, "incoming_offered"),
    ("agents", {"sort": "outgoing"}, "outgoing_attempts"),
    ("countries", {}, "attempts"),
    ("peak-hours", {}, "offered"),
    ("queues", {}, "offered"),
    ("queues", {"by": "day"}, "offered"),
)
# each dimension filter, by code and by name (types loosely spelled)
FILTERS = (
    {},
    {"department": "10"},
    {"department": "Dept 20"},
    {"queue": "100"},
    {"queue": "Q200"},
    {"agent": "2001"},
    {"agent": "Agent 2002"},
    {"type": "Queue"},
    {"type": "extension_outgoing"},
    {"agent": "2001,2002", "queue": "200", "department": "Dept 10"},
)


def _links(html: str) -> list[str]:
    return [
        unquote(h).replace("&amp;", "&") for h in re.findall(r'href="([^"]+)" class="drill"', html)
    ]


def _page_legs(web: TestClient, link: str) -> list[str]:
    path, _, query = link.partition("?")
    response = web.get(path, params=dict(parse_qsl(query)))
    assert response.status_code == 200, response.text
    assert "Older calls" not in response.text  # one page holds them all
    return sorted(_legs(response.text))


def _api_legs(client: TestClient, link: str) -> list[str]:
    """Every leg `/api/calls` lists for the link's filters, three a page."""
    params: dict[str, str] = {**dict(parse_qsl(link.partition("?")[2])), "limit": "3"}
    found: list[str] = []
    while True:
        answer = client.get("/api/calls", params=params, headers=AUTH)
        assert answer.status_code == 200, answer.text
        found += [c["ivruniqueid"] for c in answer.json()["calls"]]
        if not answer.json()["next_cursor"]:
            return sorted(found)
        params["cursor"] = answer.json()["next_cursor"]


def _rows(client: TestClient, name: str, params: dict[str, str]) -> list[dict[str, Any]]:
    answer = client.get(f"/api/reports/{name}", params=params, headers=AUTH)
    assert answer.status_code == 200, answer.text
    return answer.json()["rows"]


@pytest.fixture
def web(app: FastAPI, settings: Settings, engine: Engine) -> TestClient:
    store(engine, settings, _wires())
    add_user(engine, "boss@example.com", "admin")
    return signed_in(app, "boss@example.com")


def test_every_drill_link_lists_its_figure_under_every_filter(
    web: TestClient, client: TestClient
) -> None:
    checked = 0
    for (name, extra, figure), filters in itertools.product(REPORTS, FILTERS):
        params = {**RANGE, **extra, **filters}
        rows = _rows(client, name, params)
        links = _links(web.get(f"/reports/{name}", params=params).text)[: len(rows)]
        assert len(links) == len(rows), (name, params)
        for row, link in zip(rows, links, strict=True):
            if not row[figure] and name == "peak-hours":
                continue  # 168 cells: those with contacts are checked
            for dim in filters:  # the report's filter travels with the link
                carried = {"department": "department", "queue": "queue_id",
                           "agent": "agent_code", "type": "type_label"}[dim]  # fmt: skip
                assert f"{carried}=" in link, (name, params, link)
            listed = _page_legs(web, link)
            assert len(listed) == row[figure], (name, params, row, link)
            assert _api_legs(client, link) == listed, (name, params, link)
            checked += 1
    assert checked == 135


def test_a_filtered_queue_row_lists_its_agents_legs_only(
    web: TestClient, client: TestClient
) -> None:
    params = {**RANGE, "agent": "2001"}
    rows = {r["queue_id"]: r for r in _rows(client, "queues", params)}
    everyone = {r["queue_id"]: r for r in _rows(client, "queues", RANGE)}
    assert (rows["100"]["offered"], everyone["100"]["offered"]) == (4, 9)
    link = _links(web.get("/reports/queues", params=params).text)[0]
    assert link == (
        "/calls?queue_id=100&contact=in&direction=in&agent_code=2001&from=2023-11-15&to=2023-11-16"
    )
    listed = _api_legs(client, link)
    assert len(listed) == 4
    agents = {
        client.get(f"/api/calls/{ident}", headers=AUTH).json()["agent_code"] for ident in listed
    }
    assert agents == {"2001"}


def test_an_agents_link_lists_the_legs_of_that_agent_code_only(
    web: TestClient, client: TestClient
) -> None:
    rows = {r["agent_code"]: r for r in _rows(client, "agents", RANGE)}
    assert (rows["2001"]["incoming_offered"], rows["2002"]["incoming_offered"]) == (8, 9)
    links = _links(web.get("/reports/agents", params=RANGE).text)
    mine = next(link for link in links if "agent_code=2001&" in link)
    assert mine == "/calls?agent_code=2001&contact=in&from=2023-11-15&to=2023-11-16"
    listed = _page_legs(web, mine)
    assert len(listed) == 8 and TRICK not in listed
    # the Calls page's `agent` also matches an extension: broader than the report's figure
    broad = _api_legs(client, mine.replace("agent_code=", "agent="))
    assert sorted(set(broad) - set(listed)) == [TRICK]
    theirs = next(link for link in links if "agent_code=2002&" in link)
    assert TRICK in _page_legs(web, theirs)


def test_the_dimension_filters_refuse_an_unknown_type(web: TestClient, client: TestClient) -> None:
    answer = client.get("/api/calls", params={"type_label": "Nonsense"}, headers=AUTH)
    assert (answer.status_code, answer.json()) == (
        422,
        {"detail": "`type_label` is neither a known call type nor one a stored leg carries"},
    )
    page = web.get("/calls", params={"type_label": "Nonsense"})
    assert page.status_code == 422
    shown = web.get("/calls", params={"department": "Dept 10", "type_label": "queue"}).text
    assert "department=Dept 10, type_label=queue" in shown
    assert len(_legs(shown)) == 5  # 4 of the product and the trick leg
