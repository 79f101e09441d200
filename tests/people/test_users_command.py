"""`cdrhub users`: add (with a given, asked or one-time password), list, disable, enable,
reset-password; errors as one line."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from cdrhub.cli import app
from cdrhub.people import audit
from cdrhub.people.passwords import verify_password
from cdrhub.people.tables import users as users_table


@pytest.fixture
def run(settings, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CDRHUB_DATABASE_URL", settings.database_url)

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(app, ["users", *args], input=input)

    return invoke


def _hash(url: str, email: str) -> str:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        value = conn.execute(
            select(users_table.c.password_hash).where(users_table.c.email == email)
        ).scalar_one()
    engine.dispose()
    return str(value)


def test_add_list_disable_enable(run, settings) -> None:  # type: ignore[no-untyped-def]
    added = run("add", "Boss@Example.com", "--role", "admin", "--password", "a long password")
    assert (added.exit_code, added.stdout) == (0, "added boss@example.com (admin)\n")
    scoped = run(
        "add",
        "m@example.com",
        "--role",
        "manager",
        "--password",
        "a long password",
        "--queue",
        "sales",
        "--queue",
        "vip",
    )
    assert scoped.exit_code == 0, scoped.stdout
    listed = run("list")
    assert listed.exit_code == 0
    assert listed.stdout == (
        "boss@example.com\tadmin\tall\tactive\tlast sign-in never\n"
        "m@example.com\tmanager\tsales,vip\tactive\tlast sign-in never\n"
    )
    off = run("disable", "M@example.com")
    assert (off.exit_code, off.stdout) == (0, "m@example.com disabled; its sessions ended\n")
    assert "m@example.com\tmanager\tsales,vip\tdisabled" in run("list").stdout
    on = run("enable", "m@example.com")
    assert (on.exit_code, on.stdout) == (0, "m@example.com enabled\n")


def test_without_a_password_and_no_terminal_a_one_time_password_is_printed(run, settings) -> None:  # type: ignore[no-untyped-def]
    result = run("add", "agent@example.com", "--role", "agent")
    assert result.exit_code == 0, result.stdout
    match = re.fullmatch(
        r"added agent@example.com \(agent\)\none-time password: (\S+) "
        r"\(to be changed at first sign-in\)\n",
        result.stdout,
    )
    assert match is not None
    assert verify_password(_hash(settings.database_url, "agent@example.com"), match.group(1))


def test_reset_password(run, settings) -> None:  # type: ignore[no-untyped-def]
    run("add", "a@example.com", "--role", "agent", "--password", "first long password")
    result = run("reset-password", "a@example.com", "--password", "second long password")
    assert (result.exit_code, result.stdout) == (
        0,
        "new password set for a@example.com; its sessions ended\n",
    )
    stored = _hash(settings.database_url, "a@example.com")
    assert verify_password(stored, "second long password") is True
    assert verify_password(stored, "first long password") is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("add", "x@example.com", "--role", "boss", "--password", "a long password"),
            "unknown role 'boss': use one of admin, manager, agent\n",
        ),
        (
            ("add", "x@example.com", "--role", "agent", "--password", "short"),
            "a password needs at least 10 characters\n",
        ),
        (
            ("add", "nobody", "--role", "agent", "--password", "a long password"),
            "not an e-mail address: 'nobody'\n",
        ),
        (("disable", "ghost@example.com"), "no user ghost@example.com\n"),
        (
            ("reset-password", "ghost@example.com", "--password", "a long password"),
            "no user ghost@example.com\n",
        ),
    ],
)
def test_errors_are_one_line(run, args, message) -> None:  # type: ignore[no-untyped-def]
    result = run(*args)
    # stderr: the database used (every command names it), then the one line
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith("database: ") and result.stderr.endswith("\n" + message)
    assert result.stderr.count("\n") == 2


def test_changes_are_audited_as_the_command_line(run, engine) -> None:  # type: ignore[no-untyped-def]
    run("add", "a@example.com", "--role", "agent", "--password", "first long password")
    run("disable", "a@example.com")
    with engine.connect() as conn:
        got = [(e.actor, e.action, e.target) for e in audit.entries(conn)]
    assert got == [("cli", "user.disable", "a@example.com"), ("cli", "user.add", "a@example.com")]
