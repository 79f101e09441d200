"""`GET /api/reports/{name}` (behind the API key, fed by the real webhook) and the commands
`cdrhub report`, `cdrhub import`, `cdrhub demo`, `cdrhub analytics rebuild`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from starlette.testclient import TestClient
from typer.testing import CliRunner

from cdrhub.cli import app as cli_app
from tests.analytics.helpers import answered_in_queue, by, outgoing, rows, wire
from tests.conftest import sample_bytes

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}


def test_webhook_to_report(client: TestClient) -> None:
    for name in ("queue-abandoned.json", "outgoing-answered.json", "click2call-leg1.json",
                 "click2call-leg2.json", "incoming-ivr-as-string.json"):  # fmt: skip
        body = sample_bytes(name)
        headers = {"content-type": "application/json"}
        assert client.post(
            "/voicenter/cdr/test-ingest-token-0123456789", content=body, headers=headers
        ).is_success
        assert client.post(
            "/voicenter/cdr/test-ingest-token-0123456789", content=body, headers=headers
        ).is_success
    answer = client.get("/api/reports/overview?from=2023-11-15&to=2023-11-15", headers=AUTH)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"report", "filters", "settings", "formula", "rows"}
    assert body["filters"]["from"] == "2023-11-15"
    current = body["rows"][0]
    assert (current["offered"], current["abandoned"], current["outgoing_attempts"]) == (2, 1, 2)
    assert current["legs"] == 5
    queues = client.get("/api/reports/queues?queue=Sales Queue", headers=AUTH).json()["rows"]
    assert [(q["queue_id"], q["offered"], q["abandoned"]) for q in queues] == [("1234567", 1, 1)]
    agents = client.get("/api/reports/agents?sort=outgoing", headers=AUTH).json()["rows"]
    assert by(agents, "agent_code")["2001"]["outgoing_attempts"] == 1


def test_api_key_unknown_report_and_bad_filters(client: TestClient) -> None:
    assert client.get("/api/reports/overview").status_code == 401
    assert (
        client.get("/api/reports/overview", headers={"Authorization": "Bearer no"}).status_code
        == 401
    )
    assert client.get("/api/reports/nope", headers=AUTH).status_code == 404
    assert client.get("/api/reports/overview?from=soon", headers=AUTH).status_code == 422
    listing = client.get("/api/reports", headers=AUTH).json()["reports"]
    assert {r["name"] for r in listing} >= {"agents", "countries", "peak-hours", "queues", "ivr",
                                            "overview", "repeat-callers", "cost"}  # fmt: skip


def _env(settings) -> dict[str, str]:
    return {
        "CDRHUB_DATABASE_URL": settings.database_url,
        "CDRHUB_API_KEY": "analytics-api-key-0123",
    }


def _write_jsonl(path: Path, wires: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(w, ensure_ascii=False) for w in wires) + "\n")


def test_import_jsonl_is_idempotent_then_report(engine, settings, tmp_path: Path) -> None:
    wires = [
        answered_in_queue("2024-01-10 09:05:00", 100, "11", wait=5, talk=60, caller="0500000001"),
        wire("2024-01-10 09:40:00", "Queue", "ABANDONE", queueid=100, seconds_waiting_in_queue=9),
        outgoing("2024-01-10 13:00:00", "11", "4915112345678", duration=30, price=12),
    ]
    path = tmp_path / "cdrs.jsonl"
    _write_jsonl(path, [*wires, wires[0]])
    path.write_text(path.read_text() + "not json\n" + json.dumps([wires[1], wires[2]]) + "\n")
    runner = CliRunner()
    result = runner.invoke(cli_app, ["import", str(path)], env=_env(settings))
    assert result.exit_code == 0, result.output
    assert (
        "read 6 lines holding 7 records: stored 3 new, 3 duplicate, 0 revised; 1 rejected in "
        in (result.output)
    )
    again = runner.invoke(cli_app, ["import", str(path)], env=_env(settings))
    assert "stored 0 new, 6 duplicate, 0 revised; 1 rejected in " in again.output
    q = rows(engine, settings, "queues")[0]
    assert (q["offered"], q["answered"], q["abandoned"]) == (2, 1, 1)
    table = runner.invoke(cli_app, ["report", "countries", "--from", "2024-01-10", "--to",
                                    "2024-01-10"], env=_env(settings))  # fmt: skip
    assert table.exit_code == 0
    assert "Germany" in table.output and "acd_seconds" in table.output
    as_json = runner.invoke(cli_app, ["report", "agents", "--format", "json"], env=_env(settings))
    assert json.loads(as_json.stdout)["rows"][0]["agent_code"] == "11"
    as_csv = runner.invoke(cli_app, ["report", "queues", "--format", "csv"], env=_env(settings))
    assert as_csv.stdout.startswith("\ufeff")  # a UTF-8 BOM, for Excel
    first = next(csv.DictReader(io.StringIO(as_csv.stdout.removeprefix("\ufeff"))))
    assert (first["queue_id"], first["offered"]) == ("100", "2")
    days = runner.invoke(cli_app, ["report", "queues", "--by", "day", "--format", "json"],
                         env=_env(settings))  # fmt: skip
    assert days.exit_code == 0, days.output
    assert json.loads(days.stdout)["rows"] == [
        {"day": "2024-01-10", "offered": 2, "answered": 1, "abandoned": 1, "short_abandoned": 0,
         "abandon_rate": 0.5, "abandon_rate_without_short": 0.5, "service_level": 0.5,
         "asa_seconds": 5.0},
    ]  # fmt: skip
    bad = runner.invoke(cli_app, ["report", "nothing"], env=_env(settings))
    assert bad.exit_code == 2


def test_import_csv_with_revision(engine, settings, tmp_path: Path) -> None:
    first = wire("2024-01-10 09:40:00", "Queue", "ABANDONE", queueid=100,
                 seconds_waiting_in_queue=9, IVR=json.dumps([{"layer_id": 1, "Dtmf": 2}]))  # fmt: skip
    revised = {**first, "status": "ANSWER", "representative_code": "11", "duration": 10}
    path = tmp_path / "cdrs.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(revised))
        writer.writeheader()
        writer.writerow(first)
        writer.writerow(revised)
    result = CliRunner().invoke(cli_app, ["import", str(path)], env=_env(settings))
    assert "read 2 rows: stored 1 new, 0 duplicate, 1 revised; 0 rejected in " in result.output
    q = rows(engine, settings, "queues")[0]
    assert (q["offered"], q["answered"], q["abandoned"]) == (1, 1, 0)
    assert rows(engine, settings, "ivr")[0]["dtmf"] == {"2": 1}


def test_demo_then_rebuild_gives_the_same_reports(engine, settings) -> None:
    runner = CliRunner()
    result = runner.invoke(cli_app, ["demo", "--days", "3", "--calls-per-day", "200",
                                     "--database", settings.database_url],
                           env=_env(settings))  # fmt: skip
    assert result.exit_code == 0, result.output
    before = {n: rows(engine, settings, n) for n in ("overview", "queues", "agents", "ivr")}
    assert before["overview"][0]["offered"] > 50
    assert before["queues"] and before["ivr"]
    assert any("\u05d0" <= ch <= "\u05ea" for ch in before["agents"][0]["agent_name"])
    rebuilt = runner.invoke(cli_app, ["analytics", "rebuild"], env=_env(settings))
    assert rebuilt.exit_code == 0, rebuilt.output
    assert {n: rows(engine, settings, n) for n in before} == before
