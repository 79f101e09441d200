"""`cdrhub --help` and every group's commands and options are what they were before the commands
moved out of the domains into cdrhub.commands (the tree below was taken from main then), with
the options added since (`--quiet` on the long commands, `demo`'s own database)."""

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
        "--within-hours",  # added since: the callbacks report's own option
        "name",
    ],
    "import": ["--batch-size", "--quiet", "file"],
    "demo": ["--calls-per-day", "--database", "--days", "--quiet", "--remove", "--seed", "--until"],
    "worker": ["--once", "--threads"],
    "embed-link": ["--ttl-days", "phone"],
    # added after the move: operations (commands/ops.py)
    "backup": ["file"],
    "purge": ["--before", "--yes"],
    "quarantine": {"replay": ["--all"], "list": ["--all", "--cursor", "--limit"]},
    "secrets": {"rotate": ["which"]},
    "analytics": {"rebuild": ["--quiet"]},
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
    "crm": {"backfill": ["--quiet", "--since"]},
    "contacts": {"import": ["--quiet", "file"]},
    "recordings": {"prune": ["--older-than-days", "--quiet"], "status": []},
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
        "agents (--sort), countries, peak-hours, queues (--by), ivr, overview, repeat-callers "
        "(--min-calls), cost (--by), callbacks (--by, --within-hours)"
        in " ".join(result.output.replace("│", " ").split())
    )
