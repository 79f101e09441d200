"""Every command fails in one or two lines (what is wrong, what to do) with a non-zero exit code,
never a traceback; database URLs are printed with their password masked. The databases that fail
are real: a closed port, a database name the local PostgreSQL does not have, SQLite paths that
cannot be opened ("first ten minutes" issue)."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

import cdrhub
from cdrhub.cli import app
from tests.conftest import PG_ADMIN_URL, _pg_reachable

runner = CliRunner()
PASSWORD = "hunter2-very-secret"
CHECK_URL = "check CDRHUB_DATABASE_URL (database_url)"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CDRHUB_CONFIG", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.delenv("CDRHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("CDRHUB_PUBLIC_URL", raising=False)
    monkeypatch.chdir(tmp_path)


def _fails(args: list[str], url: str | None = None, code: int = 1) -> list[str]:
    result = runner.invoke(app, args, env={"CDRHUB_DATABASE_URL": url} if url else {})
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert PASSWORD not in result.output
    return result.output.splitlines()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed when the socket is


@pytest.mark.parametrize("args", [["report", "overview"], ["serve"], ["jobs", "list"]])
def test_postgresql_on_a_closed_port(args: list[str]) -> None:
    port = _closed_port()
    url = f"postgresql://cdrhub:{PASSWORD}@127.0.0.1:{port}/cdrhub"
    shown = f"postgresql://cdrhub:***@127.0.0.1:{port}/cdrhub"
    lines = _fails(args, url)
    assert lines[-2:] == [
        f'cannot use the database {shown}: connection to server at "127.0.0.1", port {port} '
        "failed: Connection refused",
        f"is the database server running and reachable? {CHECK_URL}",
    ]
    if args[0] != "serve":  # serve names it in its start lines, once it has started
        assert lines[:-2] == [f"database: {shown}"]


def test_a_database_the_postgresql_server_does_not_have() -> None:
    if (error := _pg_reachable()) is not None:
        pytest.skip(f"PostgreSQL unreachable: {error}")
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    url = f"{base}/cdrhub_no_such_database"
    lines = _fails(["report", "overview"], url)
    assert lines[1].startswith("cannot use the database postgresql://")
    assert lines[1].endswith('failed: FATAL:  database "cdrhub_no_such_database" does not exist')
    assert lines[2:] == [f"create it (e.g. createdb) or {CHECK_URL}"]


def test_an_sqlite_file_that_cannot_be_opened_is_named() -> None:
    # /proc takes no new files, not even from root
    assert _fails(["serve", "--port", "9"], "sqlite:////proc/cdrhub.db") == [
        "cannot use the database sqlite:////proc/cdrhub.db: unable to open database file",
        f"check that the folder exists and this user may write it, or {CHECK_URL}",
    ]


def test_an_sqlite_folder_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    cdrs = tmp_path / "cdrs.jsonl"
    cdrs.write_text("{}\n")
    assert _fails(["import", str(cdrs)], "sqlite:////proc/cdrhub/cdrhub.db") == [
        "cannot create the folder /proc/cdrhub for the database: No such file or directory",
        f"choose a folder this user may write: {CHECK_URL}",
    ]


def test_an_unsupported_database_url() -> None:
    assert _fails(["report", "overview"], f"mysql://cdrhub:{PASSWORD}@db/cdrhub", 2) == [
        "configuration error: database_url: 'mysql' databases are not supported; use "
        "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    ]


def test_reports_refuse_a_database_that_does_not_exist(tmp_path: Path) -> None:
    default = tmp_path / "home/.local/share/cdrhub/cdrhub.db"
    for args in (["report", "overview"], ["jobs", "list"], ["secrets", "rotate", "api-key"]):
        assert _fails(args) == [
            f"no database at {default}: nothing is stored there yet",
            "create it with `cdrhub serve`, `cdrhub import FILE` or `cdrhub demo`, or set "
            "CDRHUB_DATABASE_URL (database_url) to the database you mean",
        ]
    assert not default.exists() and not default.parent.exists()
    assert list(tmp_path.iterdir()) == []  # nothing in the current folder, no data folder


def test_import_creates_the_default_database_and_reports_read_it_from_anywhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = tmp_path / "home/.local/share/cdrhub/cdrhub.db"
    sample = Path(__file__).parents[1] / "samples" / "outgoing-answered.json"
    cdrs = tmp_path / "cdrs.jsonl"
    cdrs.write_text(json.dumps(json.loads(sample.read_text())) + "\n")
    imported = runner.invoke(app, ["import", str(cdrs)])
    assert imported.exit_code == 0, imported.output
    assert imported.stderr.splitlines()[0] == f"database: sqlite:///{default}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    report = runner.invoke(app, ["report", "overview", "--format", "json"])
    assert report.exit_code == 0, report.output
    assert report.stderr == f"database: sqlite:///{default}\n"
    assert json.loads(report.stdout)["rows"][0]["legs"] == 1
    assert list(elsewhere.iterdir()) == []


def test_import_fails_when_every_line_is_rejected(tmp_path: Path) -> None:
    cdrs = tmp_path / "cdrs.jsonl"
    cdrs.write_text("not json\n[1, 2\n")
    lines = _fails(["import", str(cdrs)], f"sqlite:///{tmp_path / 'cdrhub.db'}")
    assert lines[-1] == f"every line of {cdrs} was rejected: nothing stored"
    assert lines[1].startswith("read 2 lines: stored 0 new, 0 duplicate, 0 revised; 2 rejected in ")


def test_embed_link_needs_the_public_url(tmp_path: Path) -> None:
    assert _fails(["embed-link", "0501234567"], f"sqlite:///{tmp_path / 'x.db'}", 2) == [
        "embed-link needs the address the server is reached at: set CDRHUB_PUBLIC_URL "
        "(public_url), e.g. https://cdrhub.example.com"
    ]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.output) == (0, f"cdrhub {cdrhub.__version__}\n")


def _walk(command: Any, path: str) -> list[str]:
    missing = [] if (command.help or "").strip() else [path or "cdrhub"]
    for param in command.params:
        if not (getattr(param, "help", None) or "").strip():
            missing.append(f"{path or 'cdrhub'} {param.name}")
    for name in getattr(command, "commands", {}):
        missing += _walk(command.commands[name], f"{path} {name}".strip())
    return missing


def test_every_command_and_option_has_help_text() -> None:
    assert _walk(typer.main.get_command(app), "") == []
