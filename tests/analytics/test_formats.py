"""Report formats: JSON exact (integer agorot, ratios 0..1), tables and CSV for people (shekels,
percentages, wait buckets as columns, the overview vertical), CSV with a UTF-8 BOM, on the
command line and on `/api/reports/{name}?format=csv`."""

from __future__ import annotations

import csv
import io

from starlette.testclient import TestClient
from typer.testing import CliRunner

from cdrhub.cli import app as cli_app
from tests.analytics.helpers import outgoing, rows, store, wire

AUTH = {"Authorization": "Bearer test-api-key-0123456789"}
DAY = "2024-01-10"
RANGE = f"from={DAY}&to={DAY}"


def _wires() -> list[dict]:
    return [
        wire(f"{DAY} 09:05:00", "Queue", "ANSWER", queueid=100, queuename="מכירות",
             representative_code="11", representative_name="Agent 11",
             seconds_waiting_in_queue=5, duration=60, price=150.5),
        wire(f"{DAY} 09:40:00", "Queue", "ABANDONE", queueid=100, queuename="מכירות",
             seconds_waiting_in_queue=45, caller="0500000002"),
        outgoing(f"{DAY} 13:00:00", "11", "4915112345678", duration=30, price=1234),
        outgoing(f"{DAY} 13:30:00", "11", "0501111111", "NOANSWER", price=0),
    ]  # fmt: skip


def _env(settings) -> dict[str, str]:
    return {"CDRHUB_DATABASE_URL": settings.database_url, "CDRHUB_API_KEY": "x" * 20}


def _cli(settings, *args: str) -> str:
    result = CliRunner().invoke(cli_app, ["report", *args], env=_env(settings))
    assert result.exit_code == 0, result.output
    return result.stdout_bytes.decode("utf-8")  # as written (`output` makes CRLF LF)


COUNTRIES_CSV = (
    "\ufeffcountry,attempts,answered,answer_ratio,acd_seconds,cost\r\n"
    "Germany,1,1,100.0 %,30.0,₪ 12.34\r\n"
    "Israel,1,0,0.0 %,,₪ 0.00\r\n"
)


def test_json_keeps_integer_agorot_and_ratios(engine, settings) -> None:
    store(engine, settings, _wires())
    (current, _) = rows(engine, settings, "overview", from_=DAY, to=DAY)
    # 150.5 + 1234 agorot, rounded half up to whole agorot
    assert current["cost_agorot"] == 1385 and isinstance(current["cost_agorot"], int)
    assert current["abandon_rate"] == 0.5
    assert rows(engine, settings, "countries", from_=DAY, to=DAY) == [
        {"country": "Germany", "attempts": 1, "answered": 1, "answer_ratio": 1.0,
         "acd_seconds": 30.0, "cost_agorot": 1234},
        {"country": "Israel", "attempts": 1, "answered": 0, "answer_ratio": 0.0,
         "acd_seconds": None, "cost_agorot": 0},
    ]  # fmt: skip


def test_cli_csv_has_a_bom_shekels_and_percentages(engine, settings) -> None:
    store(engine, settings, _wires())
    csv_text = _cli(settings, "countries", "--from", DAY, "--to", DAY, "--format", "csv")
    assert csv_text == COUNTRIES_CSV


def test_api_csv_has_the_rows_of_the_json(engine, settings, client: TestClient) -> None:
    store(engine, settings, _wires())
    for name in ("countries", "queues", "overview", "agents", "cost"):
        as_json = client.get(f"/api/reports/{name}?{RANGE}", headers=AUTH)
        as_csv = client.get(f"/api/reports/{name}?{RANGE}&format=csv", headers=AUTH)
        assert as_csv.status_code == 200
        assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
        assert as_csv.headers["content-disposition"] == f'attachment; filename="{name}.csv"'
        assert as_csv.content.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
        assert len(lines) == 1 + len(as_json.json()["rows"]), name
    countries = client.get(f"/api/reports/countries?{RANGE}&format=csv", headers=AUTH)
    assert countries.content.decode("utf-8") == COUNTRIES_CSV
    agents = client.get(f"/api/reports/agents?{RANGE}&format=csv", headers=AUTH)
    assert agents.content.decode("utf-8") == (
        "\ufeffagent_code,agent_name,incoming_offered,incoming_answered,outgoing_attempts,"
        "outgoing_answered,talk_seconds,avg_handle_seconds,incoming_answer_ratio,"
        "outgoing_answer_ratio\r\n"
        "11,Agent 11,1,1,2,1,90,45.0,100.0 %,50.0 %\r\n"
    )
    bad = client.get(f"/api/reports/countries?{RANGE}&format=xml", headers=AUTH)
    assert bad.status_code == 422


def test_wait_buckets_are_columns(engine, settings, client: TestClient) -> None:
    store(engine, settings, _wires())
    answer = client.get(f"/api/reports/queues?{RANGE}&format=csv", headers=AUTH)
    assert answer.content.decode("utf-8") == (
        "\ufeffqueue_id,queue_name,offered,answered,abandoned,short_abandoned,abandon_rate,"
        "abandon_rate_without_short,service_level,asa_seconds,"
        "wait_answered_0-10,wait_answered_10-20,wait_answered_20-30,wait_answered_30-60,"
        "wait_answered_60-120,wait_answered_120+,"
        "wait_abandoned_0-10,wait_abandoned_10-20,wait_abandoned_20-30,wait_abandoned_30-60,"
        "wait_abandoned_60-120,wait_abandoned_120+,"
        "service_level_seconds,short_abandon_seconds\r\n"
        "100,מכירות,2,1,1,0,50.0 %,50.0 %,50.0 %,5.0,1,0,0,0,0,0,0,0,0,1,0,0,20,5\r\n"
    )
    table = _cli(settings, "queues", "--from", DAY, "--to", DAY).splitlines()
    assert table[2].split() == [
        "queue_id", "queue_name", "offered", "answered", "abandoned", "short_abandoned",
        "abandon_rate", "abandon_rate_without_short", "service_level", "asa_seconds",
        "wait_answered_0-10", "wait_answered_10-20", "wait_answered_20-30",
        "wait_answered_30-60", "wait_answered_60-120", "wait_answered_120+",
        "wait_abandoned_0-10", "wait_abandoned_10-20", "wait_abandoned_20-30",
        "wait_abandoned_30-60", "wait_abandoned_60-120", "wait_abandoned_120+",
        "service_level_seconds", "short_abandon_seconds",
    ]  # fmt: skip
    assert table[4].split() == [
        "100", "מכירות", "2", "1", "1", "0", "50.0", "%", "50.0", "%", "50.0", "%", "5.0",
        "1", "0", "0", "0", "0", "0", "0", "0", "0", "1", "0", "0", "20", "5",
    ]  # fmt: skip


def test_the_overview_table_is_vertical(engine, settings) -> None:
    store(engine, settings, _wires())
    table = _cli(settings, "overview", "--from", DAY, "--to", DAY).splitlines()
    assert table[1] == f"filters: from={DAY}, to={DAY}"
    assert table[2:] == [
        "figure             current  previous",
        "-----------------  -------  --------",
        "offered            2        0",
        "answered           1        0",
        "voicemail          0        0",
        "abandoned          1        0",
        "short_abandoned    0        0",
        "abandon_rate       50.0 %",
        "queue_offered      2        0",
        "service_level      50.0 %",
        "asa_seconds        5.0",
        "aht_seconds        45.0",
        "missed_contacts    1        0",
        "missed_customers   1        0",
        "outgoing_attempts  2        0",
        "outgoing_answered  1        0",
        "legs               4        0",
        "unknown_type_legs  0        0",
        "cost               ₪ 13.85  ₪ 0.00",
    ]


def test_callbacks_is_listed_in_report_help_with_its_options() -> None:
    result = CliRunner().invoke(cli_app, ["report", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.output.replace("│", " ").split())
    assert "callbacks (--by, --within-hours)" in text
    assert "--within-hours <str> callbacks: returned within these hours" in text
    assert "callbacks: none | queue | day | agent." in text
