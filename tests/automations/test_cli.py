"""`cdrhub rules check`, `rules test`, `jobs`, `callbacks`, `optout` through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cdrhub.cli import app

from .helpers import EXAMPLE_TOML, SAMPLES, deliver, recent, settings_for

runner = CliRunner()


def test_rules_check_ok_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(EXAMPLE_TOML, encoding="utf-8")
    result = runner.invoke(app, ["rules", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "OK: 1 rule(s) (abandoned-queue)" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE_TOML.replace('status = "ABANDONE"', 'status = "ABANDON"'), "utf-8")
    result = runner.invoke(app, ["rules", "check", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:9: rules[0] (abandoned-queue) when.status: unknown status 'ABANDON'" in (
        result.output
    )


def test_rules_test_shows_what_would_be_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(EXAMPLE_TOML, encoding="utf-8")
    monkeypatch.setenv("CDRHUB_CONFIG", str(config))
    # the sample abandon ended at 10:07 UTC on 2023-11-15; --now puts us just after it
    just_after = ["--now", "2023-11-15T10:10:00"]
    result = runner.invoke(
        app, ["rules", "test", str(SAMPLES / "queue-abandoned.json"), *just_after]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "rules that fire: abandoned-queue" in out
    assert "sms: via twilio, to +972501234567" in out
    assert "text: Sorry we missed you (Sales Queue). We will call you back soon." in out
    assert "SMS: 1 segment(s), GSM-7, 62 units" in out
    # the same CDR form-encoded gives the same answer
    form = runner.invoke(
        app, ["rules", "test", str(SAMPLES / "queue-abandoned.form.txt"), *just_after]
    )
    assert "to +972501234567" in form.output
    nothing = runner.invoke(app, ["rules", "test", str(SAMPLES / "outgoing-answered.json")])
    assert "rules that fire: none" in nothing.output


def test_rules_test_shows_an_old_call_skipped_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(EXAMPLE_TOML, encoding="utf-8")
    monkeypatch.setenv("CDRHUB_CONFIG", str(config))
    result = runner.invoke(app, ["rules", "test", str(SAMPLES / "queue-abandoned.json")])
    assert result.exit_code == 0, result.output
    why = "too old: the call ended 2023-11-15 10:07 UTC, more than max_age (1 h) ago"
    lines = result.output.splitlines()
    assert lines[2:] == [
        "  rules that fire: abandoned-queue",
        f"  - abandoned-queue #0 sms: SKIPPED ({why})",
        "  - abandoned-queue #1 callback",
        "      opens or joins the callback item of +972501234567",
        f"  - abandoned-queue #2 notify: SKIPPED ({why})",
    ]


def test_jobs_callbacks_and_optout_commands(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(db_url, EXAMPLE_TOML, tmp_path)
    monkeypatch.setenv("CDRHUB_CONFIG", str(tmp_path / "cdrhub.toml"))
    monkeypatch.setenv("CDRHUB_DATABASE_URL", db_url)
    deliver(engine, settings, recent())
    out = runner.invoke(app, ["jobs", "list"]).stdout
    assert "automations.sms" in out and "pending: 1" in out
    assert runner.invoke(app, ["jobs", "retry", "1"]).exit_code == 1  # not dead
    out = runner.invoke(app, ["callbacks", "list"]).stdout
    assert "+972501234567" in out and "1 item(s)" in out
    item_id = out.split()[0]
    assert runner.invoke(app, ["callbacks", "assign", item_id, "2001"]).exit_code == 0
    assert runner.invoke(app, ["callbacks", "close", item_id, "--note", "x"]).exit_code == 0
    assert "0 item(s)" in runner.invoke(app, ["callbacks", "list"]).output
    assert "opted out" in runner.invoke(app, ["optout", "add", "0501234567"]).output
    assert "+972501234567" in runner.invoke(app, ["optout", "list"]).output
    assert "removed" in runner.invoke(app, ["optout", "remove", "0501234567"]).output
