"""Odd input to the commands (hardening issue, hole 9): one clear line and exit code 2, never a
traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdrhub.cli import app
from tests.automations.helpers import EXAMPLE_TOML, SAMPLES

BIG = str(2**63)
runner = CliRunner()


@pytest.fixture
def env(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CDRHUB_API_KEY", "test-api-key-0123456789")
    monkeypatch.setenv("CDRHUB_PUBLIC_URL", "https://cdrhub.example.com")


def _fails(args: list[str]) -> str:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    # the line naming the database a command opens comes first (tests/commands/test_errors.py)
    return "".join(x for x in result.output.splitlines(True) if not x.startswith("database: "))


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--from", "0001-01-01"], "`from` must be a date between 1970-01-01 and 2100-12-31"),
        (["--to", "9999-12-31"], "`to` must be a date between 1970-01-01 and 2100-12-31"),
        (["--queue", ",".join(map(str, range(1001)))], "queue: at most 100 comma-separated values"),
        (["--from", "2024-01-10", "--to", "2024-01-09"], "`to` is before `from`"),
        (["--from", "soon"], "`from` is not a date or ISO datetime"),
    ],
)
def test_report_bounds(env, args: list[str], line: str) -> None:
    assert _fails(["report", "overview", *args]) == line + "\n"


@pytest.mark.parametrize(
    ("since", "line"),
    [
        ("0001-01-01", "--since must be a date between 1970-01-01 and 2100-12-31"),
        ("2024-01-10T09:00:00+25:00", "--since is not a date or ISO datetime"),
        ("last week", "--since is not a date or ISO datetime"),
    ],
)
def test_crm_backfill_since(env, since: str, line: str) -> None:
    assert _fails(["crm", "backfill", "--since", since]) == line + "\n"


def _usage_error(args: list[str]) -> str:
    """The error of a usage box, its lines joined."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", _fails(args)).split())


def test_report_min_calls_above_a_bigint(env) -> None:
    out = _usage_error(["report", "repeat-callers", "--min-calls", BIG])
    assert (
        "Invalid value for '--min-calls': Input should be less than or equal to 9223372036854775807"
        in out
    )


@pytest.mark.parametrize(
    "args",
    [["jobs", "show", BIG], ["jobs", "retry", BIG], ["jobs", "list", "--limit", BIG],
     ["callbacks", "list", "--limit", BIG], ["callbacks", "assign", BIG, "A1"],
     ["callbacks", "close", BIG], ["demo", "--days", BIG],
     ["recordings", "prune", "--older-than-days", BIG]],
)  # fmt: skip
def test_ids_and_limits_above_their_range(env, args: list[str]) -> None:
    assert "Invalid value for" in _usage_error(args)
    assert "Input should be less than or equal to" in _usage_error(args)


@pytest.mark.parametrize("days", ["nan", "inf", "1e300", "-1"])
def test_jobs_purge_days(env, days: str) -> None:
    assert _fails(["jobs", "purge", "--days", days]) == "--days must be a number from 0 to 36600\n"


@pytest.mark.parametrize("days", ["nan", "1e20", "367"])
def test_embed_link_ttl_days(env, days: str) -> None:
    out = _fails(["embed-link", "0501234567", "--ttl-days", days])
    assert out == "--ttl-days must be a number from 0 to 366\n"


def test_rules_test_now(env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text(EXAMPLE_TOML, encoding="utf-8")
    monkeypatch.setenv("CDRHUB_CONFIG", str(config))
    cdr = str(SAMPLES / "queue-abandoned.json")
    out = _fails(["rules", "test", cdr, "--now", "9999-12-31T23:00:00"])
    assert out == "--now must be a date or datetime between 1970-01-01 and 2100-12-31\n"
    out = _fails(["rules", "test", cdr, "--now", "soon"])
    assert out == "--now must be an ISO datetime, not 'soon'\n"
    assert (
        runner.invoke(app, ["rules", "test", cdr, "--now", "2024-01-10T09:00:00Z"]).exit_code == 0
    )
