"""The same `from`/`to` selects the same legs in `/api/calls`, in the reports (API and command),
and in a timeline's `before`: legs stored through the real pipeline at local 23:59:59 and
00:00:00 around ordinary days and Israel's 2024 DST changes, in the repeated autumn hour, and
around an ISO `to` instant, on both engines.

Each leg has its own department, so the `cost` report by department names every leg it counted
(one leg a row), and the overview's `legs` counts them again."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import Engine
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cdrhub.cli import app as cli_app
from cdrhub.config import Settings
from tests.analytics.helpers import store, wire

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}

# label: local start (Israel wall clock) and, in the repeated hour, when the CDR arrived (UTC),
# which tells the two passes apart (docs/ingest.md, Time)
LEGS: dict[str, tuple[str, datetime | None]] = {
    "jan09 23:59:59": ("2024-01-09 23:59:59", None),
    "jan10 00:00:00": ("2024-01-10 00:00:00", None),
    "jan10 09:29:59": ("2024-01-10 09:29:59", None),
    "jan10 09:30:00": ("2024-01-10 09:30:00", None),
    "jan10 23:59:59": ("2024-01-10 23:59:59", None),
    "jan11 00:00:00": ("2024-01-11 00:00:00", None),
    # spring forward: Friday 2024-03-29 02:00 -> 03:00 (00:00 UTC)
    "mar28 23:59:59": ("2024-03-28 23:59:59", None),
    "mar29 00:00:00": ("2024-03-29 00:00:00", None),
    "mar29 01:59:59": ("2024-03-29 01:59:59", None),
    "mar29 03:00:00": ("2024-03-29 03:00:00", None),
    "mar29 23:59:59": ("2024-03-29 23:59:59", None),
    "mar30 00:00:00": ("2024-03-30 00:00:00", None),
    # fall back: Sunday 2024-10-27 02:00 -> 01:00 (23:00 UTC on the 26th)
    "oct26 23:59:59": ("2024-10-26 23:59:59", None),
    "oct27 00:00:00": ("2024-10-27 00:00:00", None),
    "oct27 00:59:59": ("2024-10-27 00:59:59", None),
    "oct27 01:30 first": ("2024-10-27 01:30:00", datetime(2024, 10, 26, 22, 45)),  # 22:30 UTC
    "oct27 01:30 second": ("2024-10-27 01:30:00", datetime(2024, 10, 27, 0, 5)),  # 23:30 UTC
    "oct27 02:00:00": ("2024-10-27 02:00:00", None),
    "oct27 23:59:59": ("2024-10-27 23:59:59", None),
    "oct28 00:00:00": ("2024-10-28 00:00:00", None),
}

MAR29 = {"mar29 00:00:00", "mar29 01:59:59", "mar29 03:00:00", "mar29 23:59:59"}

# (from, to) -> the legs in the range
CASES: list[tuple[str | None, str | None, set[str]]] = [
    # dates: whole local days, `to` inclusive
    ("2024-01-10", "2024-01-10",
     {"jan10 00:00:00", "jan10 09:29:59", "jan10 09:30:00", "jan10 23:59:59"}),
    ("2024-03-29", "2024-03-29", MAR29),  # 23 hours
    ("2024-10-27", "2024-10-27",  # 25 hours
     {"oct27 00:00:00", "oct27 00:59:59", "oct27 01:30 first", "oct27 01:30 second",
      "oct27 02:00:00", "oct27 23:59:59"}),
    ("2024-03-28", "2024-03-30", {"mar28 23:59:59", *MAR29, "mar30 00:00:00"}),
    (None, "2024-01-09", {"jan09 23:59:59"}),
    ("2024-10-28", None, {"oct28 00:00:00"}),
    # naive datetimes: local wall clock, `to` exclusive
    ("2024-01-10T09:00", "2024-01-10T09:30", {"jan10 09:29:59"}),
    ("2024-03-29T01:59:59", "2024-03-29T03:00:00", {"mar29 01:59:59"}),
    ("2024-03-29T02:30", "2024-03-29T03:00:01", {"mar29 03:00:00"}),  # skipped: the jump
    ("2024-10-27T01:00", "2024-10-27T02:00", {"oct27 01:30 first", "oct27 01:30 second"}),
    ("2024-10-27T00:59:59", "2024-10-27T01:30", {"oct27 00:59:59"}),  # repeated: first pass
    # datetimes with an offset or Z: instants
    ("2024-01-10T09:30:00+02:00", "2024-01-10T07:30:01Z", {"jan10 09:30:00"}),
    ("2024-10-26T23:00:00Z", "2024-10-27T00:00:00Z", {"oct27 01:30 second"}),
    ("2024-10-27T01:00:00+03:00", "2024-10-27T01:00:00+02:00", {"oct27 01:30 first"}),
    # mixed
    ("2024-03-28T23:59:59", "2024-03-29", {"mar28 23:59:59", *MAR29}),
    ("2024-01-10T21:59:59Z", "2024-01-11", {"jan10 23:59:59", "jan11 00:00:00"}),
]  # fmt: skip


@pytest.fixture
def ids(engine: Engine, settings: Settings) -> dict[str, str]:
    """The legs stored; their ivruniqueid by label."""
    found: dict[str, str] = {}
    for n, (label, (local, received)) in enumerate(LEGS.items(), start=1):
        body = wire(local, departmentid=100 + n, departmentname=f"Dept {n}")
        if received is None:
            store(engine, settings, [body])
        else:
            store(engine, settings, [body], received_at=received)
        found[label] = body["ivruniqueid"]
    return found


def _params(start: str | None, end: str | None) -> dict[str, str]:
    return {k: v for k, v in (("from", start), ("to", end)) if v is not None}


def _calls(client: TestClient, params: dict[str, str]) -> list[str]:
    response = client.get("/api/calls", params={**params, "limit": 500}, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return [c["ivruniqueid"] for c in response.json()["calls"]]


def _report(client: TestClient, name: str, params: dict[str, str], **extra: str) -> list[dict]:
    response = client.get(f"/api/reports/{name}", params={**params, **extra}, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def _counted(rows: list[dict], department_of: dict[str, str]) -> set[str]:
    """The legs the cost report counted: each department holds exactly one leg."""
    counted = {r["key"]: r["legs"] for r in rows if r["legs"]}
    assert set(counted.values()) <= {1}, counted
    return {department_of[key] for key in counted}


@pytest.mark.parametrize(("start", "end", "expected"), CASES)
def test_calls_and_reports_select_the_same_legs(
    client: TestClient, ids: dict[str, str], start, end, expected: set[str]
) -> None:
    label_of = {v: k for k, v in ids.items()}
    department_of = {str(100 + n): label for n, label in enumerate(LEGS, start=1)}
    params = _params(start, end)

    listed = _calls(client, params)
    assert len(listed) == len(set(listed))
    assert {label_of[i] for i in listed} == expected

    cost = _report(client, "cost", params, by="department")
    assert _counted(cost, department_of) == expected
    overview = _report(client, "overview", params)
    assert overview[0]["legs"] == len(expected)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [CASES[1], CASES[9], CASES[13]],  # a date, naive datetimes, offsets
)
def test_the_report_command_counts_the_same_legs(
    settings: Settings, ids: dict[str, str], start, end, expected: set[str]
) -> None:
    department_of = {str(100 + n): label for n, label in enumerate(LEGS, start=1)}
    args = ["report", "cost", "--by", "department", "--format", "json"]
    args += [arg for flag, value in (("--from", start), ("--to", end)) if value
             for arg in (flag, value)]  # fmt: skip
    env = {"CDRHUB_DATABASE_URL": settings.database_url, "CDRHUB_API_KEY": "range-api-key-012345"}
    result = CliRunner().invoke(cli_app, args, env=env)
    assert result.exit_code == 0, result.output
    assert _counted(json.loads(result.stdout)["rows"], department_of) == expected


@pytest.mark.parametrize(
    ("before", "to"),
    [
        ("2024-03-29T03:00:00", "2024-03-29T03:00:00"),
        ("2024-03-29T02:30", "2024-03-29T02:30"),
        ("2024-10-27T01:30", "2024-10-27T01:30"),
        ("2024-10-27T01:30:00+02:00", "2024-10-26T23:30:00Z"),
        ("2024-01-10T09:30", "2024-01-10T09:30"),
        # a date `before` is the start of that day, a date `to` takes in the whole day
        ("2024-10-28", "2024-10-27"),
        ("2024-03-29", "2024-03-28"),
    ],
)
def test_a_timeline_before_is_the_calls_api_to(
    client: TestClient, ids: dict[str, str], before: str, to: str
) -> None:
    timeline = client.get(
        "/api/contacts/0501234567/timeline",
        params={"before": before, "limit": 1000},
        headers=AUTH,
    )
    assert timeline.status_code == 200, timeline.text
    assert [c["id"] for c in timeline.json()["calls"]] == _calls(client, {"to": to})


def test_to_before_from_is_refused_alike(client: TestClient) -> None:
    params = {"from": "2024-01-10", "to": "2024-01-09"}
    for url in ("/api/calls", "/api/reports/overview", "/api/reports/callbacks"):
        response = client.get(url, params=params, headers=AUTH)
        assert (response.status_code, response.json()) == (
            422,
            {"detail": "`to` is before `from`"},
        ), url
