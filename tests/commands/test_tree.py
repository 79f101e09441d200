"""`cdrhub --help` and every group's commands and options are what they were before the commands
moved out of the domains into cdrhub.commands (the tree below was taken from main then)."""

from __future__ import annotations

import re
from typing import Any

import typer.main
from typer.testing import CliRunner

from cdrhub.cli import app

BEFORE: dict[str, Any] = {
    "serve": ["--host", "--port", "--workers"],
    "report": [
        "--agent",
        "--by",
        "--department",
        "--format",
        "--from",
        "--min-calls",
        "--queue",
        "--sort",
        "--to",
        "--type",
        "name",
    ],
    "import": ["--batch-size", "file"],
    "demo": ["--calls-per-day", "--days", "--seed"],
    "worker": ["--once", "--threads"],
    "embed-link": ["--ttl-days", "phone"],
    # added after the move: operations (commands/ops.py)
    "backup": ["file"],
    "purge": ["--before", "--yes"],
    "quarantine": {"replay": ["--all"], "list": ["--all", "--cursor", "--limit"]},
    "secrets": {"rotate": ["which"]},
    "analytics": {"rebuild": []},
    "rules": {"check": ["file"], "test": ["--config", "--now", "cdr"]},
    "jobs": {
        "list": ["--kind", "--limit", "--status"],
        "show": ["job_id"],
        "retry": ["--dead", "job_id"],
        "purge": ["--days"],
    },
    "callbacks": {
        "list": ["--limit", "--status"],
        "assign": ["agent", "item_id"],
        "close": ["--by", "--note", "item_id"],
    },
    "optout": {"add": ["--reason", "number"], "remove": ["number"], "list": []},
    "crm": {"backfill": ["--since"]},
    "contacts": {"import": ["file"]},
    "recordings": {"prune": ["--older-than-days"], "status": []},
    "config": {"check": ["file"]},  # added since
    "users": {
        "add": [
            "--agent-code",
            "--department",
            "--extension",
            "--lang",
            "--name",
            "--password",
            "--queue",
            "--role",
            "email",
        ],
        "list": [],
        "disable": ["email"],
        "enable": ["email"],
        "reset-password": ["--password", "email"],
    },
}


def _tree(command: Any) -> Any:
    if hasattr(command, "commands"):
        return {name: _tree(command.commands[name]) for name in command.list_commands(None)}
    return sorted(p.opts[0] if p.opts else p.name for p in command.params)


def test_every_command_group_and_option_is_kept() -> None:
    assert _tree(typer.main.get_command(app)) == BEFORE


def test_help_lists_exactly_todays_commands_in_order() -> None:
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200", "NO_COLOR": "1"})
    assert result.exit_code == 0
    listed = re.findall(r"^│ ([a-z][a-z-]*) ", result.output, flags=re.M)
    assert listed == list(BEFORE)


def test_report_help_names_every_report() -> None:
    result = CliRunner().invoke(app, ["report", "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    assert (
        "agents, countries, peak-hours, queues, ivr, overview, repeat-callers, cost, callbacks"
        in result.output
    )
