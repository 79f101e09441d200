"""Purge and retention on both engines: exact counts, the reports' figures the same before and
after, refusals where a figure would come out short."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cdrhub.analytics.rebuild import RebuildRefused, rebuild
from cdrhub.analytics.service import ReportError, run_report
from cdrhub.automations import notifications
from cdrhub.cli import app as cli
from cdrhub.config import Settings
from cdrhub.jobs import outbox
from cdrhub.jobs.tables import outbox_jobs
from cdrhub.retention import Retention, count, horizon, purge, retention_horizon
from cdrhub.store.engine import write_transaction
from cdrhub.store.schema import leg_versions, legs, quarantine
from cdrhub.web.app import create_app
from tests.conftest import sample

JSON = {"content-type": "application/json"}
URL = "/voicenter/cdr/test-ingest-token-0123456789"
OLD = datetime(2023, 11, 1)
NEW = datetime(2023, 12, 20)
# what started before 2023-12-01 00:00 Asia/Jerusalem (22:00 UTC the day before) goes
HORIZON = datetime(2023, 11, 30, 22, 0)


def _post(client: TestClient, ivruniqueid: str, epoch: int, **changes: Any) -> None:
    cdr = {**sample("outgoing-answered.json"), "ivruniqueid": ivruniqueid, "time": epoch}
    cdr.update(changes)
    answer = client.post(URL, content=json.dumps(cdr), headers=JSON)
    assert answer.json() == {"Err": 0, "Errdesc": "OK"}, answer.text


def _fill(app: FastAPI) -> None:
    """Two legs before the horizon (one revised, so with an earlier version), two after; a
    quarantined body, jobs and notifications on both sides."""
    client = TestClient(app, client=("127.0.0.1", 40000))
    _post(client, "old-1", 1699000000)  # 2023-11-03 08:26 local
    _post(client, "old-2", 1700000000, duration=30)  # 2023-11-14 22:13 local
    _post(client, "old-2", 1700000000, duration=31)  # revised: one leg_versions row
    _post(client, "new-1", 1702000000)  # 2023-12-08 01:46 local
    _post(client, "new-2", 1703000000, status="NOANSWER", duration=0)  # 2023-12-19 15:33
    client.post(URL, content=b"{not a cdr", headers=JSON)
    client.post(URL, content=b"{not a cdr either", headers=JSON)
    engine = app.state.engine
    with write_transaction(engine) as conn:
        conn.execute(update(quarantine).where(quarantine.c.body == b"{not a cdr").values(
            first_received_at=OLD, last_received_at=OLD))  # fmt: skip
        for key, status, finished in (
            ("done-old", "done", OLD),
            ("skipped-old", "skipped", OLD),
            ("dead-old", "dead", OLD),
            ("done-new", "done", NEW),
        ):
            outbox.enqueue(conn, "test", key, {})
            conn.execute(update(outbox_jobs).where(outbox_jobs.c.key == key).values(
                status=status, finished_at=finished))  # fmt: skip
        outbox.enqueue(conn, "test", "pending", {})
        notifications.add(conn, "n-old", title="t", text="x", now=OLD)
        notifications.add(conn, "n-new", title="t", text="x", now=NEW)


def _rows(conn: Any, table: Any) -> int:
    return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


RANGES = [
    {},
    {"from": "2023-11-01", "to": "2023-12-31"},
    {"from": "2023-11-14", "to": "2023-12-10"},
    {"from": "2023-11-14T22:00", "to": "2023-12-08T01:30"},  # whole hours in purged time
    {"from": "2023-11-10"},
    {"to": "2023-11-30"},
    {"from": "2023-12-08T01:20", "to": "2023-12-19T15:40"},  # cuts hours after the horizon
]
REPORTS = ["overview", "agents", "countries", "peak-hours", "cost", "repeat-callers"]


def _figures(app: FastAPI, settings: Settings) -> list[Any]:
    engine = app.state.engine
    return [
        run_report(engine, settings, name, {**r, "type": t} if t else r, reports=app.state.reports)[
            "rows"
        ]
        for name in REPORTS
        if name in app.state.reports
        for r in RANGES
        for t in (None, "Extension Outgoing")
    ]


def test_purge_keeps_reports_exact(app: FastAPI, settings: Settings) -> None:
    _fill(app)
    engine = app.state.engine
    before = _figures(app, settings)
    overview = run_report(engine, settings, "overview", {}, reports=app.state.reports)["rows"]
    assert overview[0]["legs"] == 4

    assert horizon(date(2023, 12, 1), settings.tz) == HORIZON
    with engine.connect() as conn:
        planned = count(conn, HORIZON)
    expected = {"leg_versions": 1, "legs": 2, "quarantine": 1, "outbox_jobs": 2, "notifications": 1}
    assert planned == expected
    assert purge(engine, HORIZON, batch=1) == expected  # batch=1: every batch loop runs
    with engine.connect() as conn:
        assert sorted(conn.execute(select(legs.c.ivruniqueid)).scalars()) == ["new-1", "new-2"]
        assert _rows(conn, leg_versions) == 0
        assert _rows(conn, quarantine) == 1
        assert sorted(conn.execute(select(outbox_jobs.c.key).where(outbox_jobs.c.kind == "test")).scalars()) == [
            "dead-old", "done-new", "pending"]  # fmt: skip
    assert _figures(app, settings) == before
    assert purge(engine, HORIZON) == dict.fromkeys(expected, 0)
    assert _figures(app, settings) == before

    # an end that cuts an hour whose legs are gone: refused, not answered short
    with pytest.raises(ReportError) as refused:
        run_report(engine, settings, "overview", {"from": "2023-11-03T08:30"})
    assert str(refused.value) == (
        "the calls before 2023-12-01 00:00 (Asia/Jerusalem) were purged and only their hourly "
        "totals kept: a `from` or `to` before then must be on a whole hour"
    )
    with pytest.raises(RebuildRefused):
        rebuild(engine, settings)


def test_purge_command(app: FastAPI, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(app)
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    asked = runner.invoke(cli, ["purge", "--before", "2023-12-01"], input="n\n")
    assert asked.exit_code == 1
    lines = asked.stdout.splitlines()
    assert lines[:6] == [
        "Older than 2023-12-01 00:00 (Asia/Jerusalem):",
        "  leg_versions: 1",
        "  legs: 2",
        "  quarantine: 1",
        "  outbox_jobs: 2",
        "  notifications: 1",
    ]
    assert lines[-2:] == ["Delete them? [y/N]: n", "Nothing deleted."]
    done = runner.invoke(cli, ["purge", "--before", "2023-12-01", "--yes"])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[-1] == (
        "Purged: 1 leg_versions, 2 legs, 1 quarantine, 2 outbox_jobs, 1 notifications"
    )
    again = runner.invoke(cli, ["purge", "--before", "2023-12-01"])
    assert (again.exit_code, again.stdout.splitlines()[-1]) == (0, "Nothing to purge.")
    bad = runner.invoke(cli, ["purge", "--before", "1.12.2023"])
    assert (bad.exit_code, bad.stderr.splitlines()[-1]) == (
        2,
        "--before must be a date, YYYY-MM-DD, not '1.12.2023'",
    )
    refused = runner.invoke(cli, ["analytics", "rebuild"])
    assert refused.exit_code == 2
    assert refused.stderr.splitlines()[-1].startswith(
        "refused: legs that started before 2023-11-30 22:00 UTC"
    )


def test_retention_days(app: FastAPI, settings: Settings) -> None:
    _fill(app)
    now = datetime(2023, 12, 31, 12, 0, tzinfo=UTC)
    assert retention_horizon(30, now, settings.tz) == HORIZON
    before = _figures(app, settings)
    job = Retention(app.state.engine, settings.with_(retention_days=30))
    assert job.run_once(now)["legs"] == 2
    assert _figures(app, settings) == before


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_serve_runs_retention_with_its_worker(settings: Settings) -> None:
    def running() -> bool:
        return any(t.name == "cdrhub-retention" for t in threading.enumerate())

    for changes, expected in (
        ({"run_worker": True, "retention_days": 30}, True),
        ({"run_worker": True}, False),  # off by default
        ({"run_worker": False, "retention_days": 30}, False),  # the worker's job
    ):
        application = create_app(settings.with_(**changes))
        with TestClient(application):
            assert running() is expected, changes
        assert not running()
        application.state.engine.dispose()
