"""Unknown keys anywhere in the settings are refused with the file, the line and the nearest
known key: by `cdrhub config check` (the whole file), by `cdrhub rules check` (its sections),
and by every other command before it does anything; unknown CDRHUB_* variables are warned
about ("first ten minutes" issue)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdrhub import domains
from cdrhub.cli import app
from cdrhub.config import load_settings, unknown_environment
from cdrhub.settings_keys import nearest, unknown_keys
from cdrhub.toml_lines import TomlLines

SETTINGS = Path(__file__).parents[1] / "samples" / "settings"
TYPOS = SETTINGS / "typos.toml"

TYPO_LINES = [
    f"{TYPOS}:3: unknown key 'databse_url'; did you mean 'database_url'?",
    f"{TYPOS}:7: unknown key 'internal_numbrs' in [automations]; did you mean 'internal_numbers'?",
    f"{TYPOS}:10: unknown key 'open_on_mised' in [callbacks]; did you mean 'open_on_missed'?",
    f"{TYPOS}:13: unknown key 'service_level_secs' in [analytics]; "
    "did you mean 'service_level_seconds'?",
    f"{TYPOS}:16: unknown key 'short_abandon_secnds' in [analytics.queues.\"1234567\"]; "
    "did you mean 'short_abandon_seconds'?",
    f"{TYPOS}:19: unknown key 'ttl' in [crm.embed]; did you mean 'ttl_seconds'?",
    f"{TYPOS}:24: unknown key 'secrt' in [[crm.webhooks]]; did you mean 'secret'?",
]
RULE_LINES = [
    f"{TYPOS}:28: rules[0] (abandoned) whn: unknown key; did you mean 'when'? "
    "allowed: actions, enabled, max_age, name, when",
    f"{TYPOS}:29: rules[0] (abandoned) actions[0].titel: unknown key for 'notify'; did you "
    "mean 'title'? allowed: do, level, max_attempts, name, quiet_hours, text, title",
]

runner = CliRunner()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # restored after each test, also when `--config` set it
    monkeypatch.setenv("CDRHUB_CONFIG", "")
    monkeypatch.setenv("CDRHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'cdrhub.db'}")


def test_config_check_names_every_unknown_key_with_its_line_and_nearest_key() -> None:
    result = runner.invoke(app, ["config", "check", str(TYPOS)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [*TYPO_LINES, *RULE_LINES, "9 problem(s)"]


def test_config_check_passes_a_good_file() -> None:
    result = runner.invoke(app, ["config", "check", str(SETTINGS / "good.toml")])
    assert (result.exit_code, result.output) == (0, f"{SETTINGS / 'good.toml'}: OK\n")


def test_config_check_without_a_file_checks_the_environment() -> None:
    result = runner.invoke(app, ["config", "check"], env={"CDRHUB_TIME_MODE": "utc"})
    assert (result.exit_code, result.output) == (
        0,
        "no settings file (give one, or set CDRHUB_CONFIG); the environment: OK\n",
    )
    bad = runner.invoke(app, ["config", "check"], env={"CDRHUB_TIME_MODE": "gmt"})
    assert (bad.exit_code, bad.output) == (
        1,
        "configuration error: time_mode must be one of ('local', 'utc'), not 'gmt'\n",
    )


def test_rules_check_reports_the_unknown_keys_of_the_automation_sections() -> None:
    result = runner.invoke(app, ["rules", "check", str(TYPOS)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [TYPO_LINES[1], TYPO_LINES[2], *RULE_LINES, "4 problem(s)"]


def test_every_command_refuses_the_file_before_it_starts(tmp_path: Path) -> None:
    for args in (["report", "overview"], ["serve"], ["--config", str(TYPOS), "jobs", "list"]):
        env = {} if args[0] == "--config" else {"CDRHUB_CONFIG": str(TYPOS)}
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 2, args
        assert result.stderr.splitlines() == [*TYPO_LINES, *RULE_LINES], args
        assert "Traceback" not in result.output
    assert not (tmp_path / "cdrhub.db").exists()


def test_an_invalid_rule_at_serve_names_its_line() -> None:
    path = SETTINGS / "bad-rule.toml"
    result = runner.invoke(app, ["serve"], env={"CDRHUB_CONFIG": str(path)})
    assert result.exit_code == 2
    assert result.output.startswith(
        f"{path}:4: rules[0] (abandoned) when.status: unknown status 'ABANDONED' (known: "
    )
    assert len(result.output.splitlines()) == 1


def test_an_unknown_crm_embed_key_is_one_line_with_the_nearest_key() -> None:
    path = SETTINGS / "embed-typo.toml"
    result = runner.invoke(app, ["embed-link", "0501234567"], env={"CDRHUB_CONFIG": str(path)})
    assert (result.exit_code, result.output) == (
        2,
        f"{path}:3: unknown key 'frame_ancestor' in [crm.embed]; did you mean 'frame_ancestors'?\n",
    )


def test_a_key_with_no_near_name_lists_the_table_keys() -> None:
    text = "[crm.embed]\nlifetime = 5\n"
    found = unknown_keys({"crm": {"embed": {"lifetime": 5}}}, domains.settings_keys())
    assert [(u.path, u.key, u.nearest) for u in found] == [(("crm", "embed"), "lifetime", None)]
    from cdrhub.settings_keys import describe_unknown

    assert describe_unknown(found[0], TomlLines(text), "x.toml") == (
        "x.toml:2: unknown key 'lifetime' in [crm.embed]; "
        "known: frame_ancestors, language, secret, ttl_seconds"
    )


def test_keys_written_inline_or_dotted_are_found_on_their_line() -> None:
    text = 'timezone = "UTC"\nanalytics.service_level_secs = 3\n[crm]\nembed = { tl = 1 }\n'
    lines = TomlLines(text)
    assert lines.key_line(("analytics",), "service_level_secs") == 2
    assert lines.key_line(("crm", "embed"), "tl") == 4
    assert lines.key_line(("crm", "embed"), "absent") is None
    tables = TomlLines('timezone = "UTC"\n[analytcs]\nx = 1\n[crm.hubspt]\ntoken = "t"\n')
    assert tables.key_line((), "analytcs") == 2
    assert tables.key_line(("crm",), "hubspt") == 4


def test_nearest() -> None:
    assert nearest("databse_url", ["database_url", "timezone"]) == "database_url"
    assert nearest("ttl", ["ttl_seconds", "secret"]) == "ttl_seconds"
    assert nearest("zzz", ["database_url", "timezone"]) is None


def test_unknown_environment_variables_are_warned_with_the_nearest_name() -> None:
    env = {
        "CDRHUB_DATABSE_URL": "sqlite:///x.db",
        "CDRHUB_EMBED_SECRT": "x",
        "CDRHUB_SOMETHING": "1",
        "CDRHUB_TEST_PG_URL": "postgresql://x/y",  # the test suite's own
        "CDRHUB_TIMEZONE": "UTC",
        "PATH": "/bin",
    }
    assert unknown_environment(env, domains.environment_names()) == [
        "warning: unknown environment variable CDRHUB_DATABSE_URL is ignored; "
        "did you mean CDRHUB_DATABASE_URL?",
        "warning: unknown environment variable CDRHUB_EMBED_SECRT is ignored; "
        "did you mean CDRHUB_EMBED_SECRET?",
        "warning: unknown environment variable CDRHUB_SOMETHING is ignored",
    ]


def test_a_command_prints_the_environment_warning(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "overview"], env={"CDRHUB_TIMEZON": "UTC"})
    assert result.stderr.splitlines()[0] == (
        "warning: unknown environment variable CDRHUB_TIMEZON is ignored; "
        "did you mean CDRHUB_TIMEZONE?"
    )


def test_the_settings_file_option(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--config", str(SETTINGS / "good.toml"), "config", "check"])
    assert (result.exit_code, result.output) == (0, f"{SETTINGS / 'good.toml'}: OK\n")
    missing = runner.invoke(app, ["--config", str(tmp_path / "nope.toml"), "config", "check"])
    assert missing.exit_code == 2
    assert "does not exist" in missing.output


def test_load_settings_keeps_where_the_file_was_read() -> None:
    settings = load_settings({"CDRHUB_CONFIG": str(SETTINGS / "good.toml")})
    assert settings.file_path == str(SETTINGS / "good.toml")


def test_the_key_check_is_ground_level() -> None:
    """settings_keys and toml_lines import nothing of cdrhub but each other (config.py, at the
    ground, uses them)."""
    import subprocess
    import sys

    code = (
        "import cdrhub.settings_keys, sys; "
        "print(sorted(m for m in sys.modules if m.startswith('cdrhub.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['cdrhub.settings_keys', 'cdrhub.toml_lines']"
